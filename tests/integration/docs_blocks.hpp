// The shell commands of a markdown document, as tests/integration/docs_commands_test.cpp runs
// them: every ```sh block, in order, unless an HTML comment `<!-- docs-test: skip (why) -->`
// stands on the line before it (a visible decision in the document, never a silent one).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace dps::itest::docs {

/// One command of a block: its text (continuation lines and here-documents included, newlines
/// kept) and where it starts ("README.md:34").
struct Command {
  std::string where;
  std::string text;
};

/// A ```sh block the document marks as not run, and why.
struct Skipped {
  std::string where;
  std::string reason;
};

struct Document {
  std::vector<Command> commands;
  std::vector<Skipped> skipped;
};

/// Reads the blocks of `markdown` (`name` is how places are reported). Within a block where some
/// line starts with "$ ", only those lines (and their continuations and here-documents) are
/// commands and the rest is expected output; otherwise every line is a command. Throws
/// std::runtime_error on a block that never closes or a skip marker without a reason.
Document parse(const std::string& name, const std::string& markdown);

/// parse() of a file.
Document parse_file(const std::filesystem::path& file, const std::string& name);

/// A /bin/sh script running `commands` in order: before each one it records its place in the
/// file named by $DOCS_AT and echoes `==> place` with the command, so that a failure (sh -e
/// stops there) names the command that failed.
std::string script(const std::vector<Command>& commands);

}  // namespace dps::itest::docs
