#include "record_status.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <utility>

namespace dps::dpsctl {
namespace {

using nlohmann::json;

// Record sections (api/record_json.cpp) and the names operators know the steps by.
constexpr std::array<std::pair<const char*, const char*>, 6> kSteps{{{"attestation", "attestation"},
                                                                     {"plgdTime", "time"},
                                                                     {"ownership", "ownership"},
                                                                     {"cloud", "cloud"},
                                                                     {"credential", "credentials"},
                                                                     {"acl", "acls"}}};

// RFC 7252 §3: the code byte is class (3 bits) "." detail (5 bits), e.g. 132 = 4.04.
std::string coap_code_text(int code) {
  const int detail = code & 0x1f;
  return std::to_string(code >> 5) + "." + (detail < 10 ? "0" : "") + std::to_string(detail);
}

std::string step_outcome(const json& status) {
  const auto code_field = status.find("coapCode");
  const int code =
      code_field != status.end() && code_field->is_number_integer() ? code_field->get<int>() : 0;
  const auto message = status.find("errorMessage");
  const bool has_error =
      message != status.end() && message->is_string() && !message->get<std::string>().empty();
  if (code >> 5 == 2 && !has_error) return "ok";
  return code == 0 ? "failed" : coap_code_text(code);
}

// A section's outcome in either view the API gives (api/record_json.hpp). plgd's (the default):
// `plgdTime` is a ProvisionStatus itself, and `attestation` has no status because it is only
// written for a handshake that passed. dps's `view=ocf`: every section holds {"status": ...}.
std::string section_outcome(const std::string& section, const json& step) {
  const auto status = step.find("status");
  if (status != step.end() && status->is_object()) return step_outcome(*status);
  if (section == "attestation") return "ok";
  return step.contains("coapCode") || step.contains("date") ? step_outcome(step) : "?";
}

const json* status_of(const json& step) {
  const auto status = step.find("status");
  if (status != step.end() && status->is_object()) return &*status;
  return step.contains("coapCode") ? &step : nullptr;
}

// protobuf-JSON int64: a string of nanoseconds since the epoch (a number accepted too).
int64_t nanos_of(const json& value) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (!value.is_string()) return 0;
  try {
    return std::stoll(value.get<std::string>());
  } catch (const std::exception&) {
    return 0;
  }
}

int64_t latest_date(const json& object) {
  int64_t latest = 0;
  if (!object.is_object()) return 0;
  for (const auto& [key, value] : object.items()) {
    if (key == "date") latest = std::max(latest, nanos_of(value));
    if (value.is_object()) latest = std::max(latest, latest_date(value));
  }
  return latest;
}

std::string utc_text(int64_t nanos) {
  const std::time_t seconds = static_cast<std::time_t>(nanos / 1'000'000'000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

}  // namespace

std::string record_time(const json& record) {
  int64_t latest = latest_date(record);
  if (latest == 0) {
    if (const auto created = record.find("creationDate"); created != record.end()) {
      latest = nanos_of(*created);
    }
  }
  return latest > 0 ? utc_text(latest) : "";
}

std::string failure_reason(const json& record) {
  for (const auto& [section, label] : kSteps) {
    const auto step = record.find(section);
    if (step == record.end() || !step->is_object()) continue;
    const json* status = status_of(*step);
    if (status == nullptr) continue;
    const std::string outcome = step_outcome(*status);
    if (outcome == "ok") continue;
    const auto message = status->find("errorMessage");
    const std::string text =
        message != status->end() && message->is_string() ? message->get<std::string>() : outcome;
    return std::string(label) + ": " + text;
  }
  // A refusal before any step (at the handshake) is kept by newer servers in a section of its
  // own; whatever it is called, a "reason" member of a top-level object is shown.
  for (const auto& [key, value] : record.items()) {
    if (!value.is_object()) continue;
    const auto reason = value.find("reason");
    if (reason != value.end() && reason->is_string())
      return key + ": " + reason->get<std::string>();
  }
  return "";
}

std::string record_status(const json& record) {
  std::string out;
  for (const auto& [section, label] : kSteps) {
    const auto step = record.find(section);
    if (step == record.end() || !step->is_object()) continue;
    out += (out.empty() ? "" : ", ") + std::string(label) + " " + section_outcome(section, *step);
  }
  return out;
}

}  // namespace dps::dpsctl
