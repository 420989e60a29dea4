#include "suggestions.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>

namespace dps::cli {
namespace {

bool visible(const CLI::Option* option) { return !option->get_group().empty(); }

// The long and short names of the options usable at `app`: its own and, because dpsctl's and
// dps's subcommands fall through, those of every parent.
std::vector<std::string> option_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (; app != nullptr; app = app->get_parent()) {
    for (const CLI::Option* option : app->get_options()) {
      if (!visible(option) || option->get_positional()) continue;
      for (const auto& name : option->get_lnames()) names.push_back("--" + name);
      for (const auto& name : option->get_snames()) names.push_back("-" + name);
    }
  }
  return names;
}

const CLI::Option* find_option(const CLI::App* app, const std::string& name) {
  for (; app != nullptr; app = app->get_parent()) {
    if (const CLI::Option* option = app->get_option_no_throw(name)) return option;
  }
  return nullptr;
}

std::vector<const CLI::App*> subcommands_of(const CLI::App* app) {
  return app->get_subcommands([](const CLI::App* sub) { return !sub->get_name().empty(); });
}

std::vector<std::string> command_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : subcommands_of(app)) {
    names.push_back(sub->get_name());
    for (const auto& alias : sub->get_aliases()) names.push_back(alias);
  }
  return names;
}

bool has_positionals(const CLI::App* app) {
  const auto options = app->get_options();
  return std::any_of(options.begin(), options.end(),
                     [](const CLI::Option* option) { return option->get_positional(); });
}

std::string path_of(const CLI::App* app) {
  std::string path;
  for (; app != nullptr; app = app->get_parent()) {
    path = app->get_name() + (path.empty() ? "" : " ") + path;
  }
  return path;
}

std::string listed(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

std::string unknown(const char* kind, const std::string& word, const CLI::App* where,
                    const std::vector<std::string>& candidates) {
  std::string message = std::string("unknown ") + kind + " \"" + word + "\" for " + path_of(where);
  if (auto near = nearest(word, candidates)) return message + "; did you mean \"" + *near + "\"?";
  return message + " (known: " + listed(candidates) + ")";
}

}  // namespace

size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows of the dynamic programme: the transposition looks two rows back.
  std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    before.swap(previous);
    previous.swap(current);
  }
  return previous[b.size()];
}

std::optional<std::string> nearest(std::string_view word,
                                   const std::vector<std::string>& candidates) {
  // Leading dashes are not letters the user got wrong: "--chian" is one slip from "--chain".
  const std::string_view letters = word.substr(std::min(word.find_first_not_of('-'), word.size()));
  const size_t allowed = std::max<size_t>(1, (letters.size() + 1) / 3);
  std::optional<std::string> best;
  size_t best_distance = allowed + 1;
  for (const auto& candidate : candidates) {
    const size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::optional<std::string> explain_unknown_word(const CLI::App& app, int argc,
                                                const char* const* argv) {
  const CLI::App* at = &app;
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--") return std::nullopt;  // the rest are positionals by request
    if (word.size() > 1 && word[0] == '-') {
      const bool is_long = word.rfind("--", 0) == 0;
      // --name=value, or -xVALUE (a short option glued to its value or to more flags).
      const std::string name = is_long ? word.substr(0, word.find('=')) : word.substr(0, 2);
      const CLI::Option* option = find_option(at, name);
      if (option == nullptr) return unknown("option", name, at, option_names(at));
      const bool value_attached = is_long ? name.size() < word.size() : word.size() > 2;
      if (option->get_expected_max() > 0 && !value_attached) ++i;  // skip its value
      continue;
    }
    const auto subcommands = subcommands_of(at);
    const auto sub = std::find_if(subcommands.begin(), subcommands.end(),
                                  [&](const CLI::App* s) { return s->check_name(word); });
    if (sub != subcommands.end()) {
      at = *sub;
      continue;
    }
    // A word that is neither a subcommand nor an option's value: a typo of a command where only
    // commands are expected, otherwise a positional argument.
    if (!subcommands.empty() && !has_positionals(at)) {
      return unknown("command", word, at, command_names(at));
    }
  }
  return std::nullopt;
}

}  // namespace dps::cli
