// The vertical view of `get`: one "key  value" line per field of the object, keys being the JSON
// paths (attestationMechanism.x509.leadCertificateName), so what `get` shows maps one to one onto
// `get --json`. A resource names the fields it always shows (with how, e.g. "not set" when
// absent); every other field the API returns follows, so fields the server adds later (such as
// managedBy) are shown without a new dpsctl. Secrets are never shown: only whether they are set.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dps::dpsctl {

struct DetailField {
  std::string path;  // dotted JSON path
  /// The text for the value at `path`; nullptr when the object has no such field.
  std::function<std::string(const nlohmann::json*)> show;
  /// A summary line only: the value's members follow it as every other field's do.
  bool members_follow = false;
};

using DetailShape = std::vector<DetailField>;

/// The (key, value) lines of `object`: `shape`'s fields first, in order, then every other field.
std::vector<std::pair<std::string, std::string>> detail_lines(const nlohmann::json& object,
                                                              const DetailShape& shape);

/// Renderers for common fields.
namespace show {
/// The value as text ("" for absent), `absent` when the field is missing.
DetailField text(std::string path, std::string absent = "");
/// true/false, `absent` when missing.
DetailField boolean(std::string path, bool absent);
/// "N: a, b, c" for a list of strings; "none" when empty or missing.
DetailField list(std::string path);
/// "set (not shown)" or "not set": a secret's value never reaches the terminal.
DetailField secret(std::string path);
/// "N certificate(s), N CRL(s)" for PEM text; `absent` when missing or empty.
DetailField pem(std::string path, std::string absent);
}  // namespace show

}  // namespace dps::dpsctl
