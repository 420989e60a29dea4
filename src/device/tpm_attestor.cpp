#include "device/tpm_attestor.hpp"

#include <string_view>
#include <vector>

#include "pki/uuid.hpp"
#include "tpm/public_area.hpp"
#include "tpm/public_key.hpp"

namespace dps::device {

using nlohmann::json;

Result<TpmAnswer> SoftwareTpmAttestor::answer(const json& credential, std::string_view device_id) {
  auto activation = tpm_.answer(credential, device_id);
  if (!activation) return tl::unexpected(activation.error());
  return TpmAnswer{std::move(activation->body), std::move(activation->private_key_pem)};
}

namespace {

std::vector<uint8_t> ek_spki(tpm::ByteView ek_tpm2b) {
  auto area = tpm::parse_tpm2b_public(ek_tpm2b);
  if (!area) return {};
  auto key = tpm::to_evp_pkey(*area);
  if (!key) return {};
  auto der = tpm::spki_der(key->get());
  return der ? std::move(*der) : std::vector<uint8_t>{};
}

}  // namespace

std::string tpm_device_id(tpm::ByteView ek_tpm2b) {
  const auto spki = ek_spki(ek_tpm2b);
  if (spki.empty()) return {};
  // The name space and prefix of a certificate device's default id (tls_client.cpp), so that
  // neither looks like a record id.
  const std::string_view prefix = "dps-device:";
  std::vector<uint8_t> name(prefix.begin(), prefix.end());
  name.insert(name.end(), spki.begin(), spki.end());
  return pki::uuid_v5(pki::kNamespaceUrl, name).to_string();
}

std::string tpm_registration_id(tpm::ByteView ek_tpm2b) {
  const auto spki = ek_spki(ek_tpm2b);
  return spki.empty() ? std::string() : pki::uuid_v5(pki::kNamespaceX500, spki).to_string();
}

Result<std::string> activation_key_spki(const json& activation_body) {
  const auto it = activation_body.find("key");
  if (it == activation_body.end() || !it->is_binary()) {
    return fail(ErrorCode::BadRequest, "TPM activation: no byte string key");
  }
  auto area = tpm::parse_tpm2b_public(it->get_binary());
  if (!area) return tl::unexpected(area.error());
  auto key = tpm::to_evp_pkey(*area);
  if (!key) return tl::unexpected(key.error());
  auto der = tpm::spki_der(key->get());
  if (!der) return tl::unexpected(der.error());
  return std::string(der->begin(), der->end());
}

}  // namespace dps::device
