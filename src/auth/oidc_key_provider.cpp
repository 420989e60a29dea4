#include "auth/oidc_key_provider.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "auth/http_fetch.hpp"
#include "auth/jwks.hpp"
#include "common/untrusted_text.hpp"
#include "log/quoted.hpp"

namespace dps::auth {
namespace {

constexpr std::string_view kDiscoveryPath = "/.well-known/openid-configuration";
constexpr size_t kMaxDiscoveryBytes = 256 * 1024;
constexpr size_t kMaxJwksBytes = 1024 * 1024;
constexpr std::chrono::seconds kFirstRetry{1};
constexpr std::chrono::seconds kMaxRetry{60};

std::string_view without_trailing_slashes(std::string_view url) {
  while (url.ends_with('/')) url.remove_suffix(1);
  return url;
}

// OpenID Connect Discovery 1.0 §4.3: the document's "issuer" MUST be identical to the URL it was
// fetched for, or an authority (or whoever answers at its address) could hand out another
// issuer's identity. Trailing slashes are the one difference tolerated, on both sides: §4.1
// removes them before appending the well-known path, so "https://a/x" and "https://a/x/" name
// the same document. Tolerating them widens nothing: tokens must then carry the document's
// issuer byte for byte (the keys are stored with it).
Result<std::string> checked_issuer(const nlohmann::json& doc, std::string_view authority) {
  auto issuer = doc.find("issuer");
  if (issuer == doc.end() || !issuer->is_string() || issuer->get<std::string>().empty()) {
    return fail(ErrorCode::Unavailable, "discovery document has no \"issuer\" string");
  }
  std::string value = issuer->get<std::string>();
  if (without_trailing_slashes(value) != without_trailing_slashes(authority)) {
    return fail(ErrorCode::Unavailable,
                "discovery document issuer " + quote_untrusted(value, 256) +
                    " is not the configured authority \"" + std::string(authority) +
                    "\" (OpenID Connect Discovery 1.0 §4.3): no keys taken from it");
  }
  return value;
}

// https everywhere; http only where no network sits between us and the authority.
Result<HttpUrl> parse_key_url(std::string_view url) {
  auto parsed = parse_http_url(url);
  if (!parsed) return parsed;
  if (!parsed->tls && !is_loopback_host(parsed->host)) {
    return fail(ErrorCode::BadRequest,
                "URL \"" + std::string(url) + "\": must be https (http only for loopback hosts)");
  }
  return parsed;
}

}  // namespace

Result<std::shared_ptr<OidcKeyProvider>> OidcKeyProvider::start(OidcKeyProviderOptions options) {
  std::string authority = options.authority;
  while (authority.ends_with('/')) authority.pop_back();
  auto discovery = parse_key_url(authority + std::string(kDiscoveryPath));
  if (!discovery) return tl::unexpected(discovery.error());
  if (discovery->target.find('?') != std::string::npos) {
    return fail(ErrorCode::BadRequest, "authority \"" + options.authority + "\" has a query");
  }
  if (options.refresh_interval.count() <= 0 || options.on_demand_interval.count() < 0 ||
      options.timeout.count() <= 0) {
    return fail(ErrorCode::BadRequest, "OIDC key refresh intervals and timeout must be positive");
  }
  auto fetcher = HttpFetcher::create(options.ca_pem);
  if (!fetcher) return tl::unexpected(fetcher.error());
  options.authority = std::move(authority);
  std::shared_ptr<OidcKeyProvider> provider(
      new OidcKeyProvider(std::move(options), std::move(*fetcher)));
  provider->worker_ = std::thread([raw = provider.get()] { raw->run(); });
  return provider;
}

OidcKeyProvider::OidcKeyProvider(OidcKeyProviderOptions options,
                                 std::unique_ptr<HttpFetcher> fetcher)
    : options_(std::move(options)), fetcher_(std::move(fetcher)) {}

OidcKeyProvider::~OidcKeyProvider() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  fetcher_->cancel();
  if (worker_.joinable()) worker_.join();
}

std::shared_ptr<const KeySet> OidcKeyProvider::current() {
  std::lock_guard lock(mutex_);
  return keys_;
}

void OidcKeyProvider::refresh_soon() {
  std::lock_guard lock(mutex_);
  if (on_demand_pending_) return;  // already coalesced into the next on-demand fetch
  on_demand_pending_ = true;
  changed_.notify_all();
}

