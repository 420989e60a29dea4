// What commands print on stdout: the API's JSON objects with --json (one per line for lists), or
// aligned tables for people.
#pragma once

#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace dps::dpsctl {

/// How one resource is shown as a table: its column headers and one object's cells.
struct TableShape {
  std::vector<std::string> headers;
  std::function<std::vector<std::string>(const nlohmann::json&)> row;
};

class Printer {
 public:
  Printer(bool json, std::ostream& out) : json_(json), out_(out) {}

  void objects(const std::vector<nlohmann::json>& objects, const TableShape& shape);
  void object(const nlohmann::json& object, const TableShape& shape);
  /// One page of a list too long to hold at once, printed as it arrives: JSON lines as
  /// objects() has them, or table rows aligned on the first page's column widths, under one
  /// header row. Call it for the first page even when empty (the headers still print).
  void page(const std::vector<nlohmann::json>& objects, const TableShape& shape);
  /// {"count":"N"} with --json, else "deleted N <what>".
  void deleted(const std::string& count, const std::string& what);
  /// {"count":"N"} with --json, else "created N <what>".
  void created(const std::string& count, const std::string& what);

 private:
  void count(const char* verb, const std::string& count, const std::string& what);

  bool json_;
  std::ostream& out_;
  std::vector<size_t> page_widths_;  // empty until the first page()
};

/// The string at `path` inside `object` ("" when absent or not a string).
std::string text_at(const nlohmann::json& object, std::initializer_list<const char*> path);
/// The strings of the array at `key` (non-strings skipped).
std::vector<std::string> strings_at(const nlohmann::json& object, const char* key);

}  // namespace dps::dpsctl
