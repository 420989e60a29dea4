#include "device/checks.hpp"

#include <cctype>
#include <ctime>

#include "device/cbor_payload.hpp"

namespace dps::device {

using coap::Code;
using coap::Message;
using detail::json;
using detail::string_at;

namespace {

Result<json> decode_map(const Message& m) {
  auto j = detail::decode_cbor(m);
  if (!j) return j;
  if (!j->is_object()) return fail(ErrorCode::BadRequest, "payload is not a CBOR map");
  if (j->contains("redirecturi")) {
    return fail(ErrorCode::BadRequest, "unexpected redirecturi: the device would switch DPS");
  }
  return j;
}

/// Code, content format, CBOR map: the common prefix of every check.
Result<json> accepted_map(const Message& m, Code expected) {
  if (auto ok = check_code(m, expected); !ok) return tl::unexpected(ok.error());
  if (auto ok = check_content_format(m); !ok) return tl::unexpected(ok.error());
  return decode_map(m);
}

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

/// oic.sec.ace2 subject as iotivity-lite decodes it (oc_acl.c): one of {"uuid": UUID or "*"},
/// {"role": text, "authority"?: text} (oic.sec.roletype, flat) or {"conntype": "auth-crypt" |
/// "anon-clear"}, every value a text string: the device reads each as a string whatever its type,
/// so a nested map there is undefined behaviour on the device. "" when it is one of them.
std::string subject_problem(const json& subject) {
  for (const auto& [key, value] : subject.items()) {
    if (!value.is_string()) return "\"" + key + "\" is not a text string";
  }
  if (subject.size() == 1 && subject.contains("uuid")) {
    const auto& uuid = subject["uuid"].get_ref<const std::string&>();
    return is_uuid(uuid) || uuid == "*" ? "" : "uuid is not a UUID or \"*\"";
  }
  if (subject.size() == 1 && subject.contains("conntype")) {
    const auto& type = subject["conntype"].get_ref<const std::string&>();
    return type == "auth-crypt" || type == "anon-clear" ? "" : "unknown conntype";
  }
  const bool role =
      subject.contains("role") && subject.size() == (subject.contains("authority") ? 2u : 1u);
  return role ? "" : "not one of {uuid}, {role, authority}, {conntype}";
}

}  // namespace

Result<void> check_code(const Message& response, Code expected) {
  if (response.code == expected) return {};
  std::string why =
      "expected " + coap::to_string(expected) + ", got " + coap::to_string(response.code);
  if (!response.payload.empty() && !response.content_format()) {
    why += ": " + std::string(response.payload_text().substr(0, 200));
  }
  return fail(ErrorCode::BadRequest, why);
}

Result<void> check_content_format(const Message& response) {
  const auto cf = response.content_format();
  if (cf == coap::content_format::kCbor || cf == coap::content_format::kOcfCbor) return {};
  return fail(ErrorCode::BadRequest,
              "response without content format 60/10000 is ignored by the device (got " +
                  (cf ? std::to_string(*cf) : std::string("none")) + ")");
}

std::string payload_text(const Message& response) {
  if (response.payload.empty()) return {};
  const auto cf = response.content_format();
  if (cf == coap::content_format::kCbor || cf == coap::content_format::kOcfCbor) {
    if (auto j = detail::decode_cbor(response)) return j->dump();
  }
  return std::string(response.payload_text().substr(0, 1024));
}

Result<TimeAnswer> check_time_response(const Message& response) {
  auto j = accepted_map(response, Code::Content);
  if (!j) return tl::unexpected(j.error());
  const std::string* time = string_at(*j, "time");
  if (!time) return fail(ErrorCode::BadRequest, "time: missing or not a string");
  auto parsed = parse_rfc3339(*time);
  if (!parsed) return fail(ErrorCode::BadRequest, "time: not RFC 3339: " + *time);
  return TimeAnswer{*time, *parsed};
}

Result<std::string> check_ownership_response(const Message& response) {
  auto j = accepted_map(response, Code::Content);
  if (!j) return tl::unexpected(j.error());
  const std::string* owner = string_at(*j, "devowneruuid");
  if (!owner) return fail(ErrorCode::BadRequest, "devowneruuid: missing or not a string");
  if (j->size() != 1) {
    return fail(ErrorCode::BadRequest, "ownership: keys other than devowneruuid: " + j->dump());
  }
  if (!is_uuid(*owner)) return fail(ErrorCode::BadRequest, "devowneruuid: not a UUID: " + *owner);
  return *owner;
}

Result<HubConfig> check_cloud_configuration_response(const Message& response) {
  auto j = accepted_map(response, Code::Changed);
  if (!j) return tl::unexpected(j.error());
  HubConfig hub;
  for (auto [key, field] : {std::pair{"apn", &hub.apn}, std::pair{"cis", &hub.cis},
                            std::pair{"at", &hub.at}, std::pair{"sid", &hub.sid}}) {
    const std::string* value = string_at(*j, key);
    if (!value || value->empty()) {
      return fail(ErrorCode::BadRequest, std::string(key) + ": missing or not a non-empty string");
    }
    *field = *value;
  }
  if (auto it = j->find("x.org.iotivity.servers"); it != j->end()) {
    if (!it->is_array()) {
      return fail(ErrorCode::BadRequest, "x.org.iotivity.servers: not an array");
    }
    for (const auto& server : *it) {
      const std::string* uri = string_at(server, "uri");
      const std::string* id = string_at(server, "id");
      if (!uri || !id) {
        return fail(ErrorCode::BadRequest, "x.org.iotivity.servers: entry without uri/id strings");
      }
      hub.servers.push_back({*uri, *id});
    }
  }
  return hub;
}

Result<size_t> check_acls_response(const Message& response) {
  auto j = accepted_map(response, Code::Content);
  if (!j) return tl::unexpected(j.error());
  if (detail::contains_key_deep(*j, "rowneruuid")) {
    return fail(ErrorCode::BadRequest, "acls: rowneruuid present (the device rejects it)");
  }
  auto it = j->find("aclist2");
  if (it == j->end() || !it->is_array()) {
    return fail(ErrorCode::BadRequest, "aclist2: missing or not an array");
  }
  for (const auto& ace : *it) {
    const std::string* tag = string_at(ace, "tag");
    if (!tag || *tag != "dps") return fail(ErrorCode::BadRequest, "ACE without tag \"dps\"");
    if (!ace.contains("subject") || !ace["subject"].is_object()) {
      return fail(ErrorCode::BadRequest, "ACE without subject map");
    }
    if (auto why = subject_problem(ace["subject"]); !why.empty()) {
      return fail(ErrorCode::BadRequest, "ACE subject " + ace["subject"].dump() + ": " + why);
    }
    if (!ace.contains("permission") || !ace["permission"].is_number_unsigned() ||
        ace["permission"].get<uint64_t>() > 31) {
      return fail(ErrorCode::BadRequest, "ACE permission missing or not in 0..31");
    }
    if (!ace.contains("resources") || !ace["resources"].is_array() || ace["resources"].empty()) {
      return fail(ErrorCode::BadRequest, "ACE without resources");
    }
    for (const auto& res : ace["resources"]) {
      if (!string_at(res, "href") && !string_at(res, "wc")) {
        return fail(ErrorCode::BadRequest, "ACE resource without href or wc");
      }
    }
  }
  return it->size();
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s) {
  std::tm tm{};
  int year, mon, day, hour, min, sec;
  if (s.size() < 20 || !digits(s, 0, 4, year) || s[4] != '-' || !digits(s, 5, 2, mon) ||
      s[7] != '-' || !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') ||
      !digits(s, 11, 2, hour) || s[13] != ':' || !digits(s, 14, 2, min) || s[16] != ':' ||
      !digits(s, 17, 2, sec)) {
    return std::nullopt;
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    int64_t scale = 100'000;
    size_t n = 0;
    for (++pos; pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos])); ++pos, ++n) {
      micros += (s[pos] - '0') * scale;
      scale /= 10;
    }
    if (n == 0) return std::nullopt;
  }
  int offset_minutes = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om)) {
      return std::nullopt;
    }
    offset_minutes = (s[pos] == '+' ? 1 : -1) * (oh * 60 + om);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  const std::time_t t = timegm(&tm);
  return std::chrono::system_clock::from_time_t(t) + std::chrono::microseconds(micros) -
         std::chrono::minutes(offset_minutes);
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace dps::device
