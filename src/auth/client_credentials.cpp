#include "auth/client_credentials.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "auth/base64url.hpp"
#include "auth/http_fetch.hpp"
#include "common/percent_encoding.hpp"
#include "common/untrusted_text.hpp"

namespace dps::auth {
namespace {

using nlohmann::json;

constexpr std::string_view kDiscoveryPath = "/.well-known/openid-configuration";
constexpr size_t kMaxDiscoveryBytes = 64 * 1024;
constexpr size_t kMaxTokenResponseBytes = 64 * 1024;

// application/x-www-form-urlencoded (the form of a token request, and of the client id and
// secret inside HTTP Basic, RFC 6749 §2.3.1).
std::string form_encode(std::string_view text) { return percent_encode(text, true); }

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(std::max(written, 0)));
  return out;
}

void add_param(std::string& form, std::string_view name, std::string_view value) {
  if (!form.empty()) form += '&';
  form += form_encode(name);
  form += '=';
  form += form_encode(value);
}

// A token endpoint's refusal: its OAuth error and description (RFC 6749 §5.2), quoted.
std::string oauth_error_of(const HttpResponse& answer) {
  const json body = json::parse(answer.body, nullptr, /*allow_exceptions=*/false);
  std::string out = "HTTP " + std::to_string(answer.status);
  if (body.is_object() && body.contains("error") && body["error"].is_string()) {
    out += " " + quote_untrusted(body["error"].get<std::string>());
    if (body.contains("error_description") && body["error_description"].is_string()) {
      out += " (" + quote_untrusted(body["error_description"].get<std::string>()) + ")";
    }
  }
  return out;
}

