// One line format for everything dps prints while it serves: the log on stderr and the ready
// lines on stdout ("dps: coap listening on ...", which scripts wait for) go through the same
// formatter, text or JSON as log.encoding says, with the level names log.level uses ("warn", not
// spdlog's "warning").
#pragma once

#include <spdlog/common.h>

#include <memory>
#include <string_view>

namespace spdlog {
class formatter;
class logger;
}  // namespace spdlog

namespace dps::log {

/// The name log.level gives `level`: trace, debug, info, warn, error, critical, off.
std::string_view level_name(spdlog::level::level_enum level);

/// The formatter of `encoding`: "json" → make_json_formatter(); anything else (log.encoding
/// "console") → `<RFC 3339 UTC time, microseconds> <level> <message>`, the level coloured on a
/// terminal.
std::unique_ptr<spdlog::formatter> make_formatter(std::string_view encoding);

/// Sets up dps's two loggers: the default one (stderr, at `level`) and ready_logger() (stdout,
/// every line whatever `level`: scripts wait for them). Callable again once the config is read:
/// main calls it first with the defaults so that not even a config error is printed otherwise.
void configure(std::string_view level, std::string_view encoding);

/// The stdout logger of the ready lines; configure() must have run.
spdlog::logger& ready_logger();

}  // namespace dps::log
