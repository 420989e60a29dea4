// What commands print on stdout: the API's JSON objects with --json (one per line for lists), or
// aligned tables for people.
#pragma once

#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "details.hpp"

namespace dps::dpsctl {

/// How one resource is shown as a table: its column headers and one object's cells.
struct TableShape {
  std::vector<std::string> headers;
  std::function<std::vector<std::string>(const nlohmann::json&)> row;
};

class Printer {
 public:
  /// `err` takes the notes meant for people only (an empty list), so that stdout stays exactly
  /// the data a script reads.
  Printer(bool json, std::ostream& out, std::ostream& err) : json_(json), out_(out), err_(err) {}

  /// Whether --json was given (the API's objects as they come) rather than tables.
  bool json_output() const { return json_; }
  /// A list; when empty, nothing on stdout (not even the header row) and "no <plural> matched"
  /// on stderr.
  void objects(const std::vector<nlohmann::json>& objects, const TableShape& shape,
               const std::string& plural);
  void object(const nlohmann::json& object, const TableShape& shape);
  /// One object as `get` shows it: the JSON with --json, else details.hpp's key/value lines.
  void details(const nlohmann::json& object, const DetailShape& shape);
  /// A line for people between the parts of a view; nothing with --json, where stdout holds only
  /// the API's objects.
  void line(const std::string& text);
  /// "no <plural> matched" on stderr.
  void nothing_matched(const std::string& plural);
  /// One page of a list too long to hold at once, printed as it arrives: JSON lines as
  /// objects() has them, or table rows aligned on the first page's column widths, under one
  /// header row; nothing for an empty first page (call nothing_matched() when the list is empty).
  void page(const std::vector<nlohmann::json>& objects, const TableShape& shape);
  /// {"count":"N"} with --json, else "deleted N <what>".
  void deleted(const std::string& count, const std::string& what);
  /// {"count":"N"} with --json, else "created N <what>".
  void created(const std::string& count, const std::string& what);

 private:
  void count(const char* verb, const std::string& count, const std::string& what);

  bool json_;
  std::ostream& out_;
  std::ostream& err_;
  std::vector<size_t> page_widths_;  // empty until the first page()
};

/// The string at `path` inside `object` ("" when absent or not a string).
std::string text_at(const nlohmann::json& object, std::initializer_list<const char*> path);
/// The strings of the array at `key` (non-strings skipped).
std::vector<std::string> strings_at(const nlohmann::json& object, const char* key);

}  // namespace dps::dpsctl
