// A template's `accessControlList` (management-api.md "Enrollment templates"): ACEs in the form a
// device's /oic/sec/acl2 takes them (OCF Security spec, oic.sec.ace2) without "if", rebuilt field
// by field so that only what was checked is stored and sent to devices.
#include <string>

#include "api/codec_support.hpp"
#include "common/resource_updates.hpp"

namespace dps::api::codec {
namespace {

using nlohmann::json;

// Every device of every enrollment naming the template gets these ACEs: bounded so that one
// template cannot make each provisioning carry an unbounded ACL.
constexpr size_t kMaxAces = 32;
constexpr size_t kMaxResourcesPerAce = 32;
constexpr size_t kMaxRoleLength = 256;
// oic.sec.crudntype bits: C=1 R=2 U=4 D=8 N=16.
constexpr int64_t kMaxPermission = 31;

std::string indexed(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

// A role subject is flat in OCF's oic.sec.ace2 ({"role": ..., "authority": ...}): devices read
// both as text, so that is the form stored and sent.
void read_role(JsonReader& subject, json& out) {
  const std::string name = subject.string("role");
  const std::string authority = subject.string("authority");
  if (name.empty()) subject.fail("role", "required (a non-empty string)");
  if (name.size() > kMaxRoleLength) subject.fail("role", "longer than 256 characters");
  if (authority.size() > kMaxRoleLength) {
    subject.fail("authority", "longer than 256 characters");
  }
  out["role"] = name;
  if (!authority.empty()) out["authority"] = authority;
}

// oic.sec.ace2 subject: exactly one of a device (uuid), a connection type, or a role.
json read_subject(JsonReader& ace) {
  auto subject = ace.object("subject");
  const std::string choices = "one of uuid, conntype, role required";
  if (!subject) {
    ace.fail("subject", choices);
    return {};
  }
  const int given = subject->has("uuid") + subject->has("conntype") + subject->has("role");
  if (given != 1) {
    ace.fail("subject", given == 0 ? choices : "give only one of uuid, conntype, role");
    return {};
  }
  json out = json::object();
  if (subject->has("uuid")) {
    const std::string text = subject->string("uuid");
    auto uuid = canonical_uuid(text);
    if (!uuid) subject->fail("uuid", "must be a UUID, got \"" + text + "\"");
    out["uuid"] = uuid.value_or("");
  } else if (subject->has("conntype")) {
    const std::string conntype = subject->string("conntype");
    if (conntype != "auth-crypt" && conntype != "anon-clear") {
      subject->fail("conntype",
                    "must be \"auth-crypt\" or \"anon-clear\", got \"" + conntype + "\"");
    }
    out["conntype"] = conntype;
  } else {
    read_role(*subject, out);
  }
  subject->finish();
  return out;
}

json read_resource(JsonReader& ace, const json& item, const std::string& path, size_t j,
                   Problem& problem) {
  JsonReader resource(item, path, problem);
  const bool by_href = resource.has("href");
  const bool by_wildcard = resource.has("wc");
  json out = json::object();
  if (by_href == by_wildcard) {
    ace.fail(indexed("resources", j), "give exactly one of href, wc");
  } else if (by_href) {
    const std::string href = resource.string("href");
    if (auto why = resource_updates::href_problem(href); !why.empty()) resource.fail("href", why);
    out["href"] = href;
  } else {
    const std::string wildcard = resource.string("wc");
    if (wildcard != "*" && wildcard != "+" && wildcard != "-") {
      resource.fail("wc", "must be \"*\", \"+\" or \"-\", got \"" + wildcard + "\"");
    }
    out["wc"] = wildcard;
  }
  resource.finish();
  return out;
}

json read_resources(JsonReader& ace, Problem& problem) {
  const json* resources = ace.raw("resources");
  json out = json::array();
  if (!resources) {
    ace.fail("resources", "required (a non-empty array of {href} or {wc})");
  } else if (!resources->is_array()) {
    ace.fail("resources", "expected an array");
  } else if (resources->empty()) {
    ace.fail("resources", "must not be empty");
  } else if (resources->size() > kMaxResourcesPerAce) {
    ace.fail("resources", "at most " + std::to_string(kMaxResourcesPerAce) + " entries, got " +
                              std::to_string(resources->size()));
  } else {
    for (size_t j = 0; j < resources->size(); ++j) {
      out.push_back(
          read_resource(ace, (*resources)[j], ace.path_of(indexed("resources", j)), j, problem));
    }
  }
  return out;
}

json read_ace(JsonReader& ace, Problem& problem) {
  json out = json::object();
  out["subject"] = read_subject(ace);
  out["resources"] = read_resources(ace, problem);
  if (!ace.has("permission")) ace.fail("permission", "required (0..31)");
  const int64_t permission = ace.int64("permission");
  if (permission < 0 || permission > kMaxPermission) {
    ace.fail("permission", "must be 0..31, got " + std::to_string(permission));
  }
  out["permission"] = permission;
  ace.finish();
  return out;
}

}  // namespace

json access_control_list_field(JsonReader& root, Problem& problem) {
  constexpr std::string_view kKey = "accessControlList";
  json out = json::array();
  const json* aces = root.raw(kKey);
  if (!aces) return out;
  if (!aces->is_array()) {
    root.fail(kKey, "expected an array");
  } else if (aces->size() > kMaxAces) {
    root.fail(kKey,
              "at most " + std::to_string(kMaxAces) + " ACEs, got " + std::to_string(aces->size()));
  } else {
    for (size_t i = 0; i < aces->size(); ++i) {
      JsonReader ace((*aces)[i], root.path_of(indexed(kKey, i)), problem);
      out.push_back(read_ace(ace, problem));
    }
  }
  return out;
}

}  // namespace dps::api::codec
