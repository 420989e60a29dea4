#include "record_status.hpp"

#include <array>
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

}  // namespace

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
