#include "config/values.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <utility>
#include <vector>

namespace dps::config {
namespace {

using std::chrono::nanoseconds;

constexpr int64_t kMicro = 1000;
constexpr int64_t kMilli = 1000 * kMicro;
constexpr int64_t kSecond = 1000 * kMilli;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;

// Longest unit first where one is a prefix of another ("ms" before "m").
constexpr std::array<std::pair<std::string_view, int64_t>, 8> kUnits{{{"ns", 1},
                                                                      {"us", kMicro},
                                                                      {"\xC2\xB5s", kMicro},
                                                                      {"\xCE\xBCs", kMicro},
                                                                      {"ms", kMilli},
                                                                      {"s", kSecond},
                                                                      {"m", kMinute},
                                                                      {"h", kHour}}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::optional<uint64_t> parse_uint(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
    auto digit = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::optional<nanoseconds> parse_duration(std::string_view text) {
  if (text == "0") return nanoseconds{0};
  if (text.empty()) return std::nullopt;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t total = 0;
  while (!text.empty()) {
    // One "<digits>[.<digits>]<unit>" term, e.g. "1.5h".
    size_t i = 0;
    while (i < text.size() && is_digit(text[i])) ++i;
    std::string_view whole = text.substr(0, i);
    std::string_view fraction;
    if (i < text.size() && text[i] == '.') {
      size_t start = ++i;
      while (i < text.size() && is_digit(text[i])) ++i;
      fraction = text.substr(start, i - start);
    }
    if (whole.empty() && fraction.empty()) return std::nullopt;
    text.remove_prefix(i);
    const auto* unit = std::find_if(kUnits.begin(), kUnits.end(),
                                    [&](const auto& u) { return text.starts_with(u.first); });
    if (unit == kUnits.end()) return std::nullopt;  // Go also requires the unit
    text.remove_prefix(unit->first.size());

    auto number = whole.empty() ? uint64_t{0} : parse_uint(whole);
    if (!number || *number > static_cast<uint64_t>(kMax / unit->second)) return std::nullopt;
    int64_t term = static_cast<int64_t>(*number) * unit->second;
    // The fraction, digit by digit, so "0.1h" is exact and nothing overflows.
    int64_t scale = unit->second;
    for (char c : fraction) {
      scale /= 10;
      term += (c - '0') * scale;
    }
    if (term > kMax - total) return std::nullopt;
    total += term;
  }
  return nanoseconds{total};
}

std::string format_duration(nanoseconds value) {
  int64_t rest = value.count();
  if (rest == 0) return "0s";
  std::string out;
  for (const auto& [unit, size] : {std::pair<std::string_view, int64_t>{"h", kHour},
                                   {"m", kMinute},
                                   {"s", kSecond},
                                   {"ms", kMilli},
                                   {"us", kMicro},
                                   {"ns", 1}}) {
    if (rest >= size) {
      out += std::to_string(rest / size);
      out += unit;
      rest %= size;
    }
  }
  return out;
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    bool hyphen = i == 8 || i == 13 || i == 18 || i == 23;
    if (hyphen ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

std::optional<std::string_view> suggest(std::string_view word,
                                        std::span<const std::string_view> candidates) {
  // A third of the word, at least 2: catches "adress" and "hubId", not unrelated words.
  // Ties go to the candidate of the same length ("hubz" -> "hubs", not "hub").
  auto length_gap = [&](std::string_view c) {
    return c.size() > word.size() ? c.size() - word.size() : word.size() - c.size();
  };
  std::pair<size_t, size_t> best{std::max<size_t>(2, word.size() / 3) + 1, 0};
  std::optional<std::string_view> found;
  for (std::string_view candidate : candidates) {
    std::pair<size_t, size_t> score{edit_distance(word, candidate), length_gap(candidate)};
    if (score < best) {
      best = score;
      found = candidate;
    }
  }
  return found;
}

}  // namespace dps::config
