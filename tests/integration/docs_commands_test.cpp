// The documents cannot drift from the binaries: every ```sh block of README.md,
// docs/operator-guide.md and docs/manufacturer-pki.md runs, in order, in one /bin/sh -e, against
// a dps this test starts the way ./scripts/run.sh does (demo PKI, demo group, ./dps-data), in a
// temporary directory where `build` points at the build directory. The first command that fails
// is reported with its file and line. Blocks that cannot run here say so in the document with
// `<!-- docs-test: skip (why) -->`.
//
// Why a gtest over one generated script rather than a shell harness: the extraction and the
// failure report are tested C++ (docs_blocks.*), dps is started and stopped by the same
// DpsProcess as every other integration test (deadlines, no sleeps, its log on failure), and one
// shell keeps what the documents set (`export`, `alias`, `HUB=...`) from block to block, as a
// reader's terminal does.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "docs_blocks.hpp"
#include "support/dps_process.hpp"
#include "support/test_pki.hpp"

namespace dps::itest::docs_test {
namespace {

namespace fs = std::filesystem;

// This file is tests/integration/docs_commands_test.cpp (CMake compiles it by absolute path).
const fs::path kSourceDir = fs::path(__FILE__).parent_path().parent_path().parent_path();

// The documents, in the order a reader meets them.
constexpr const char* kDocuments[] = {"README.md", "docs/operator-guide.md",
                                      "docs/manufacturer-pki.md"};

// As scripts/run.sh writes it, on loopback ports the system picks (the documents' 15684 and 9100
// may be in use): every other key is an embedded default.
std::string run_sh_config(const fs::path& data) {
  const fs::path demo = data / "demo";
  return "dataDirectory: " + data.string() +
         "\n"
         "apis:\n  coap:\n    address: \"127.0.0.1:0\"\n"
         "  http:\n    address: \"127.0.0.1:0\"\n"
         "enrollmentGroups:\n"
         "  - id: 2a3f0c3e-8f0e-4f6a-9d0c-5b1f1e6a7c01\n"
         "    owner: \"1\"\n"
         "    name: demo manufacturer\n"
         "    attestationMechanism:\n"
         "      x509:\n"
         "        certificateChain: " +
         (demo / "chain.pem").string() +
         "\n"
         "    hubs:\n"
         "      - hubID: 6e3c5a1e-2d4b-4c8f-9a7e-1f2b3c4d5e6f\n"
         "        gateways: [\"coaps+tcp://127.0.0.1:5684\"]\n"
         "        authorization:\n"
         "          ownerClaim: https://plgd.dev/owner\n"
         "          provider:\n"
         "            name: plgd\n";
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The output of the failing command: from its "==> place" line on.
std::string output_from(const std::string& output, const std::string& where) {
  const auto at = output.rfind("==> " + where);
  return at == std::string::npos ? output.substr(output.size() > 4000 ? output.size() - 4000 : 0)
                                 : output.substr(at);
}

TEST(DocsBlocks, PromptedBlockRunsOnlyDollarLinesWithTheirContinuations) {
  const auto doc = docs::parse("x.md",
                               "text\n```sh\n$ dpsctl hubs create --hub-id H \\\n"
                               "      --name n\nID  HUB-ID\n1   H\n\n$ dpsctl records list\n```\n");
  ASSERT_EQ(doc.commands.size(), 2u);
  EXPECT_EQ(doc.commands[0].where, "x.md:3");
  EXPECT_EQ(doc.commands[0].text, "dpsctl hubs create --hub-id H \\\n      --name n");
  EXPECT_EQ(doc.commands[1].where, "x.md:8");
  EXPECT_EQ(doc.commands[1].text, "dpsctl records list");
}

TEST(DocsBlocks, HereDocumentBelongsToItsCommand) {
  const auto doc = docs::parse("x.md",
                               "```sh\n$ cat > a.json <<'EOF'\n[1]\n$ not a prompt\nEOF\n"
                               "$ jq . a.json\n[\n  1\n]\n```\n");
  ASSERT_EQ(doc.commands.size(), 2u);
  EXPECT_EQ(doc.commands[0].text, "cat > a.json <<'EOF'\n[1]\n$ not a prompt\nEOF");
  EXPECT_EQ(doc.commands[1].text, "jq . a.json");
}

TEST(DocsBlocks, SecondaryPromptLinesContinueACompoundCommand) {
  const auto doc =
      docs::parse("x.md", "```sh\n$ for n in 1 2; do\n>   echo $n\n> done\n1\n2\n```\n");
  ASSERT_EQ(doc.commands.size(), 1u);
  EXPECT_EQ(doc.commands[0].text, "for n in 1 2; do\n  echo $n\ndone");
}

TEST(DocsBlocks, SecondaryPromptAfterABackslashIsNotPartOfTheCommand) {
  const auto doc = docs::parse("x.md", "```sh\n$ echo a \\\n>   b \\\n>   c\na b c\n$ ls\n```\n");
  ASSERT_EQ(doc.commands.size(), 2u);
  EXPECT_EQ(doc.commands[0].text, "echo a \\\n  b \\\n  c");
  EXPECT_EQ(doc.commands[1].text, "ls");
}

TEST(DocsBlocks, SkipIsVisibleAndNeedsAReason) {
  const auto doc = docs::parse(
      "x.md", "<!-- docs-test: skip (starts a server) -->\n```sh\n./run.sh\n```\n```sh\nls\n```\n");
  ASSERT_EQ(doc.skipped.size(), 1u);
  EXPECT_EQ(doc.skipped[0].where, "x.md:2");
  EXPECT_EQ(doc.skipped[0].reason, "starts a server");
  ASSERT_EQ(doc.commands.size(), 1u);
  EXPECT_EQ(doc.commands[0].text, "ls");
  EXPECT_THROW(docs::parse("x.md", "<!-- docs-test: skip -->\n```sh\nls\n```\n"),
               std::runtime_error);
  EXPECT_THROW(docs::parse("x.md", "```sh\nls\n"), std::runtime_error);
}

TEST(DocsCommands, EveryShellBlockRunsAgainstARunningDps) {
  std::vector<docs::Command> commands;
  for (const char* name : kDocuments) {
    auto doc = docs::parse_file(kSourceDir / name, name);
    EXPECT_FALSE(doc.commands.empty()) << name << " has no ```sh block left to run";
    for (const auto& skipped : doc.skipped) {
      std::cout << "[ skipped  ] " << skipped.where << ": " << skipped.reason << "\n";
    }
    commands.insert(commands.end(), doc.commands.begin(), doc.commands.end());
  }

  test::TempDir dir;
  const fs::path build = dps_binary().parent_path().parent_path().parent_path();
  fs::create_directory_symlink(fs::absolute(build), dir.path() / "build");
  const fs::path data = dir.path() / "dps-data";
  // What scripts/run.sh does before it starts dps.
  const auto pki =
      run_process({dps_device_binary().string(), "demo-pki", "--out", (data / "demo").string()});
  ASSERT_EQ(pki.exit_code, 0) << pki.out << pki.err;
  const fs::path config = dir.write("config.yaml", run_sh_config(data));
  auto dps = DpsProcess::start(config, dir.path() / "dps.log", std::chrono::seconds(20), true);

  // The documents' device port is the default 15684; here it is the one dps got. dpsctl's
  // default server is https://127.0.0.1:9100: DPS_SERVER (documented) names the real one.
  std::string script =
      "cd " + dir.path().string() + "\n" + "export PATH=" + dps_binary().parent_path().string() +
      ":" + dpsctl_binary().parent_path().string() + ":" +
      dps_device_binary().parent_path().string() + ":/usr/bin:/bin\n" +
      "export DPS_SERVER=https://127.0.0.1:" + std::to_string(dps->api_port()) +
      "\nunset DPS_TOKEN DPS_TOKEN_FILE DPS_CA DPS_DATA_DIR\n" + docs::script(commands);
  script = replace_all(script, "127.0.0.1:15684", "127.0.0.1:" + std::to_string(dps->port()));
  const fs::path at = dir.path() / "docs-at";
  const fs::path file = dir.write("docs.sh", script);
  const auto run =
      run_process({"/usr/bin/env", "DOCS_AT=" + at.string(), "/bin/sh", "-e", file.string()},
                  std::chrono::seconds(50));
  if (std::getenv("DPS_DOCS_TEST_VERBOSE") != nullptr)
    std::cout << run.out;  // every command's output
  std::string where = slurp(at);
  if (!where.empty() && where.back() == '\n') where.pop_back();
  EXPECT_EQ(run.exit_code, 0) << "the command at " << where << " failed (exit " << run.exit_code
                              << "):\n"
                              << output_from(run.out, where) << "\ndps log:\n"
                              << dps->log_excerpt();
  EXPECT_EQ(where, commands.back().where) << "the run stopped before the last command";
}

}  // namespace
}  // namespace dps::itest::docs_test
