// One line format (issue 15): everything dps prints while it starts, serves and stops (the log on
// stderr, the ready lines on stdout, config warnings) is in the configured encoding, with the
// level names log.level uses ("warn", never spdlog's "warning").
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "support/dps_process.hpp"
#include "support/test_pki.hpp"

namespace dps::itest::log_encoding {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// log.level's values (src/config/schema.cpp).
const std::set<std::string> kConfigLevels{"debug", "info", "warn", "error"};

// log.stacktrace.enabled: true is accepted for plgd and earns a start-up warning.
std::string config_yaml(const fs::path& data, const std::string& encoding) {
  return "dataDirectory: " + data.string() + "\nlog:\n  level: debug\n  encoding: " + encoding +
         "\n  stacktrace:\n    enabled: true\n"
         "apis:\n  coap:\n    address: \"127.0.0.1:0\"\n  http:\n    address: \"127.0.0.1:0\"\n";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// dps started and stopped with `encoding`: its stdout and its stderr.
std::pair<std::string, std::string> run_dps(const std::string& encoding) {
  test::TempDir dir;
  const auto config = dir.write("dps.yaml", config_yaml(dir.path() / "data", encoding));
  auto dps = DpsProcess::start(config, dir.path() / "dps.log", std::chrono::seconds(20), true);
  EXPECT_EQ(dps->stop(), 0);
  return {dps->output(), dps->log()};
}

TEST(LogEncoding, JsonEveryLineOnStdoutAndStderrIsAJsonObjectWithAConfigLevel) {
  const auto [out, err] = run_dps("json");
  std::set<std::string> levels;
  size_t count = 0;
  for (const auto& stream : {out, err}) {
    for (const auto& line : lines_of(stream)) {
      ++count;
      const json parsed = json::parse(line, nullptr, false);
      ASSERT_TRUE(parsed.is_object()) << "not a JSON line: " << line;
      ASSERT_TRUE(parsed.contains("level") && parsed["level"].is_string()) << line;
      EXPECT_TRUE(kConfigLevels.contains(parsed["level"].get<std::string>())) << line;
      EXPECT_TRUE(parsed.contains("time") && parsed.contains("msg")) << line;
      levels.insert(parsed["level"].get<std::string>());
    }
  }
  EXPECT_GE(count, 5u) << out << err;
  EXPECT_TRUE(levels.contains("warn")) << "the stacktrace warning is missing:\n" << err;
  // The ready lines, which scripts wait for, keep their text inside the JSON message.
  EXPECT_NE(out.find(R"("msg":"dps: coap listening on 127.0.0.1:)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("msg":"dps: api listening on 127.0.0.1:)"), std::string::npos) << out;
}

TEST(LogEncoding, ConsoleLinesAreTimeLevelMessageWithTheConfigsLevelNames) {
  const auto [out, err] = run_dps("console");
  const std::regex line_shape(R"((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) (\w+) (.*))");
  bool warned = false;
  for (const auto& stream : {out, err}) {
    for (const auto& line : lines_of(stream)) {
      std::smatch m;
      ASSERT_TRUE(std::regex_match(line, m, line_shape)) << "not a log line: " << line;
      EXPECT_TRUE(kConfigLevels.contains(m[2].str())) << line;
      warned = warned || (m[2] == "warn" && m[3].str().find("log.stacktrace") != std::string::npos);
    }
  }
  EXPECT_TRUE(warned) << err;
  EXPECT_NE(out.find(" info dps: coap listening on 127.0.0.1:"), std::string::npos) << out;
}

TEST(LogEncoding, ConfigErrorBeforeTheEncodingIsKnownIsAConsoleErrorLine) {
  test::TempDir dir;
  const auto config = dir.write("bad.yaml", "log:\n  level: loud\n");
  const auto run = run_process({dps_binary().string(), "--config", config.string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(run.out.empty()) << run.out;
  const auto lines = lines_of(run.err);
  ASSERT_EQ(lines.size(), 1u) << run.err;
  EXPECT_TRUE(std::regex_match(lines[0], std::regex(R"(\S+Z error dps: .*log\.level.*)")))
      << lines[0];
}

}  // namespace
}  // namespace dps::itest::log_encoding
