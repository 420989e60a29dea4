// One line format (issue 15): the text encoding spells levels as log.level does and stamps the
// same RFC 3339 UTC time as the JSON one; both encodings hold one line per message.
#include "log/setup.hpp"

#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>

#include <chrono>
#include <nlohmann/json.hpp>

namespace dps::log {
namespace {

std::string format_with(std::string_view encoding, spdlog::level::level_enum level,
                        std::chrono::system_clock::time_point time) {
  const std::string_view payload = "config: log.stacktrace: ignored";
  spdlog::details::log_msg msg(time, spdlog::source_loc{}, "dps", level,
                               spdlog::string_view_t(payload.data(), payload.size()));
  spdlog::memory_buf_t buffer;
  make_formatter(encoding)->format(msg, buffer);
  return std::string(buffer.data(), buffer.size());
}

const auto kTime =
    std::chrono::system_clock::time_point(std::chrono::seconds(1709251199)) +  // 2024-02-29
    std::chrono::microseconds(123456);

TEST(LogSetup, LevelNamesAreTheConfigsSpelling) {
  EXPECT_EQ(level_name(spdlog::level::debug), "debug");
  EXPECT_EQ(level_name(spdlog::level::info), "info");
  EXPECT_EQ(level_name(spdlog::level::warn), "warn");  // spdlog's own name is "warning"
  EXPECT_EQ(level_name(spdlog::level::err), "error");
}

TEST(LogSetup, ConsoleLineIsUtcTimeLevelMessage) {
  EXPECT_EQ(format_with("console", spdlog::level::warn, kTime),
            "2024-02-29T23:59:59.123456Z warn config: log.stacktrace: ignored\n");
  EXPECT_EQ(format_with("console", spdlog::level::err, kTime),
            "2024-02-29T23:59:59.123456Z error config: log.stacktrace: ignored\n");
}

TEST(LogSetup, JsonLineHasTheSameTimeAndLevelName) {
  const auto line = nlohmann::json::parse(format_with("json", spdlog::level::warn, kTime));
  EXPECT_EQ(line["time"], "2024-02-29T23:59:59.123456Z");
  EXPECT_EQ(line["level"], "warn");
}

}  // namespace
}  // namespace dps::log
