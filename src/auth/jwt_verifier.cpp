#include "auth/jwt_verifier.hpp"

#include <cctype>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "auth/base64url.hpp"
#include "auth/jwks.hpp"
#include "auth/jws_signature.hpp"
#include "common/untrusted_text.hpp"

namespace dps::auth {
namespace {

using nlohmann::json;

// Far above any real access token, small enough that decoding a hostile header costs nothing.
constexpr size_t kMaxTokenBytes = 16 * 1024;

tl::unexpected<Error> unauthenticated(std::string why) {
  return fail(ErrorCode::Unauthenticated, std::move(why));
}

// Token-supplied text quoted for an error message: bounded and printable, so a client cannot
// fill our logs or inject line breaks through a kid or alg.
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; the scheme is case-insensitive (RFC 7235).
Result<std::string_view> bearer_token(std::string_view authorization) {
  authorization = trim(authorization);
  if (const size_t space = authorization.find_first_of(" \t"); space != std::string_view::npos) {
    if (!iequals(authorization.substr(0, space), "Bearer")) {
      return unauthenticated("authorization scheme " +
                             quote_untrusted(authorization.substr(0, space)) + " is not Bearer");
    }
    authorization = trim(authorization.substr(space));
  } else if (iequals(authorization, "Bearer")) {
    authorization = {};
  }
  if (authorization.empty()) return unauthenticated("missing bearer token");
  if (authorization.size() > kMaxTokenBytes) {
    return unauthenticated("malformed token: longer than " + std::to_string(kMaxTokenBytes) +
                           " bytes");
  }
  return authorization;
}

Result<json> json_part(std::string_view part, const char* what) {
  auto bytes = base64url_decode(part);
  if (!bytes) return unauthenticated(std::string("malformed token: ") + what + " is not base64url");
  json doc = json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return unauthenticated(std::string("malformed token: ") + what + " is not a JSON object");
  }
  return doc;
}

struct Header {
  JwsAlg alg;
  std::optional<std::string> kid;
};

Result<Header> parse_header(const json& header) {
  auto alg_member = header.find("alg");
  if (alg_member == header.end() || !alg_member->is_string()) {
    return unauthenticated("malformed token: header has no \"alg\"");
  }
  const std::string name = alg_member->get<std::string>();
  // Refused before any key is looked at: "none" means unsigned, and an HMAC "signature" keyed
  // with our public key is something anyone can compute (the classic alg confusion attack).
  if (iequals(name, "none"))
    return unauthenticated("alg \"none\" is refused: tokens must be signed");
  if (name.size() >= 2 && iequals(name.substr(0, 2), "HS")) {
    return unauthenticated("alg " + quote_untrusted(name) +
                           " is refused: only asymmetric signatures (ES*, RS*, PS*) are accepted");
  }
  auto alg = parse_jws_alg(name);
  if (!alg) return unauthenticated("unsupported alg " + quote_untrusted(name));
  // RFC 7515 §4.1.11: extensions listed in "crit" must be understood; we understand none.
  if (header.contains("crit"))
    return unauthenticated("critical header extensions are not supported");
  Header out{*alg, std::nullopt};
  if (auto kid = header.find("kid"); kid != header.end()) {
    if (!kid->is_string()) return unauthenticated("malformed token: \"kid\" is not a string");
    out.kid = kid->get<std::string>();
  }
  return out;
}

// RFC 7519 §2 NumericDate: integer or fractional seconds since the epoch.
Result<std::optional<int64_t>> numeric_date(const json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::optional<int64_t>{};
  if (it->is_number_unsigned()) {
    const auto value = it->get<uint64_t>();
    return std::optional<int64_t>{value > uint64_t{std::numeric_limits<int64_t>::max()}
                                      ? std::numeric_limits<int64_t>::max()
                                      : static_cast<int64_t>(value)};
  }
  if (it->is_number_integer()) return std::optional<int64_t>{it->get<int64_t>()};
  if (it->is_number_float()) {
    const double value = it->get<double>();
    if (value > -9.0e18 && value < 9.0e18)
      return std::optional<int64_t>{static_cast<int64_t>(value)};
  }
  return unauthenticated(std::string("malformed token: \"") + name + "\" is not a NumericDate");
}

Result<void> check_times(const json& claims, int64_t now, int64_t leeway, VerifiedToken& token) {
  auto exp = numeric_date(claims, "exp");
  auto nbf = numeric_date(claims, "nbf");
  auto iat = numeric_date(claims, "iat");
  for (const auto* date : {&exp, &nbf, &iat}) {
    if (!*date) return tl::unexpected(date->error());
  }
  if (!*exp) return unauthenticated("token has no \"exp\"");
  const int64_t expires_at = **exp;
  token.expires_at = expires_at;
  token.issued_at = iat->value_or(0);
  // RFC 7519 §4.1.4: not accepted on or after exp. Saturating: leeway never wraps a huge exp.
  if (now - leeway >= expires_at) {
    return unauthenticated("token expired at " + std::to_string(expires_at) + " (now " +
                           std::to_string(now) + ")");
  }
  if (*nbf && now + leeway < **nbf) {
    return unauthenticated("token not valid before " + std::to_string(**nbf) + " (now " +
                           std::to_string(now) + ")");
  }
  if (*iat && now + leeway < **iat) {
    return unauthenticated("token issued in the future (iat " + std::to_string(**iat) + ", now " +
                           std::to_string(now) + ")");
  }
  return {};
}

bool audience_contains(const json& claims, const std::string& audience) {
  auto aud = claims.find("aud");
  if (aud == claims.end()) return false;
  if (aud->is_string()) return *aud == audience;
  if (!aud->is_array()) return false;
  return std::any_of(aud->begin(), aud->end(),
                     [&](const json& item) { return item.is_string() && item == audience; });
}

std::string describe(const Jwk& key) {
  std::string kind = key.alg ? std::string(to_string(*key.alg)) : "RS*/PS*";
  return key.kid.empty() ? kind : "kid " + quote_untrusted(key.kid) + " is " + kind;
}

}  // namespace

