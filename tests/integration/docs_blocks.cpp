#include "docs_blocks.hpp"

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace dps::itest::docs {
namespace {

const std::regex kSkipMarker(R"(^\s*<!--\s*docs-test:\s*skip\s*(\((.*)\))?\s*-->\s*$)");
// `<<EOF`, `<<'EOF'`, `<<"EOF"`, `<<-EOF`: the delimiter of a here-document.
const std::regex kHereDoc(R"(<<-?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?)");

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool continues(const std::string& line) { return !line.empty() && line.back() == '\\'; }

// The commands of one block's lines; `first` is the document line number of body[0].
void read_block(const std::string& name, const std::vector<std::string>& body, size_t first,
                std::vector<Command>& out) {
  bool prompted = false;
  for (const auto& line : body) prompted = prompted || line.starts_with("$ ");
  for (size_t i = 0; i < body.size();) {
    const std::string& line = body[i];
    const bool is_command = prompted ? line.starts_with("$ ") : !line.empty();
    if (!is_command) {
      ++i;  // expected output (prompted blocks) or an empty line
      continue;
    }
    Command command{name + ":" + std::to_string(first + i), line.substr(prompted ? 2 : 0)};
    std::string last = line;
    ++i;
    while (continues(last) && i < body.size()) {
      last = body[i++];
      // A terminal shows its secondary prompt after a backslash too.
      const bool secondary = prompted && (last.starts_with("> ") || last == ">");
      command.text += "\n" + (secondary ? last.substr(std::min<size_t>(2, last.size())) : last);
    }
    // A terminal's secondary prompt: the rest of a compound command (`for ...; do`).
    while (prompted && i < body.size() && (body[i].starts_with("> ") || body[i] == ">")) {
      const std::string& next = body[i++];
      command.text += "\n" + next.substr(std::min<size_t>(2, next.size()));
    }
    std::smatch here;
    if (std::regex_search(command.text, here, kHereDoc)) {
      const std::string delimiter = here[1];
      while (i < body.size()) {
        command.text += "\n" + body[i];
        if (body[i++] == delimiter) break;
      }
    }
    out.push_back(std::move(command));
  }
}

std::string single_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

Document parse(const std::string& name, const std::string& markdown) {
  const auto lines = lines_of(markdown);
  Document doc;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i] != "```sh") continue;
    const size_t open = i;
    std::vector<std::string> body;
    for (++i; i < lines.size() && lines[i] != "```"; ++i) body.push_back(lines[i]);
    const std::string where = name + ":" + std::to_string(open + 1);
    if (i == lines.size()) throw std::runtime_error(where + ": ```sh block never closes");
    std::smatch marker;
    if (open > 0 && std::regex_match(lines[open - 1], marker, kSkipMarker)) {
      if (marker[2].str().empty()) {
        throw std::runtime_error(where + ": docs-test: skip needs a reason in parentheses");
      }
      doc.skipped.push_back({where, marker[2]});
      continue;
    }
    read_block(name, body, open + 2, doc.commands);
  }
  return doc;
}

Document parse_file(const std::filesystem::path& file, const std::string& name) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  return parse(name, text.str());
}

std::string script(const std::vector<Command>& commands) {
  std::string out = "exec 2>&1\n";  // one stream: each command's output follows its ==> line
  for (const auto& command : commands) {
    out += "printf '%s\\n' " + single_quoted(command.where) + " > \"$DOCS_AT\"\n";
    out += "printf '==> %s\\n%s\\n' " + single_quoted(command.where) + " " +
           single_quoted(command.text) + "\n";
    out += command.text + "\n";
  }
  return out;
}

}  // namespace dps::itest::docs
