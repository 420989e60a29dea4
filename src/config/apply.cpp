// Binding of the schema's Config targets, and the few top-level keys that need code.
#include <limits>
#include <type_traits>

#include "config/convert.hpp"
#include "config/schema.hpp"

namespace dps::config {
namespace {

using std::chrono::duration_cast;
using std::chrono::nanoseconds;

// RFC 8323 §5.3.1: every peer must accept messages of 1152 bytes before any CSM is seen, so a
// smaller limit would reject conforming devices.
constexpr uint32_t kMinMaxMessageSize = 1152;

Result<void> assign(const schema::Key& key, const Node& node, Config& config) {
  const std::string& path = node.path;
  auto mismatch = [&] {
    return fail(ErrorCode::Internal, "config schema bug: " + path + " kind does not match target");
  };
  return std::visit(
      [&](auto ref) -> Result<void> {
        using Ref = decltype(ref);
        if constexpr (std::is_same_v<Ref, std::monostate>) {
          return {};
        } else if constexpr (std::is_same_v<Ref, schema::StringRef>) {
          auto* text = std::get_if<std::string>(&node.value);
          if (!text) return mismatch();
          ref(config) = *text;
        } else if constexpr (std::is_same_v<Ref, schema::BoolRef>) {
          auto* flag = std::get_if<bool>(&node.value);
          if (!flag) return mismatch();
          ref(config) = *flag;
        } else if constexpr (std::is_same_v<Ref, schema::UintRef>) {
          auto* number = std::get_if<uint64_t>(&node.value);
          if (!number) return mismatch();
          if (*number > std::numeric_limits<uint32_t>::max()) {
            return invalid(path, "expected at most 4294967295, got " + std::to_string(*number));
          }
          ref(config) = static_cast<uint32_t>(*number);
        } else {
          // Durations: sub-unit remainders are dropped, zero is refused (a zero timeout or
          // validity is never what an operator means).
          auto* span = std::get_if<nanoseconds>(&node.value);
          if (!span) return mismatch();
          using Unit = std::remove_reference_t<decltype(ref(config))>;
          auto value = duration_cast<Unit>(*span);
          if (value.count() <= 0) {
            return invalid(path, std::string("must be at least 1") +
                                     (std::is_same_v<Unit, std::chrono::seconds> ? "s" : "ms"));
          }
          ref(config) = value;
        }
        return {};
      },
      key.target);
}

// Smaller limits would refuse ordinary enrollment groups (a chain of two certificates is ~2 KiB).
constexpr uint32_t kMinApiBodySize = 16 * 1024;

Result<void> apply_protocols(const Node& doc, CoapApi& coap) {
  const Node* node = doc.at("apis.coap.protocols");
  if (!node || std::holds_alternative<std::monostate>(node->value)) return {};
  const auto& protocols = std::get<std::vector<std::string>>(node->value);
  if (protocols.empty()) return invalid(node->path, "expected tcp, udp or both");
  coap.tcp = coap.udp = false;
  for (size_t i = 0; i < protocols.size(); ++i) {
    std::string path = node->path + "[" + std::to_string(i) + "]";
    bool& protocol = protocols[i] == "tcp" ? coap.tcp : coap.udp;
    if (protocols[i] != "tcp" && protocols[i] != "udp") {
      return invalid(path, "expected tcp or udp, got \"" + protocols[i] + "\"");
    }
    if (protocol) return invalid(path, protocols[i] + " is listed twice");
    protocol = true;
  }
  return {};
}

Result<void> apply_authorities(const Node& doc, Config& config) {
  const Node* endpoints = doc.at("apis.http.authorization.endpoints");
  if (!endpoints) return {};
  for (const Node& endpoint : endpoints->items) {
    auto authority = endpoint.get<std::string>("authority");
    // plgd's shipped config.yaml lists one endpoint with an empty authority: skip, don't fail.
    if (!authority.empty()) config.http.authorities.push_back(std::move(authority));
  }
  return {};
}

}  // namespace

Result<void> apply_settings(const Node& doc, Config& config) {
  for (const schema::Key& key : schema::keys()) {
    if (std::holds_alternative<std::monostate>(key.target)) continue;
    const Node* node = doc.at(key.path);
    if (!node || std::holds_alternative<std::monostate>(node->value)) continue;
    if (auto done = assign(key, *node, config); !done) return done;
  }
  if (auto done = apply_protocols(doc, config.coap); !done) return done;
  if (auto done = apply_authorities(doc, config); !done) return done;
  if (config.coap.max_message_size < kMinMaxMessageSize) {
    return invalid("apis.coap.maxMessageSize", "must be at least 1152 (RFC 8323 §5.3.1), got " +
                                                   std::to_string(config.coap.max_message_size));
  }
  if (config.coap.max_connections == 0) {
    return invalid("apis.coap.maxConnections", "must be at least 1");
  }
  if (config.coap.max_requests_per_session == 0) {
    return invalid("apis.coap.maxRequestsPerSession", "must be at least 1");
  }
  if (config.coap.connection_rate_per_source > 0 && config.coap.connection_rate_burst == 0) {
    return invalid("apis.coap.connectionRate.burst",
                   "must be at least 1 while connectionRate.perSource is set");
  }
  if (config.http.rate_per_token > 0 && config.http.rate_burst == 0) {
    return invalid("apis.http.rateLimit.burst",
                   "must be at least 1 while rateLimit.perToken is set");
  }
  if (config.http.max_connections == 0) {
    return invalid("apis.http.maxConnections", "must be at least 1");
  }
  if (config.http.connection_rate_per_source > 0 && config.http.connection_rate_burst == 0) {
    return invalid("apis.http.connectionRate.burst",
                   "must be at least 1 while connectionRate.perSource is set");
  }
  if (config.storage.postgres.max_connections == 0) {
    return invalid("clients.storage.postgres.maxConnections", "must be at least 1");
  }
  // Accepting true and logging nothing would let an operator believe bodies are being captured.
  if (config.log.dump_body) {
    return invalid("log.dumpBody",
                   "true is not supported: dps never logs request or response bodies (they carry "
                   "PSKs, tokens and private keys); remove the key or set it to false");
  }
  if (config.http.max_body_size < kMinApiBodySize) {
    return invalid("apis.http.maxBodySize", "must be at least " + std::to_string(kMinApiBodySize) +
                                                " (an enrollment group with its chain), got " +
                                                std::to_string(config.http.max_body_size));
  }
  if (config.http.enabled && config.http.admin_token.enabled &&
      config.http.admin_token.owner.empty()) {
    return invalid("apis.http.adminToken.owner", "must not be empty while adminToken is enabled");
  }
  return {};
}

}  // namespace dps::config
