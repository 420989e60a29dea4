#include "log/setup.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <string>

#include "log/json_formatter.hpp"

namespace dps::log {
namespace {

constexpr std::array<std::string_view, 7> kLevelNames{"trace", "debug",    "info", "warn",
                                                      "error", "critical", "off"};
constexpr char kLevelFlag = '*';  // not one of spdlog's own pattern flags
constexpr std::string_view kReadyLogger = "dps-ready";

// %l would print spdlog's "warning"; this prints the config's spelling.
class LevelFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm& /*time*/,
              spdlog::memory_buf_t& dest) override {
    const std::string_view name = level_name(msg.level);
    dest.append(name.data(), name.data() + name.size());
  }
  std::unique_ptr<spdlog::custom_flag_formatter> clone() const override {
    return std::make_unique<LevelFlag>();
  }
};

std::shared_ptr<spdlog::logger> logger_named(std::string_view name, bool to_stdout) {
  if (auto existing = spdlog::get(std::string(name))) return existing;
  return to_stdout ? spdlog::stdout_color_mt(std::string(name))
                   : spdlog::stderr_color_mt(std::string(name));
}

}  // namespace

std::string_view level_name(spdlog::level::level_enum level) {
  const auto index = static_cast<size_t>(level);
  return index < kLevelNames.size() ? kLevelNames[index] : "unknown";
}

std::unique_ptr<spdlog::formatter> make_formatter(std::string_view encoding) {
  if (encoding == "json") return make_json_formatter();
  // UTC with microseconds, as the JSON encoding stamps it.
  auto text = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  text->add_flag<LevelFlag>(kLevelFlag).set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%*%$ %v");
  return text;
}

void configure(std::string_view level, std::string_view encoding) {
  auto log = logger_named("dps", false);
  log->set_formatter(make_formatter(encoding));
  log->set_level(spdlog::level::from_str(std::string(level)));
  spdlog::set_default_logger(log);
  auto ready = logger_named(kReadyLogger, true);
  ready->set_formatter(make_formatter(encoding));
  ready->set_level(spdlog::level::trace);
  ready->flush_on(spdlog::level::trace);  // a script waits for each line as it is written
}

spdlog::logger& ready_logger() { return *spdlog::get(std::string(kReadyLogger)); }

}  // namespace dps::log
