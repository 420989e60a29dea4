// "Did you mean": when CLI11 refuses a command line, find the first word it could not place (a
// subcommand or option name that does not exist where it stands) and name the nearest known one.
// CLI11's own message for such a line is about the symptom ("A subcommand is required",
// "--chain is required"), not the typo. Shared by dpsctl, dps and dps-bench (all CLI11), so it
// lives in the dps_cli_support library (tools/dpsctl/cli_support), not in src/common (which
// does not depend on CLI11).
#pragma once

#include <CLI/App.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dps::cli {

/// Optimal string alignment distance: insertions, deletions, substitutions and transpositions
/// of neighbours ("chian" → "chain" is 1) each cost 1.
size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate nearest to `word`, if it is near enough to be a typo of it (about a third of
/// the word's letters wrong at most); ties go to the first candidate.
std::optional<std::string> nearest(std::string_view word,
                                   const std::vector<std::string>& candidates);

/// For a command line `app` refused (argv as main got it): the first unknown subcommand or option,
/// as e.g. `unknown command "grups" for dpsctl; did you mean "groups"?` or, with nothing near,
/// the names known there. nullopt when every word is known (the error is about something else:
/// a missing value, a bad number, ...), so the caller keeps CLI11's message.
std::optional<std::string> explain_unknown_word(const CLI::App& app, int argc,
                                                const char* const* argv);

}  // namespace dps::cli
