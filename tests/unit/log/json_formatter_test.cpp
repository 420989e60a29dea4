// log.encoding: json: every line is one JSON object (time, level, msg, conn for session lines),
// whatever bytes the message holds.
#include "log/json_formatter.hpp"

#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>

namespace dps::log {
namespace {

using nlohmann::json;

std::string format_line(
    std::string_view payload, spdlog::level::level_enum level = spdlog::level::info,
    std::chrono::system_clock::time_point time = std::chrono::system_clock::now()) {
  spdlog::details::log_msg msg(time, spdlog::source_loc{}, "dps", level,
                               spdlog::string_view_t(payload.data(), payload.size()));
  spdlog::memory_buf_t buffer;
  make_json_formatter()->format(msg, buffer);
  return std::string(buffer.data(), buffer.size());
}

// One line: ends with the only '\n' it holds, and parses (nlohmann rejects invalid UTF-8 and raw
// control characters in strings, so parsing is the validity check).
json parse_line(const std::string& line) {
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  return json::parse(line);
}

TEST(JsonFormatter, LineHasTimeLevelAndMessage) {
  const json line = parse_line(format_line("configuration version 3 loaded"));
  ASSERT_TRUE(line.is_object());
  EXPECT_EQ(line.size(), 3u) << line.dump();
  EXPECT_EQ(line.value("level", ""), "info");
  EXPECT_EQ(line.value("msg", ""), "configuration version 3 loaded");
  EXPECT_TRUE(std::regex_match(line.value("time", ""),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")))
      << line.dump();
}

TEST(JsonFormatter, TimeIsRfc3339UtcWithMicroseconds) {
  // 2024-02-29T23:59:59.123456Z
  const auto time = std::chrono::system_clock::time_point(std::chrono::seconds(1709251199)) +
                    std::chrono::microseconds(123456);
  EXPECT_EQ(parse_line(format_line("x", spdlog::level::info, time))["time"],
            "2024-02-29T23:59:59.123456Z");
  const auto epoch = std::chrono::system_clock::time_point{};
  EXPECT_EQ(parse_line(format_line("x", spdlog::level::info, epoch))["time"],
            "1970-01-01T00:00:00.000000Z");
}

TEST(JsonFormatter, LevelsAreShortLowercaseNames) {
  const std::vector<std::pair<spdlog::level::level_enum, std::string>> levels{
      {spdlog::level::trace, "trace"}, {spdlog::level::debug, "debug"},
      {spdlog::level::info, "info"},   {spdlog::level::warn, "warn"},
      {spdlog::level::err, "error"},   {spdlog::level::critical, "critical"}};
  for (const auto& [level, name] : levels) {
    EXPECT_EQ(parse_line(format_line("m", level))["level"], name);
  }
}

TEST(JsonFormatter, EscapesQuotesBackslashesAndControlCharacters) {
  const std::string payload =
      "cn=\"evil \\\"quoted\\\"\" path C:\\dir\nsecond line\r\tTAB \x01\x1f\x7f\b\f end";
  const json line = parse_line(format_line(payload));
  EXPECT_EQ(line["msg"], payload);
  const std::string raw = format_line(payload);
  EXPECT_NE(raw.find(R"(\u0001\u001f\u007f\u0008\u000c end)"), std::string::npos) << raw;
  EXPECT_NE(raw.find(R"(\n)"), std::string::npos) << raw;
}

TEST(JsonFormatter, KeepsValidUtf8AndReplacesInvalidBytes) {
  const std::string valid = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf";
  EXPECT_EQ(parse_line(format_line(valid))["msg"], valid);

  const std::string r = "\xef\xbf\xbd";  // U+FFFD, one per byte that is not UTF-8
  const std::vector<std::pair<std::string, std::string>> cases{
      {"a\xff"
       "b",
       "a" + r + "b"},                                       // never UTF-8
      {"\xc3", r},                                           // truncated at the end
      {"\xc3(", r + "("},                                    // bad continuation
      {"\xc0\xaf", r + r},                                   // overlong '/'
      {"\xe0\x80\xaf", r + r + r},                           // overlong, 3 bytes
      {"\xed\xa0\x80", r + r + r},                           // a UTF-16 surrogate
      {"\xf4\x90\x80\x80", r + r + r + r},                   // above U+10FFFF
      {"\x80 lone continuation", r + " lone continuation"},  // no lead byte
  };
  for (const auto& [input, expected] : cases) {
    EXPECT_EQ(parse_line(format_line(input))["msg"], expected) << json_string(input);
  }
}

TEST(JsonFormatter, SessionLinesCarryTheirConnectionId) {
  const json line = parse_line(format_line("conn=42 peer=127.0.0.1:5000 cn=\"dev\" admitted"));
  EXPECT_EQ(line["conn"], 42);
  EXPECT_EQ(line["msg"], "conn=42 peer=127.0.0.1:5000 cn=\"dev\" admitted");
  EXPECT_EQ(parse_line(format_line("conn=7"))["conn"], 7);
  for (const char* other : {"conn=abc x", "conn= 1", "connx=1 y", "conn=12abc", "x conn=1",
                            "conn=99999999999999999999999 overflow"}) {
    const json without = parse_line(format_line(other));
    EXPECT_FALSE(without.contains("conn")) << other;
    EXPECT_EQ(without["msg"], other);
  }
}

TEST(JsonFormatter, AnyBytesAtAllMakeOneValidLine) {
  std::mt19937 random(20240501);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> length(0, 64);
  for (int i = 0; i < 5000; ++i) {
    std::string payload(length(random), '\0');
    for (char& c : payload) c = static_cast<char>(byte(random));
    const std::string raw = format_line(payload);
    json line;
    ASSERT_NO_THROW(line = parse_line(raw)) << json_string(payload);
    ASSERT_TRUE(line["msg"].is_string());
    // Nothing is lost but invalid bytes: as many ASCII bytes in as out.
    const auto ascii = [](const std::string& s) {
      return std::count_if(s.begin(), s.end(), [](char c) { return (c & 0x80) == 0; });
    };
    EXPECT_EQ(ascii(line["msg"].get<std::string>()), ascii(payload));
  }
}

TEST(JsonFormatter, ALoggerWithTheFormatterWritesOneObjectPerMessage) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger logger("test", sink);
  logger.set_formatter(make_json_formatter());
  logger.set_level(spdlog::level::debug);
  logger.info("conn={} peer={} cn=\"{}\" handshake refused: {}", 3, "10.0.0.1:4000", "a\"b\nc",
              "no enrollment group for issuer CN \"x\\y\"");
  logger.warn("bad frame: {}", std::string("\x00\x01\xfe", 3));
  logger.debug("plain");
  logger.flush();
  std::istringstream lines(out.str());
  std::vector<json> parsed;
  for (std::string line; std::getline(lines, line);) parsed.push_back(parse_line(line + "\n"));
  ASSERT_EQ(parsed.size(), 3u) << out.str();
  EXPECT_EQ(parsed[0]["conn"], 3);
  EXPECT_EQ(parsed[0]["msg"],
            "conn=3 peer=10.0.0.1:4000 cn=\"a\"b\nc\" handshake refused: no enrollment group for "
            "issuer CN \"x\\y\"");
  EXPECT_EQ(parsed[1]["level"], "warn");
  EXPECT_EQ(parsed[1]["msg"], std::string("bad frame: \x00\x01\xef\xbf\xbd", 16));
  EXPECT_EQ(parsed[2]["level"], "debug");
}

TEST(JsonString, QuotesAndEscapes) {
  EXPECT_EQ(json_string(""), "\"\"");
  EXPECT_EQ(json_string("a\"b\\c\n"), R"("a\"b\\c\n")");
  EXPECT_EQ(json_string(std::string("\0", 1)), R"("\u0000")");
}

}  // namespace
}  // namespace dps::log
