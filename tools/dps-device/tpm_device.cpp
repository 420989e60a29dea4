#include "tpm_device.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include <fstream>
#include <iterator>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "common/openssl_deleter.hpp"
#include "device/held_key.hpp"
#include "tpm/public_area.hpp"
#include "tpm/public_key.hpp"
#include "tss/esys.hpp"
#include "tss/objects.hpp"
#include "tss/sign.hpp"
#include "tss/templates.hpp"

namespace dps::device_cli {
namespace {

using nlohmann::json;

// What TPM2_Sign needs to sign with the identity key: its own TPM connection, the key loaded on
// it, and one command at a time. Member order: the key is flushed before the context closes.
struct LoadedKey {
  explicit LoadedKey(tss::EsysContext opened) : context(std::move(opened)) {}
  tss::EsysContext context;
  tss::Transient key;
  std::mutex mutex;
};

// One TPM2_Sign at a time on the key's connection (libssl may sign from several threads).
Result<std::vector<uint8_t>> sign_digest(LoadedKey& loaded, std::span<const uint8_t> digest) {
  std::lock_guard lock(loaded.mutex);
  return tss::sign_digest(loaded.context.get(), loaded.key.get(), digest);
}

template <class T, TSS2_RC (*Unmarshal)(const uint8_t*, size_t, size_t*, T*)>
Result<T> unmarshal_whole(tpm::ByteView data, const char* what) {
  T value{};
  size_t offset = 0;
  if (Unmarshal(data.data(), data.size(), &offset, &value) != TSS2_RC_SUCCESS ||
      offset != data.size()) {
    return fail(ErrorCode::BadRequest, std::string("TPM identity key: malformed ") + what);
  }
  return value;
}

}  // namespace

RealTpm::RealTpm(std::string tcti, tss::TpmDevice device)
    : tcti_(std::move(tcti)), device_(std::move(device)), ek_(device_->endorsement_key_tpm2b()) {}

Result<std::unique_ptr<RealTpm>> RealTpm::open(const std::string& tcti, tss::EkKind kind) {
  auto device = tss::TpmDevice::open(tcti, kind);
  if (!device) return tl::unexpected(device.error());
  return std::unique_ptr<RealTpm>(new RealTpm(tcti, std::move(*device)));
}

json RealTpm::challenge_request() const {
  return device_ ? device_->challenge_request() : json::object();
}

Result<device::TpmAnswer> RealTpm::answer(const json& credential, std::string_view device_id) {
  if (!device_) return fail(ErrorCode::Internal, "the TPM connection is closed");
  auto activation = device_->answer(credential, device_id);
  if (!activation) return tl::unexpected(activation.error());
  key_public_ = std::move(activation->key_public);
  key_private_ = std::move(activation->key_private);
  return device::TpmAnswer{std::move(activation->body), {}};
}

Result<std::shared_ptr<EVP_PKEY>> RealTpm::identity_key() {
  if (key_public_.empty()) return fail(ErrorCode::Internal, "no identity key: not activated");
  device_.reset();  // flushes the EK and closes its connection
  return load_tpm_identity_key(tcti_, key_public_, key_private_);
}

tpm::Bytes RealTpm::ek_certificate() const {
  return device_ ? device_->ek_certificate() : tpm::Bytes{};
}

std::string RealTpm::ek_certificate_problem() const {
  return device_ ? device_->ek_certificate_problem() : std::string();
}

void RealTpm::set_ek_certificate(tpm::Bytes der) {
  if (device_) device_->set_ek_certificate(std::move(der));
}

Result<tpm::Bytes> read_certificate_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::BadRequest, path + ": cannot open the file");
  const std::string content{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::unique_ptr<X509, OpenSslDeleter<X509_free>> cert;
  if (content.find("-----BEGIN CERTIFICATE-----") != std::string::npos) {
    const std::unique_ptr<BIO, OpenSslDeleter<BIO_free>> bio(
        BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
    if (bio) cert.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  } else {
    const auto* at = reinterpret_cast<const unsigned char*>(content.data());
    cert.reset(d2i_X509(nullptr, &at, static_cast<long>(content.size())));
    // One certificate and nothing else: a DER file with more is not what was meant.
    if (cert && at != reinterpret_cast<const unsigned char*>(content.data()) + content.size()) {
      cert.reset();
    }
  }
  unsigned char* der = nullptr;
  const int n = cert ? i2d_X509(cert.get(), &der) : 0;
  if (n <= 0) {
    return fail(ErrorCode::BadRequest, path + ": not an X.509 certificate (DER or PEM)");
  }
  tpm::Bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}

Result<std::shared_ptr<EVP_PKEY>> load_tpm_identity_key(const std::string& tcti,
                                                        tpm::ByteView key_public,
                                                        tpm::ByteView key_private) {
  auto public_area =
      unmarshal_whole<TPM2B_PUBLIC, Tss2_MU_TPM2B_PUBLIC_Unmarshal>(key_public, "TPM2B_PUBLIC");
  if (!public_area) return tl::unexpected(public_area.error());
  auto private_area =
      unmarshal_whole<TPM2B_PRIVATE, Tss2_MU_TPM2B_PRIVATE_Unmarshal>(key_private, "TPM2B_PRIVATE");
  if (!private_area) return tl::unexpected(private_area.error());
  // Its public half for OpenSSL, from the same bytes dps certified.
  auto parsed = tpm::parse_tpm2b_public(key_public);
  if (!parsed) return tl::unexpected(parsed.error());
  auto public_key = tpm::to_evp_pkey(*parsed);
  if (!public_key) return tl::unexpected(public_key.error());

  auto context = tss::EsysContext::open(tcti);
  if (!context) return tl::unexpected(context.error());
  auto loaded = std::make_shared<LoadedKey>(std::move(*context));
  ESYS_CONTEXT* esys = loaded->context.get();
  {
    // The storage primary is recreated from the owner seed; once the key is loaded under it, it
    // is flushed (a loaded key does not need its parent), leaving the TPM's slots to the key.
    auto srk = tss::create_primary(esys, ESYS_TR_RH_OWNER, tss::storage_key_template());
    if (!srk) return tl::unexpected(srk.error());
    auto key = tss::load(esys, srk->handle.get(), ESYS_TR_PASSWORD,
                         tss::Created{.public_area = *public_area, .private_area = *private_area});
    if (!key) return tl::unexpected(key.error());
    loaded->key = std::move(*key);
  }
  return device::make_held_ec_key(public_key->get(), [loaded](std::span<const uint8_t> digest) {
    return sign_digest(*loaded, digest);
  });
}

}  // namespace dps::device_cli