JwtVerifier::JwtVerifier(JwtVerifierOptions options, std::shared_ptr<KeyProvider> keys,
                         std::shared_ptr<const RevokedTokenIds> revoked)
    : options_(std::move(options)), keys_(std::move(keys)), revoked_(std::move(revoked)) {}

Result<VerifiedToken> JwtVerifier::verify(std::string_view authorization) const {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return verify_at(authorization, now.count());
}

Result<VerifiedToken> JwtVerifier::verify_at(std::string_view authorization, int64_t now) const {
  auto token = bearer_token(authorization);
  if (!token) return tl::unexpected(token.error());
  const size_t first_dot = token->find('.');
  const size_t second_dot = token->find('.', first_dot + 1);
  if (first_dot == std::string_view::npos || second_dot == std::string_view::npos ||
      token->find('.', second_dot + 1) != std::string_view::npos) {
    return unauthenticated("malformed token: not three dot-separated parts (JWS compact form)");
  }
  auto header_json = json_part(token->substr(0, first_dot), "header");
  if (!header_json) return tl::unexpected(header_json.error());
  auto header = parse_header(*header_json);
  if (!header) return tl::unexpected(header.error());
  auto signature = base64url_decode(token->substr(second_dot + 1));
  if (!signature || signature->empty()) {
    return unauthenticated("malformed token: signature is not base64url");
  }

  auto keys = keys_->current();
  if (!keys) {
    keys_->refresh_soon();
    return fail(ErrorCode::Unavailable, "token signing keys are not available yet");
  }
  std::vector<const Jwk*> candidates = keys->candidates(header->kid);
  if (candidates.empty()) {
    keys_->refresh_soon();
    const std::string which = header->kid ? "unknown key id " + quote_untrusted(*header->kid)
                                          : std::string("token has no kid and no key matches");
    if (!keys->complete()) {
      return fail(ErrorCode::Unavailable, which + " (some signing keys are not available yet)");
    }
    return unauthenticated(which);
  }

  // Read, not yet trusted: the claimed issuer picks among keys that verify. An authority may
  // share one key between issuers (multi-tenant IdPs do); the token must match the copy of the
  // key held for the issuer it names.
  auto claims = json_part(token->substr(first_dot + 1, second_dot - first_dot - 1), "payload");
  std::optional<std::string> claimed_issuer;
  if (claims) {
    if (auto iss = claims->find("iss"); iss != claims->end() && iss->is_string()) {
      claimed_issuer = iss->get<std::string>();
    }
  }

  // Verify with a key whose algorithm fits the header: the header alone never decides how a key
  // is used (RFC 8725 §3.1).
  const std::string_view signing_input = token->substr(0, second_dot);
  const Jwk* signer = nullptr;
  const Jwk* other_issuers_key = nullptr;  // verified the signature, but for another issuer
  Result<void> last = unauthenticated("alg " + std::string(to_string(header->alg)) +
                                      " does not match the key (" + describe(*candidates[0]) + ")");
  for (const Jwk* key : candidates) {
    if (!key->accepts(header->alg)) continue;
    last = verify_jws_signature(header->alg, *key, signing_input, *signature);
    if (!last) continue;
    if (claimed_issuer && key->issuer == *claimed_issuer) {
      signer = key;
      break;
    }
    if (!other_issuers_key) other_issuers_key = key;
  }
  if (!signer && !other_issuers_key) return tl::unexpected(last.error());
  if (!claims) return tl::unexpected(claims.error());
  // RFC 7519 §4.1.1: the key vouches only for its own authority, so a token signed by A's key
  // cannot speak for B (nor for dps's own admin tokens) by claiming B's issuer.
  if (!signer) {
    const std::string owner_of_key =
        "the key that signed it is " + quote_untrusted(other_issuers_key->issuer, 256) + "'s";
    if (!claimed_issuer)
      return unauthenticated("token has no \"iss\" string (" + owner_of_key + ")");
    return unauthenticated("token issuer " + quote_untrusted(*claimed_issuer, 256) +
                           " is not the issuer of its signing key (" + owner_of_key + ")");
  }

  VerifiedToken verified{{}, 0, 0, header->kid.value_or(""), {}};
  if (auto times = check_times(*claims, now, options_.leeway.count(), verified); !times) {
    return tl::unexpected(times.error());
  }
  for (const std::string* audience : {&options_.audience, &signer->required_audience}) {
    if (!audience->empty() && !audience_contains(*claims, *audience)) {
      return unauthenticated("token audience does not include " + quote_untrusted(*audience));
    }
  }
  // After the signature and times: only a genuine, live token learns that it was revoked.
  if (revoked_) {
    auto jti = claims->find("jti");
    if (jti != claims->end() && jti->is_string() && revoked_->revoked(jti->get<std::string>())) {
      return unauthenticated("token revoked (jti " + quote_untrusted(jti->get<std::string>()) +
                             ")");
    }
  }
  auto owner = claims->find(options_.owner_claim);
  if (owner == claims->end() || !owner->is_string() || owner->get<std::string>().empty()) {
    return unauthenticated("token has no owner claim \"" + options_.owner_claim + "\"");
  }
  verified.owner = owner->get<std::string>();
  for (const auto& [name, value] : claims->items()) {
    if (value.is_string()) verified.string_claims.emplace(name, value.get<std::string>());
  }
  return verified;
}

}  // namespace dps::auth