std::string claim_text(const json& claims, const std::string& name) {
  const auto it = claims.find(name);
  if (it == claims.end()) return "<nil>";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

struct ClientCredentialsTokenSource::Flight {
  bool done = false;
  Result<std::string> result = fail(ErrorCode::Internal, "token fetch did not finish");
  std::condition_variable finished;
};

ClientCredentialsTokenSource::ClientCredentialsTokenSource(ClientCredentialsOptions options)
    : options_(std::move(options)) {}
ClientCredentialsTokenSource::~ClientCredentialsTokenSource() = default;

Result<std::unique_ptr<ClientCredentialsTokenSource>> ClientCredentialsTokenSource::create(
    ClientCredentialsOptions options) {
  auto url = parse_http_url(options.authority);
  if (!url) return fail(ErrorCode::BadRequest, "authority: " + url.error().internal);
  if (!url->tls && !is_loopback_host(url->host)) {
    return fail(ErrorCode::BadRequest,
                "authority: plain http is allowed to loopback hosts only (the client secret "
                "would cross the network in clear text)");
  }
  if (options.client_id.empty()) return fail(ErrorCode::BadRequest, "clientID: required");
  if (options.timeout.count() <= 0) return fail(ErrorCode::BadRequest, "timeout: must be > 0");
  // A CA PEM that does not parse is refused now rather than at the first device.
  auto probe = HttpFetcher::create(options.ca_pem);
  if (!probe) return fail(ErrorCode::BadRequest, "http.tls.caPool: " + probe.error().internal);
  std::unique_ptr<ClientCredentialsTokenSource> source(
      new ClientCredentialsTokenSource(std::move(options)));
  if (auto secret = source->client_secret(); !secret) return tl::unexpected(secret.error());
  source->idle_fetchers_.push_back(std::move(*probe));
  return source;
}

Result<std::string> ClientCredentialsTokenSource::client_secret() {
  if (options_.client_secret_file.empty()) {
    if (options_.client_secret.empty()) {
      return fail(ErrorCode::BadRequest, "clientSecret: required");
    }
    return options_.client_secret;
  }
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(options_.client_secret_file, ec);
  std::lock_guard lock(mutex_);
  if (!ec && secret_mtime_ && *secret_mtime_ == mtime && !secret_.empty()) return secret_;
  std::ifstream in(options_.client_secret_file, std::ios::binary);
  if (ec || !in) {
    // A secret that vanished keeps serving from memory: a half-done rotation must not stop
    // every device; a first read has nothing to fall back to.
    if (!secret_.empty()) return secret_;
    return fail(ErrorCode::BadRequest,
                "clientSecretFile: cannot read " + options_.client_secret_file.string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().empty()) {
    if (!secret_.empty()) return secret_;
    return fail(ErrorCode::BadRequest,
                "clientSecretFile: " + options_.client_secret_file.string() + " is empty");
  }
  secret_ = text.str();
  secret_mtime_ = mtime;
  return secret_;
}

Result<std::string> ClientCredentialsTokenSource::token_endpoint(HttpFetcher& fetcher) {
  {
    std::lock_guard lock(mutex_);
    if (!token_endpoint_.empty()) return token_endpoint_;
  }
  std::string authority = options_.authority;
  while (authority.ends_with('/')) authority.pop_back();
  auto url = parse_http_url(authority + std::string(kDiscoveryPath));
  if (!url) return fail(ErrorCode::Unavailable, "discovery: " + url.error().internal);
  auto text = fetcher.get(*url, options_.timeout, kMaxDiscoveryBytes);
  if (!text) return tl::unexpected(text.error());
  const json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("token_endpoint") || !doc["token_endpoint"].is_string()) {
    return fail(ErrorCode::Unavailable,
                url->text() + ": not a discovery document with a \"token_endpoint\" string");
  }
  std::string endpoint = doc["token_endpoint"].get<std::string>();
  auto parsed = parse_http_url(endpoint);
  if (!parsed) return fail(ErrorCode::Unavailable, "token_endpoint: " + parsed.error().internal);
  if (!parsed->tls && !is_loopback_host(parsed->host)) {
    return fail(ErrorCode::Unavailable,
                "token_endpoint " + quote_untrusted(endpoint) +
                    ": plain http to a non-loopback host (the client secret would be in clear)");
  }
  std::lock_guard lock(mutex_);
  token_endpoint_ = endpoint;
  return endpoint;
}

Result<ClientCredentialsTokenSource::Token> ClientCredentialsTokenSource::fetch(
    const std::vector<std::pair<std::string, std::string>>& claims) {
  std::unique_ptr<HttpFetcher> fetcher;
  {
    std::lock_guard lock(mutex_);
    if (!idle_fetchers_.empty()) {
      fetcher = std::move(idle_fetchers_.back());
      idle_fetchers_.pop_back();
    }
  }
  if (!fetcher) {
    auto made = HttpFetcher::create(options_.ca_pem);
    if (!made) return tl::unexpected(made.error());
    fetcher = std::move(*made);
  }
  struct ReturnFetcher {
    ClientCredentialsTokenSource* self;
    std::unique_ptr<HttpFetcher>& fetcher;
    ~ReturnFetcher() {
      std::lock_guard lock(self->mutex_);
      self->idle_fetchers_.push_back(std::move(fetcher));
    }
  } give_back{this, fetcher};

  auto endpoint = token_endpoint(*fetcher);
  if (!endpoint) return tl::unexpected(endpoint.error());
  auto url = parse_http_url(*endpoint);
  if (!url) return fail(ErrorCode::Unavailable, "token_endpoint: " + url.error().internal);
  auto secret = client_secret();
  if (!secret) return tl::unexpected(secret.error());

  std::string form;
  add_param(form, "grant_type", "client_credentials");
  if (!options_.scopes.empty()) {
    std::string scope;
    for (const auto& s : options_.scopes) scope += (scope.empty() ? "" : " ") + s;
    add_param(form, "scope", scope);
  }
  if (!options_.audience.empty()) add_param(form, "audience", options_.audience);
  for (const auto& [name, value] : claims) add_param(form, name, value);

  // HTTP Basic first, then the secret in the form when the server refuses it (RFC 6749 §2.3.1
  // allows both; golang's oauth2 client, which plgd uses, tries them in this order).
  HttpPost basic{.body = form,
                 .authorization = "Basic " + base64(form_encode(options_.client_id) + ":" +
                                                    form_encode(*secret))};
  auto answer = fetcher->post(*url, basic, options_.timeout, kMaxTokenResponseBytes);
  if (answer && (answer->status == 400 || answer->status == 401)) {
    std::string in_form = form;
    add_param(in_form, "client_id", options_.client_id);
    add_param(in_form, "client_secret", *secret);
    answer = fetcher->post(*url, HttpPost{.body = in_form, .authorization = {}}, options_.timeout,
                           kMaxTokenResponseBytes);
  }
  if (!answer) {
    std::lock_guard lock(mutex_);
    token_endpoint_.clear();  // discover again next time: the authority may have moved
    return tl::unexpected(answer.error());
  }
  if (answer->status == 400 || answer->status == 401) {
    return fail(ErrorCode::BadRequest,
                "OAuth authority " + options_.authority + " refused the client credentials of " +
                    quote_untrusted(options_.client_id) + ": " + oauth_error_of(*answer));
  }
  if (answer->status != 200) {
    return fail(ErrorCode::Unavailable, "OAuth authority " + options_.authority +
                                            " answered the token request with " +
                                            oauth_error_of(*answer));
  }
  const json body = json::parse(answer->body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("access_token") || !body["access_token"].is_string()) {
    return fail(ErrorCode::Unavailable, "OAuth authority " + options_.authority +
                                            ": token response without an access_token string");
  }
  Token token;
  token.value = body["access_token"].get<std::string>();

  // The token must say what was asked for (plgd checks the same, in the same words).
  const size_t first = token.value.find('.');
  const size_t second =
      first == std::string::npos ? std::string::npos : token.value.find('.', first + 1);
  const auto payload = second == std::string::npos
                           ? std::nullopt
                           : base64url_decode(token.value.substr(first + 1, second - first - 1));
  const json token_claims =
      payload ? json::parse(*payload, nullptr, /*allow_exceptions=*/false) : json();
  if (!token_claims.is_object()) {
    return fail(ErrorCode::BadRequest, "OAuth authority " + options_.authority +
                                           ": the access token is not a JWT; its claims cannot "
                                           "be checked");
  }
  for (const auto& [name, value] : claims) {
    const auto it = token_claims.find(name);
    if (it == token_claims.end() || !it->is_string() || it->get<std::string>() != value) {
      return fail(ErrorCode::BadRequest, "invalid claim " + name + ": expected " + value +
                                             ", got " +
                                             quote_untrusted(claim_text(token_claims, name)));
    }
  }

  const auto now = Clock::now();
  if (body.contains("expires_in") && body["expires_in"].is_number_integer()) {
    token.expires_at = now + std::chrono::seconds(body["expires_in"].get<int64_t>());
  } else if (token_claims.contains("exp") && token_claims["exp"].is_number_integer()) {
    token.expires_at = Clock::time_point(std::chrono::seconds(token_claims["exp"].get<int64_t>()));
  } else {
    token.expires_at = now;  // no lifetime said: used once, never cached
  }
  const auto life = std::chrono::duration_cast<std::chrono::milliseconds>(token.expires_at - now);
  const std::chrono::milliseconds margin = options_.refresh_margin;
  token.refresh_at = token.expires_at - std::min(margin, std::max(life / 4, {}));
  return token;
}

void ClientCredentialsTokenSource::remember(const std::string& key, const Token& token) {
  if (token.refresh_at <= Clock::now()) return;
  tokens_[key] = token;
  if (tokens_.size() <= options_.max_cached_tokens) return;
  // Over the bound: drop what expires soonest (the expired first).
  auto soonest = std::min_element(tokens_.begin(), tokens_.end(), [](const auto& a, const auto& b) {
    return a.second.expires_at < b.second.expires_at;
  });
  tokens_.erase(soonest);
}

Result<std::string> ClientCredentialsTokenSource::token_for(const TokenRequest& request) {
  if (request.owner_claim.empty() || request.owner.empty()) {
    return fail(ErrorCode::BadRequest, "token request without an owner claim");
  }
  std::vector<std::pair<std::string, std::string>> claims{{request.owner_claim, request.owner}};
  if (!request.device_id_claim.empty()) {
    claims.emplace_back(request.device_id_claim, request.device_id);
  }
  std::string key;
  for (const auto& [name, value] : claims) key += name + '\0' + value + '\0';

  std::unique_lock lock(mutex_);
  const auto now = Clock::now();
  std::optional<Token> stale;  // past its refresh time, not yet expired
  if (auto it = tokens_.find(key); it != tokens_.end()) {
    if (now < it->second.refresh_at) {
      ++stats_.hits;
      return it->second.value;
    }
    if (now < it->second.expires_at) stale = it->second;
  }
  if (auto flight = flights_.find(key); flight != flights_.end()) {
    // Another thread is fetching this very token: wait for its answer instead of asking again.
    ++stats_.waited;
    std::shared_ptr<Flight> shared = flight->second;
    shared->finished.wait(lock, [&] { return shared->done; });
    return shared->result;
  }
  auto flight = std::make_shared<Flight>();
  flights_[key] = flight;
  ++stats_.fetches;
  lock.unlock();

  auto fetched = fetch(claims);

  lock.lock();
  if (fetched) {
    remember(key, *fetched);
    flight->result = fetched->value;
  } else {
    ++stats_.failures;
    flight->result = stale ? Result<std::string>(stale->value)
                           : Result<std::string>(tl::unexpected(fetched.error()));
  }
  flight->done = true;
  flights_.erase(key);
  flight->finished.notify_all();
  return flight->result;
}

ClientCredentialsTokenSource::Stats ClientCredentialsTokenSource::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace dps::auth
