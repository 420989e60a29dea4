#include "device/report.hpp"

#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace dps::device {

using nlohmann::json;

namespace {

std::string code_text(coap::Code code) {
  return code == coap::Code::Empty ? std::string("-") : coap::to_string(code);
}

}  // namespace

namespace {

/// Which identity-session steps succeeded (none ran: all false).
struct IdentitySummary {
  bool ran = false;
  bool token_refreshed = false;
  bool acls = false;
  bool renewed = false;
};

IdentitySummary identity_summary(const ProvisionResult& result) {
  IdentitySummary summary;
  for (const auto& s : result.steps) {
    if (s.session != Session::Identity) continue;
    summary.ran = true;
    if (!s.ok) continue;
    summary.token_refreshed |= s.step == Step::CloudConfiguration;
    summary.acls |= s.step == Step::Acls;
    summary.renewed |= s.step == Step::Credentials;
  }
  return summary;
}

/// "pre-configuration on the manufacturer session: 2 updates, 1 applied, report accepted" and one
/// line per update: "  /oc/con  applied" or "  /x/y  FAILED 4.04".
std::string pre_configuration_text(const PreConfigurationResult& pre) {
  size_t applied = 0;
  for (const auto& r : pre.results) applied += r.ok ? 1 : 0;
  std::string out = "pre-configuration on the " + std::string(to_string(pre.session)) +
                    " session: " + std::to_string(pre.updates.size()) + " updates, " +
                    std::to_string(applied) + " applied, report " +
                    (pre.reported ? "accepted" : "NOT accepted") + "\n";
  char line[384];
  for (size_t i = 0; i < pre.results.size(); ++i) {
    const auto& r = pre.results[i];
    std::snprintf(line, sizeof line, "  %-32s %s", r.href.c_str(),
                  r.ok ? "applied" : ("FAILED " + r.error).c_str());
    out += line;
    if (r.ok && i < pre.updates.size()) out += " " + pre.updates[i].representation;
    out += '\n';
  }
  return out;
}

json pre_configuration_json(const PreConfigurationResult& pre) {
  json updates = json::array();
  for (const auto& u : pre.updates) {
    json rep = json::parse(u.representation, nullptr, false);
    updates.push_back(
        {{"href", u.href}, {"rep", rep.is_discarded() ? json(u.representation) : rep}});
  }
  json results = json::array();
  for (const auto& r : pre.results) {
    json entry = {{"href", r.href}, {"ok", r.ok}};
    if (!r.ok) entry["error"] = r.error;
    results.push_back(std::move(entry));
  }
  json resources = json::object();
  for (const auto& [href, text] : pre.resources) {
    json rep = json::parse(text, nullptr, false);
    resources[href] = rep.is_discarded() ? json(text) : rep;
  }
  return {{"session", to_string(pre.session)},
          {"reported", pre.reported},
          {"updates", std::move(updates)},
          {"results", std::move(results)},
          {"resources", std::move(resources)}};
}

// The failed step as reports name it: "connect" when its session never came up.
std::string failed_step_name(const ProvisionResult& result) {
  StepOutcome failed;
  failed.step = *result.failed_step;
  failed.session = result.failed_session;
  failed.connect_failure = result.connect_failure;
  return step_name(failed);
}

bool ran_manufacturer_session(const ProvisionResult& result) {
  for (const auto& s : result.steps) {
    if (s.session == Session::Manufacturer) return true;
  }
  return false;
}

}  // namespace

