#include "tpm/endorsement_key.hpp"

#include "tpm/constants.hpp"
#include "tpm/public_key.hpp"

namespace dps::tpm {

Result<void> check_endorsement_key(const PublicArea& area) {
  const auto wrong = [](std::string_view what) {
    return fail(ErrorCode::Forbidden, "EK: " + std::string(what));
  };
  if (!area.restricted()) return wrong("restricted is not set");
  if (!area.decrypt()) return wrong("decrypt is not set");
  if (area.sign()) return wrong("sign is set (an endorsement key only decrypts)");
  if (!area.fixed_tpm()) return wrong("fixedTPM is not set");
  if (!area.fixed_parent()) return wrong("fixedParent is not set");
  if (area.symmetric.algorithm == kAlgNull) {
    return wrong("no symmetric algorithm (MakeCredential needs one)");
  }
  return {};
}

Result<std::string> endorsement_key_hash(std::string_view bytes) {
  if (bytes.starts_with("-----BEGIN")) return key_hash_of_pem(bytes);
  auto area = parse_tpm2b_public(as_bytes(bytes));
  if (!area) return tl::unexpected(area.error());
  if (auto ek = check_endorsement_key(*area); !ek) {
    return fail(ErrorCode::BadRequest, ek.error().internal);
  }
  return key_hash(*area);
}

}  // namespace dps::tpm
