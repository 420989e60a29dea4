// Structured logs (log.encoding: json): one JSON object per line, valid JSON whatever the message
// holds. Device certificates' CNs, peer addresses and error texts from OpenSSL or the database all
// end up in messages, so every byte is escaped: quotes, backslashes and control characters, and
// bytes that are not UTF-8 are replaced by U+FFFD.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class formatter;
}

namespace dps::log {

/// A spdlog formatter writing `{"time":"<RFC 3339 UTC, microseconds>","level":"info",
/// "msg":"..."}` plus `"conn":<n>` when the message is a device session's (it starts with
/// "conn=<n> "; the message keeps that text too). Levels: trace, debug, info, warn, error,
/// critical. Stateless, so one instance may serve every sink.
std::unique_ptr<spdlog::formatter> make_json_formatter();

/// `text` as a JSON string literal, quotes included (the escaping the formatter uses).
std::string json_string(std::string_view text);

}  // namespace dps::log