std::string format_text(const ProvisionResult& result) {
  std::string out;
  char line[256];
  for (const auto& s : result.steps) {
    std::snprintf(line, sizeof line, "%-28s %-5s %9lld us  %s", step_name(s).c_str(),
                  code_text(s.code).c_str(), static_cast<long long>(s.latency_us),
                  s.ok ? "ok" : "FAILED");
    out += line;
    if (!s.ok) out += ": " + s.error;
    out += '\n';
  }
  if (result.pre_configuration) out += pre_configuration_text(*result.pre_configuration);
  const auto identity = identity_summary(result);
  if (!result.ok) {
    const bool identity_failed = result.failed_step && result.failed_session == Session::Identity;
    out += (identity_failed ? "identity session of device " : "provisioning of device ") +
           result.device_id + " FAILED";
    if (result.failed_step) {
      out += " at step " + failed_step_name(result);
    }
    out += ": " + result.error + '\n';
    return out;
  }
  if (ran_manufacturer_session(result) || !identity.ran) {
    out += "provisioned device " + result.device_id + ": owner " + result.owner_uuid + ", hub " +
           result.hub.sid + " at " + result.hub.cis + ", " +
           std::to_string(result.credentials.credtypes.size()) + " creds, " +
           std::to_string(result.ace_count) + " ACEs, total " +
           std::to_string(result.total_us / 1000) + " ms\n";
  }
  if (identity.ran) {
    out += "identity session of device " + result.device_id + ":";
    if (identity.token_refreshed)
      out += " hub token refreshed (" + result.hub.sid + " at " + result.hub.cis + ")";
    if (identity.acls) out += " " + std::to_string(result.ace_count) + " ACEs";
    if (identity.renewed) out += " certificate renewed";
    out += "\n";
  }
  return out;
}

std::string format_json(const ProvisionResult& result, bool include_secrets) {
  json steps = json::array();
  for (const auto& s : result.steps) {
    json payload = json::parse(s.payload, nullptr, false);
    if (payload.is_discarded()) payload = s.payload;
    steps.push_back(
        {{"step", s.connect_failure ? json("connect") : json(to_string(s.step))},
         {"connectFailure", s.connect_failure ? json(to_string(*s.connect_failure)) : json()},
         {"session", to_string(s.session)},
         {"code", code_text(s.code)},
         {"latencyUs", s.latency_us},
         {"ok", s.ok},
         {"error", s.error},
         {"payload", payload}});
  }
  const auto identity = identity_summary(result);
  json servers = json::array();
  for (const auto& g : result.hub.servers) servers.push_back({{"uri", g.uri}, {"id", g.id}});
  json j = {{"ok", result.ok},
            {"deviceId", result.device_id},
            {"failedStep", !result.failed_step      ? json()
                           : result.connect_failure ? json("connect")
                                                    : json(to_string(*result.failed_step))},
            {"connectFailure",
             result.connect_failure ? json(to_string(*result.connect_failure)) : json()},
            {"registrationId", result.registration_id},
            {"failedSession", result.failed_step ? json(to_string(result.failed_session)) : json()},
            {"error", result.error},
            {"steps", steps},
            {"identitySession",
             {{"ran", identity.ran},
              {"tokenRefreshed", identity.token_refreshed},
              {"aclsFetched", identity.acls},
              {"renewed", identity.renewed}}},
            {"serverTime", result.server_time},
            {"ownerUuid", result.owner_uuid},
            {"hub",
             {{"apn", result.hub.apn},
              {"cis", result.hub.cis},
              {"sid", result.hub.sid},
              {"at", result.hub.at},
              {"servers", servers}}},
            {"credentials",
             {{"subjectUuid", result.credentials.subject_uuid},
              {"certificateChainPem", result.credentials.cert_chain_pem},
              {"privateKeyPem", result.credentials.private_key_pem},
              {"trustCaPem", result.credentials.trust_ca_pem},
              {"credtypes", result.credentials.credtypes},
              {"psk", result.credentials.psk.has_value()}}},
            {"aceCount", result.ace_count},
            {"preConfiguration",
             result.pre_configuration ? pre_configuration_json(*result.pre_configuration) : json()},
            {"totalUs", result.total_us}};
  if (!include_secrets) {
    // The device's private key and its hub access token are credentials: a report is shown,
    // pasted and logged, so it leaves them out unless asked.
    j["credentials"].erase("privateKeyPem");
    j["hub"].erase("at");
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<std::pair<std::string, uint16_t>> parse_host_port(std::string_view text) {
  std::string host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
      value > 65535) {
    return std::nullopt;
  }
  return std::pair{host, static_cast<uint16_t>(value)};
}

}  // namespace dps::device
