#include "store/postgres/connection_string.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <memory>
#include <string_view>

namespace dps::store::postgres {
namespace {

// libpq 15's values (https://www.postgresql.org/docs/15/libpq-ssl.html, table 34.1).
constexpr std::array<std::string_view, 6> kSslModes = {"disable", "allow",     "prefer",
                                                       "require", "verify-ca", "verify-full"};
constexpr size_t kMaxQuoted = 32;

struct OptionsFree {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};

// An sslmode value is not a secret, but it is operator text: cut it and keep it on one line.
std::string shown(std::string_view value) {
  std::string out = "\"";
  for (char c : value.substr(0, kMaxQuoted)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out + (value.size() > kMaxQuoted ? "...\"" : "\"");
}

}  // namespace

Result<ConnectionSecurity> check_connection_string(const std::string& uri) {
  char* parse_error = nullptr;
  std::unique_ptr<PQconninfoOption, OptionsFree> parsed(PQconninfoParse(uri.c_str(), &parse_error));
  if (!parsed) {
    PQfreemem(parse_error);  // may quote the string, password and all
    return fail(ErrorCode::BadRequest,
                "not a libpq connection string (postgresql://... URI or key=value form)");
  }
  ConnectionSecurity security;
  std::string root_cert;
  for (const PQconninfoOption* o = parsed.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (std::strcmp(o->keyword, "sslmode") == 0) security.sslmode = o->val;
    if (std::strcmp(o->keyword, "sslrootcert") == 0) root_cert = o->val;
  }
  if (!security.sslmode.empty()) {
    bool known = false;
    for (std::string_view mode : kSslModes) known = known || mode == security.sslmode;
    if (!known) {
      return fail(ErrorCode::BadRequest,
                  "sslmode " + shown(security.sslmode) +
                      ": expected disable|allow|prefer|require|verify-ca|verify-full");
    }
  }
  security.verifies_server = security.sslmode == "verify-ca" || security.sslmode == "verify-full";
  if (!root_cert.empty() && ::access(root_cert.c_str(), R_OK) != 0) {
    return fail(ErrorCode::BadRequest, "sslrootcert " + root_cert + ": " + std::strerror(errno));
  }
  return security;
}

}  // namespace dps::store::postgres
