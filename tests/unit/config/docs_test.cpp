// The schema table is the single source of `dps --help` and docs/configuration.md.
// Regenerate the doc's table with: DPS_UPDATE_DOCS=1 ./config_test --gtest_filter='ConfigDocs.*'
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config/config.hpp"
#include "config/schema.hpp"
#include "temp_dir.hpp"

namespace dps::config {
namespace {

constexpr std::string_view kBegin = "<!-- BEGIN GENERATED: reference_markdown() -->\n";
constexpr std::string_view kEnd = "<!-- END GENERATED -->\n";

std::string read(const std::string& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ConfigDocs, HelpListsEveryKey) {
  std::string help = help_text();
  std::string markdown = reference_markdown();
  for (const schema::Key& key : schema::keys()) {
    EXPECT_NE(help.find("\n" + std::string(key.path) + "  ("), std::string::npos) << key.path;
    EXPECT_NE(markdown.find("| `" + std::string(key.path) + "` |"), std::string::npos) << key.path;
  }
  EXPECT_NE(help.find("apis.coap.inactivityMonitor.timeout  (duration, default 20s)"),
            std::string::npos);
  EXPECT_NE(help.find("log.level  (string, default \"info\")"), std::string::npos);
}

TEST(ConfigDocs, ConfigurationMdEmbedsTheGeneratedTable) {
  const std::string file = std::string(DPS_SOURCE_DIR) + "/docs/configuration.md";
  std::string doc = read(file);
  size_t begin = doc.find(kBegin);
  size_t end = doc.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << file << " lacks " << kBegin;
  ASSERT_NE(end, std::string::npos) << file << " lacks " << kEnd;
  begin += kBegin.size();
  std::string expected = reference_markdown();
  if (std::getenv("DPS_UPDATE_DOCS")) {
    doc.replace(begin, end - begin, expected);
    std::ofstream(file) << doc;
    return;
  }
  EXPECT_EQ(doc.substr(begin, end - begin), expected)
      << "docs/configuration.md is out of date; regenerate with DPS_UPDATE_DOCS=1";
}

TEST(ConfigDocs, EveryBoundKeyHasAMatchingKind) {
  // A Duration row must bind a duration, a Bool row a bool...: load a value for each bound row.
  testing::TempDir dir;
  const std::string file = dir.write("file.pem", "x").string();
  for (const schema::Key& key : schema::keys()) {
    if (std::holds_alternative<std::monostate>(key.target)) continue;
    std::string value;
    switch (key.kind) {
      case schema::Kind::Bool:
        // log.dumpBody: true is refused by design; clientCertificateRequired: true needs caPool.
        value = key.path == "log.dumpBody" || key.path == "apis.http.tls.clientCertificateRequired"
                    ? "false"
                    : "true";
        break;
      case schema::Kind::Uint:
        value = "20000";  // above every minimum (maxMessageSize, maxBodySize)
        break;
      case schema::Kind::Duration:
        value = "2s";
        break;
      case schema::Kind::String:
        value =
            key.choices.empty() ? "x" : std::string(key.choices.substr(0, key.choices.find('|')));
        break;
      case schema::Kind::Dir:
        value = "d";
        break;
      case schema::Kind::Path:
      case schema::Kind::SourceList:
        value = file;
        break;
      default:
        ADD_FAILURE() << key.path << " has a target but kind cannot bind";
        continue;
    }
    std::string yaml;
    std::string_view path = key.path;
    std::string indent;
    for (size_t dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.')) {
      yaml += indent + std::string(path.substr(0, dot)) + ":\n";
      indent += "  ";
      path.remove_prefix(dot + 1);
    }
    yaml += indent + std::string(path) + ": \"" + value + "\"\n";
    auto loaded = load_text(yaml, "/");
    EXPECT_TRUE(loaded) << key.path << ": " << loaded.error().internal;
  }
}

}  // namespace
}  // namespace dps::config
