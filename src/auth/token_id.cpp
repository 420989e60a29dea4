#include "auth/token_id.hpp"

#include <cctype>
#include <limits>
#include <nlohmann/json.hpp>

#include "auth/base64url.hpp"

namespace dps::auth {

Result<void> check_jti(std::string_view jti) {
  if (jti.empty() || jti.size() > kMaxJtiLength) {
    return fail(ErrorCode::BadRequest,
                "jti must be 1 to " + std::to_string(kMaxJtiLength) + " characters");
  }
  for (char c : jti) {
    if (c < 0x21 || c > 0x7e) {
      return fail(ErrorCode::BadRequest, "jti must be printable ASCII without spaces");
    }
  }
  return {};
}

Result<TokenId> read_token_id(std::string_view token) {
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.remove_suffix(1);
  }
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front()))) {
    token.remove_prefix(1);
  }
  const size_t first = token.find('.');
  const size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos) {
    return fail(ErrorCode::BadRequest, "not a JWT (three dot-separated parts)");
  }
  auto payload = base64url_decode(token.substr(first + 1, second - first - 1));
  auto claims = payload ? nlohmann::json::parse(*payload, nullptr, /*allow_exceptions=*/false)
                        : nlohmann::json();
  if (!claims.is_object()) return fail(ErrorCode::BadRequest, "JWT payload is not a JSON object");
  auto jti = claims.find("jti");
  if (jti == claims.end() || !jti->is_string()) {
    return fail(ErrorCode::BadRequest,
                "token has no \"jti\": it cannot be revoked by id (rotate its signing key)");
  }
  if (auto valid = check_jti(jti->get<std::string>()); !valid) return tl::unexpected(valid.error());
  auto exp = claims.find("exp");
  if (exp == claims.end() || !exp->is_number()) {
    return fail(ErrorCode::BadRequest, "token has no numeric \"exp\"");
  }
  // Saturated: an absurd exp keeps the revocation "forever" rather than wrapping into the past.
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t expires_at = 0;
  if (exp->is_number_unsigned()) {
    expires_at = exp->get<uint64_t>() > static_cast<uint64_t>(kMax) ? kMax : exp->get<int64_t>();
  } else if (exp->is_number_integer()) {
    expires_at = exp->get<int64_t>();
  } else {
    const double value = exp->get<double>();
    expires_at = value >= 9.0e18 ? kMax : value <= -9.0e18 ? -kMax : static_cast<int64_t>(value);
  }
  return TokenId{jti->get<std::string>(), expires_at};
}

}  // namespace dps::auth
