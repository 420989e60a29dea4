#include "provisioning/hub_token_sources.hpp"

#include <spdlog/spdlog.h>

#include "auth/client_credentials.hpp"
#include "log/quoted.hpp"
#include "metrics/metrics.hpp"
#include "pki/pem.hpp"

namespace dps::provisioning {

Result<std::shared_ptr<auth::TokenSource>> HubTokenSources::for_hub(const store::Hub& hub) {
  const store::OAuthProvider& provider = hub.authorization.provider;
  return sources_.get(hub.id, provider, [&]() -> Result<std::shared_ptr<auth::TokenSource>> {
    auth::ClientCredentialsOptions options;
    options.authority = provider.authority;
    options.client_id = provider.client_id;
    options.client_secret = provider.client_secret;
    options.client_secret_file = provider.client_secret_file;
    options.ca_pem = provider.ca_pool;
    if (provider.use_system_ca_pool && !provider.ca_pool.empty()) {
      auto system = pki::system_ca_bundle();
      if (!system) {
        return fail(ErrorCode::BadRequest, "hub " + hub.hub_id + ": " + system.error().internal);
      }
      options.ca_pem += "\n" + *system;
    }
    options.scopes = provider.scopes;
    options.audience = provider.audience;
    options.timeout = timeout_;
    auto made = auth::ClientCredentialsTokenSource::create(std::move(options));
    if (!made) {
      return fail(ErrorCode::BadRequest,
                  "hub " + hub.hub_id + ": authorization.provider: " + made.error().internal);
    }
    return std::shared_ptr<auth::TokenSource>(std::move(*made));
  });
}

Result<std::string> HubTokenSources::token(const store::Hub& hub,
                                           const auth::TokenRequest& request) {
  auto source = for_hub(hub);
  if (!source) return tl::unexpected(source.error());
  const std::optional<KeyedConcurrencyLimit::Slot> slot =
      calls_ != nullptr ? calls_->try_acquire(hub.owner) : std::nullopt;
  if (calls_ != nullptr && !slot) {
    Error busy{ErrorCode::Unavailable,
               "hub " + hub.hub_id + ": its owner's hubs have too many calls in flight",
               "too many requests to this hub's authority in flight, retry"};
    note_failure(hub, busy);
    return tl::unexpected(std::move(busy));
  }
  auto token = (*source)->token_for(request);
  if (!token) {
    note_failure(hub, token.error());
    // As for certificate authorities (hub_certificate_authorities.cpp): the authority is the hub
    // owner's choice and the record theirs to read, so connection details stay in dps's log.
    if (token.error().code == ErrorCode::Unavailable) {
      return fail(ErrorCode::Unavailable,
                  "OAuth authority " + hub.authorization.provider.authority +
                      " unavailable (no usable answer within the deadline); dps's log has the "
                      "detail",
                  token.error().external);
    }
  }
  return token;
}

void HubTokenSources::note_failure(const store::Hub& hub, const Error& error) {
  const bool refused = error.code == ErrorCode::BadRequest;
  if (metrics_) metrics_->on_hub_token_failure(refused);
  if (const auto line = failure_lines_.next(); line.write) {
    spdlog::warn("hub {} token from {} {}: {}{}", hub.hub_id,
                 log::quoted(hub.authorization.provider.authority),
                 refused ? "refused" : "unavailable", error.internal, line.note());
  }
}

void HubTokenSources::retain(const std::set<std::string, std::less<>>& hub_ids) {
  sources_.retain(hub_ids);
}

size_t HubTokenSources::size() const { return sources_.size(); }

}  // namespace dps::provisioning
