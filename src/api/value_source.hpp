// The values of chain, CRL, CA pool, PSK and client-secret fields in API bodies
// (management-api.md "Secrets given as values"): inline, or an RFC 2397 data: URI. plgd also
// reads file paths there; over the API dps refuses them, so a remote caller can never make the
// server read (and echo back) one of its files. Config files still accept paths (config/).
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace dps::api {

enum class ValueKind {
  Pem,     // certificates or CRLs: inline PEM text ("-----BEGIN ...") or a data: URI
  Secret,  // PSK, client secret: inline text or a data: URI; path-looking text is refused
};

/// The bytes `text` stands for; "" for "". BadRequest (message without the field path: callers
/// prefix it) for a malformed data: URI, for Pem text that is neither PEM nor a data: URI, and for
/// a Secret that looks like a file path ("/…", "./…", "../…", "~/…", "file:…"). A secret that
/// really starts like that is given as "data:,/..." or in base64.
[[nodiscard]] Result<std::string> read_value(std::string_view text, ValueKind kind);

/// How stored bytes are shown: as themselves when read_value() gives them back unchanged,
/// otherwise as "data:;base64,…" (binary PSKs, secrets that look like paths).
std::string render_value(std::string_view bytes, ValueKind kind);

}  // namespace dps::api
