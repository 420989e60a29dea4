// Aligned columns for people: a header row, then one row per object, columns separated by two
// spaces and padded to their widest cell (the last column is not padded).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace dps::dpsctl {

class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  /// A row of cells; missing cells print empty, extra ones are dropped.
  void add_row(std::vector<std::string> cells);
  void print(std::ostream& out) const;
  /// The width of each column: its widest header or cell.
  std::vector<size_t> widths() const;
  /// The rows (after the headers when `with_headers`) padded to `widths`, e.g. those of an
  /// earlier page of the same list; a wider cell pushes the rest of its own row only.
  void print(std::ostream& out, const std::vector<size_t>& widths, bool with_headers) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

/// `values` joined with ",".
std::string join(const std::vector<std::string>& values);

}  // namespace dps::dpsctl