OidcKeyProvider::Status OidcKeyProvider::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

bool OidcKeyProvider::wait_for_attempts(uint64_t attempts,
                                        std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return status_.attempts >= attempts; });
}

void OidcKeyProvider::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto now = Clock::now();
    const bool on_demand = on_demand_pending_ && now >= next_on_demand_;
    if (now < next_periodic_ && !on_demand) {
      auto wake = next_periodic_;
      if (on_demand_pending_) wake = std::min(wake, next_on_demand_);
      changed_.wait_until(lock, wake);
      continue;
    }
    // Any fetch starting now answers the pending request; only on-demand ones use up the window.
    on_demand_pending_ = false;
    if (on_demand) next_on_demand_ = now + options_.on_demand_interval;
    lock.unlock();
    auto keys = fetch();
    lock.lock();

    ++status_.attempts;
    if (keys) {
      keys_ = std::move(*keys);
      status_.has_keys = true;
      status_.last_error.clear();
      retry_delay_ = kFirstRetry;
      next_periodic_ = Clock::now() + options_.refresh_interval;
    } else {
      ++status_.failures;
      status_.last_error = keys.error().internal;
      // Keep serving the last good keys: an authority blip must not log everybody out.
      const auto delay = std::min({retry_delay_, kMaxRetry, options_.refresh_interval});
      next_periodic_ = Clock::now() + delay;
      retry_delay_ = std::min(retry_delay_ * 2, kMaxRetry);
      if (!stopping_) {
        spdlog::warn("oidc authority={} key fetch failed (retry in {} s, keys {}): {}",
                     options_.authority, delay.count(), keys_ ? "kept" : "unavailable",
                     log::quoted(status_.last_error));
      }
    }
    changed_.notify_all();
  }
}

Result<std::shared_ptr<const KeySet>> OidcKeyProvider::fetch() {
  auto discovery_url = parse_key_url(options_.authority + std::string(kDiscoveryPath));
  if (!discovery_url) return tl::unexpected(discovery_url.error());
  auto discovery = fetcher_->get(*discovery_url, options_.timeout, kMaxDiscoveryBytes);
  if (!discovery) return tl::unexpected(discovery.error());
  auto doc = nlohmann::json::parse(*discovery, nullptr, /*allow_exceptions=*/false);
  auto jwks_uri = doc.is_object() ? doc.find("jwks_uri") : doc.end();
  if (!doc.is_object() || jwks_uri == doc.end() || !jwks_uri->is_string()) {
    return fail(ErrorCode::Unavailable,
                discovery_url->text() + ": not a discovery document with a \"jwks_uri\" string");
  }
  auto issuer = checked_issuer(doc, options_.authority);
  if (!issuer)
    return fail(ErrorCode::Unavailable, discovery_url->text() + ": " + issuer.error().internal);
  auto jwks_url = parse_key_url(jwks_uri->get<std::string>());
  if (!jwks_url) return fail(ErrorCode::Unavailable, "jwks_uri: " + jwks_url.error().internal);
  auto text = fetcher_->get(*jwks_url, options_.timeout, kMaxJwksBytes);
  if (!text) return tl::unexpected(text.error());

  // keys_ and keys_text_ are written by this thread only, so reading them here needs no lock.
  // Returning the same set for the same text keeps its identity (CompositeKeyProvider's cache).
  if (keys_ && *text == keys_text_ && *issuer == keys_issuer_) return keys_;
  auto keys = KeySet::parse(*text, KeySetOptions{*issuer, {}});
  if (!keys) return fail(ErrorCode::Unavailable, jwks_url->text() + ": " + keys.error().internal);
  for (const auto& line : (*keys)->skipped()) {
    // The authority's text (key ids) quoted: one compromised IdP must not forge dps's log lines.
    spdlog::warn("oidc authority={} JWKS {} skipped {}", options_.authority, jwks_url->text(),
                 log::quoted(line));
  }
  if ((*keys)->size() == 0) {
    return fail(ErrorCode::Unavailable, jwks_url->text() + ": no usable verification key");
  }
  spdlog::info("oidc authority={} loaded {} signing keys from {}", options_.authority,
               (*keys)->size(), jwks_url->text());
  keys_text_ = std::move(*text);
  keys_issuer_ = std::move(*issuer);
  return keys;
}

}  // namespace dps::auth
