// The man pages the build makes from the tools' --help (cmake/man_pages.cmake, issue 15), held
// against the real binaries: a page for every tool and every dpsctl command dpsctl lists (and
// each alias), every option the help shows present in its page, the version the binary prints,
// SEE ALSO links that lead to pages that exist, pages no older than their binary, and rendering
// by man(1) as an operator reads them.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "support/dps_process.hpp"

namespace dps::itest {
namespace man_pages {
namespace {

namespace fs = std::filesystem;

/// build/man/man1: beside build/tools, whose binaries the tests run.
fs::path man_dir() {
  return dps_binary().parent_path().parent_path().parent_path() / "man" / "man1";
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The page's roff source as plain text: font changes dropped, "\-" back to "-", so that options
/// read as the help prints them.
std::string page_text(const fs::path& page) {
  std::string text = std::regex_replace(read_file(page), std::regex(R"(\\f[BIRP])"), "");
  text = std::regex_replace(text, std::regex(R"(\\-)"), "-");
  return std::regex_replace(text, std::regex(R"(\\&)"), "");
}

/// `binary args... --help`, which must succeed.
std::string help_of(const fs::path& binary, std::vector<std::string> args) {
  args.insert(args.begin(), binary.string());
  args.push_back("--help");
  const auto out = run_process(args);
  EXPECT_EQ(out.exit_code, 0) << binary << " --help: " << out.err;
  return out.out;
}

/// The commands a CLI11 help lists under "Subcommands:", each as its names (primary first).
std::vector<std::vector<std::string>> listed_commands(const std::string& help) {
  std::vector<std::vector<std::string>> commands;
  std::istringstream lines(help);
  bool listed = false;
  for (std::string line; std::getline(lines, line);) {
    if (line == "Subcommands:") {
      listed = true;
    } else if (line.empty()) {
      listed = false;
    } else if (listed && line.rfind("  ", 0) == 0 && line[2] != ' ') {
      std::vector<std::string> names;
      std::istringstream words(line.substr(2, line.find("   ", 2) - 2));
      for (std::string name; std::getline(words >> std::ws, name, ',');) names.push_back(name);
      commands.push_back(names);
    }
  }
  return commands;
}

/// The long options a help describes ("  -c,--config TEXT ..." gives --config), --help aside.
std::set<std::string> options_in(const std::string& help) {
  std::set<std::string> options;
  const std::regex option(R"(^  (?:-\w,)?(--[A-Za-z0-9][\w-]*))");
  std::istringstream lines(help);
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (std::regex_search(line, match, option) && match[1] != "--help") options.insert(match[1]);
  }
  return options;
}

/// Whether `text` names `option` as a whole word: --allow-overlaps is not --allow-overlap.
bool mentions(const std::string& text, const std::string& option) {
  // Options are [A-Za-z0-9_-] only (options_in), nothing a regex would read specially.
  return std::regex_search(text, std::regex("(^|[^\\w-])" + option + "($|[^\\w-])"));
}

/// The fields of the page's .TH line: title, section, date, source (name and version), manual.
std::vector<std::string> title_fields(const std::string& roff) {
  std::smatch line;
  if (!std::regex_search(roff, line, std::regex(R"((^|\n)\.TH ([^\n]*))"))) return {};
  std::vector<std::string> fields;
  const std::regex field(R"re("([^"]*)"|(\S+))re");
  const std::string th = line[2];
  for (std::sregex_iterator it(th.begin(), th.end(), field), end; it != end; ++it) {
    fields.push_back((*it)[1].matched ? (*it)[1].str() : (*it)[2].str());
  }
  return fields;
}

struct Tool {
  std::string name;
  fs::path binary;
};

std::vector<Tool> tools() {
  return {{"dps", dps_binary()},
          {"dpsctl", dpsctl_binary()},
          {"dps-device", dps_device_binary()},
          {"dps-bench", dps_bench_binary()}};
}

std::string missing_pages_hint() {
  return "no page in " + man_dir().string() +
         ": build the man_pages target (help2man missing when cmake ran? run "
         "scripts/install-deps.sh, then reconfigure)";
}

TEST(ManPages, EveryToolAndEveryDpsctlCommandAndAliasHasAPage) {
  for (const auto& tool : tools()) {
    EXPECT_TRUE(fs::is_regular_file(man_dir() / (tool.name + ".1")))
        << tool.name << ": " << missing_pages_hint();
  }
  const auto commands = listed_commands(help_of(dpsctl_binary(), {}));
  ASSERT_GE(commands.size(), 6u) << "dpsctl --help lists its commands";
  std::set<std::string> expected{"dps.1", "dpsctl.1", "dps-device.1", "dps-bench.1"};
  for (const auto& names : commands) {
    for (const auto& name : names) {
      const fs::path page = man_dir() / ("dpsctl-" + name + ".1");
      expected.insert(page.filename().string());
      ASSERT_TRUE(fs::is_regular_file(page)) << page << ": " << missing_pages_hint();
      // An alias opens its command's page, whose NAME line gives every name.
      EXPECT_TRUE(fs::equivalent(page, man_dir() / ("dpsctl-" + names.front() + ".1"))) << page;
    }
  }
  // Nothing else: a page left from a removed command would document what no longer exists.
  for (const auto& entry : fs::directory_iterator(man_dir())) {
    EXPECT_EQ(expected.count(entry.path().filename().string()), 1u)
        << "unexpected " << entry.path();
  }
  for (const char* alias : {"dpsctl-groups.1", "dpsctl-hubs.1", "dpsctl-records.1",
                            "dpsctl-individual-enrollments.1", "dpsctl-templates.1"}) {
    EXPECT_EQ(expected.count(alias), 1u) << alias << ": the names the docs use";
  }
}

TEST(ManPages, PagesHoldEveryOptionTheirHelpShows) {
  for (const auto& tool : tools()) {
    const fs::path page = man_dir() / (tool.name + ".1");
    ASSERT_TRUE(fs::exists(page)) << missing_pages_hint();
    const std::string text = page_text(page);
    std::set<std::string> options = options_in(help_of(tool.binary, {}));
    // dps and dps-device describe their commands on their own page.
    if (tool.name != "dpsctl") {
      for (const auto& names : listed_commands(help_of(tool.binary, {}))) {
        const auto more = options_in(help_of(tool.binary, {names.front()}));
        options.insert(more.begin(), more.end());
      }
    }
    ASSERT_FALSE(options.empty()) << tool.name;
    for (const auto& option : options) {
      EXPECT_TRUE(mentions(text, option)) << option << " missing from " << page;
    }
  }
  for (const auto& names : listed_commands(help_of(dpsctl_binary(), {}))) {
    const fs::path page = man_dir() / ("dpsctl-" + names.front() + ".1");
    ASSERT_TRUE(fs::exists(page)) << missing_pages_hint();
    const std::string text = page_text(page);
    for (const auto& option : options_in(help_of(dpsctl_binary(), {names.front()}))) {
      EXPECT_TRUE(mentions(text, option)) << option << " missing from " << page;
    }
    for (const auto& verb : listed_commands(help_of(dpsctl_binary(), {names.front()}))) {
      // Each verb under its usage line, with all its options.
      EXPECT_NE(text.find("dpsctl " + names.front() + " " + verb.front() + " "), std::string::npos)
          << verb.front() << " missing from " << page;
      for (const auto& option :
           options_in(help_of(dpsctl_binary(), {names.front(), verb.front()}))) {
        EXPECT_TRUE(mentions(text, option))
            << names.front() << " " << verb.front() << " " << option << " missing from " << page;
      }
    }
  }
  // The options an operator looks these pages up for.
  EXPECT_TRUE(mentions(page_text(man_dir() / "dpsctl-groups.1"), "--allow-overlap"));
  EXPECT_TRUE(mentions(page_text(man_dir() / "dps-device.1"), "--show-secrets"));
  EXPECT_TRUE(mentions(page_text(man_dir() / "dps.1"), "--jti"));
}

TEST(ManPages, NameVersionAndSeeAlsoMatchTheBinaries) {
  std::vector<std::pair<fs::path, Tool>> pages;
  for (const auto& tool : tools()) pages.emplace_back(man_dir() / (tool.name + ".1"), tool);
  for (const auto& names : listed_commands(help_of(dpsctl_binary(), {}))) {
    pages.emplace_back(man_dir() / ("dpsctl-" + names.front() + ".1"), tools()[1]);
  }
  for (const auto& [page, tool] : pages) {
    ASSERT_TRUE(fs::exists(page)) << missing_pages_hint();
    const std::string roff = read_file(page);
    const std::string title = page.stem();
    const auto version = run_process({tool.binary.string(), "--version"});
    ASSERT_EQ(version.exit_code, 0) << version.err;
    const auto fields = title_fields(roff);
    ASSERT_EQ(fields.size(), 5u) << page << ": " << roff.substr(0, 200);
    std::string upper = title;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(fields[0], upper) << page;
    EXPECT_EQ(fields[1], "1") << page;
    EXPECT_EQ(fields[3] + "\n", version.out) << page << ": the version of the binary it documents";

    // NAME: "title[, alias...] \- what it is", not help2man's "manual page for" filler.
    std::smatch name;
    ASSERT_TRUE(std::regex_search(roff, name, std::regex(R"(\.SH NAME\n([^\n]*))"))) << page;
    const std::string name_line = name[1];
    std::smatch what;
    ASSERT_TRUE(
        std::regex_match(name_line, what, std::regex(title + R"((, dpsctl-[\w-]+)* \\- (.*))")))
        << name[1];
    EXPECT_GT(what[2].length(), 10u) << name[1];
    EXPECT_EQ(what[2].str().find("manual page for"), std::string::npos) << name[1];

    // SEE ALSO: the other tools (dpsctl's command pages: dpsctl and dps), every link a page.
    const auto see_also = roff.find(".SH \"SEE ALSO\"");
    ASSERT_NE(see_also, std::string::npos) << page;
    std::set<std::string> linked;
    const std::string links = roff.substr(see_also);
    const std::regex link(R"(\.BR ([\w-]+) \(1\))");
    for (std::sregex_iterator it(links.begin(), links.end(), link), end; it != end; ++it) {
      linked.insert((*it)[1]);
      EXPECT_TRUE(fs::exists(man_dir() / ((*it)[1].str() + ".1"))) << (*it)[1] << " in " << page;
    }
    EXPECT_EQ(linked.count(title), 0u) << page << " links itself";
    for (const auto& other : tools()) {
      if (other.name == title ||
          (title.rfind("dpsctl-", 0) == 0 && other.name != "dpsctl" && other.name != "dps")) {
        continue;
      }
      EXPECT_EQ(linked.count(other.name), 1u) << other.name << " not in SEE ALSO of " << page;
    }
  }
}

TEST(ManPages, PagesAreNoOlderThanTheirBinaries) {
  for (const auto& tool : tools()) {
    const fs::path page = man_dir() / (tool.name + ".1");
    ASSERT_TRUE(fs::exists(page)) << missing_pages_hint();
    EXPECT_GE(fs::last_write_time(page), fs::last_write_time(tool.binary))
        << page << " predates " << tool.binary << ": the build did not regenerate it";
  }
}

TEST(ManPages, ManRendersEveryPage) {
  // Debian's man-db, else groff itself (groff-base, which scripts/install-deps.sh installs).
  const bool have_man = fs::exists("/usr/bin/man");
  ASSERT_TRUE(have_man || fs::exists("/usr/bin/groff"))
      << "neither man nor groff: scripts/install-deps.sh installs groff-base";
  ASSERT_TRUE(fs::exists(man_dir())) << missing_pages_hint();
  int rendered = 0;
  for (const auto& entry : fs::directory_iterator(man_dir())) {
    const std::string page = entry.path().string();
    const auto out = have_man ? run_process({"/usr/bin/env", "MANWIDTH=80", "/usr/bin/man", "-l",
                                             "-P", "/bin/cat", page})
                              : run_process({"/usr/bin/groff", "-man", "-Tutf8", "-P-cbu", page});
    ASSERT_EQ(out.exit_code, 0) << page << ": " << out.err;
    // Nothing from troff but "cannot adjust line": bulk-create's help shows JSON lines wider than
    // 80 columns, which cannot be broken.
    const std::string complaints = std::regex_replace(
        out.err, std::regex("troff: <standard input>:\\d+: warning [^\\n]*: cannot adjust line\\n"),
        "");
    EXPECT_EQ(complaints, "") << page;
    for (const char* section : {"NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO"}) {
      EXPECT_NE(out.out.find(std::string("\n") + section + "\n"), std::string::npos)
          << section << " not in " << page << ":\n"
          << out.out;
    }
    // Roff requests left as text would show up as lines starting with a dot.
    EXPECT_FALSE(std::regex_search(out.out, std::regex(R"(\n\s*\.(TH|SH|TP|BR|IP) )")))
        << page << ":\n"
        << out.out;
    ++rendered;
  }
  EXPECT_GE(rendered, 10);
}

}  // namespace
}  // namespace man_pages
}  // namespace dps::itest
