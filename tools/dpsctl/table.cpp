#include "table.hpp"

#include <algorithm>

namespace dps::dpsctl {

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::add_row(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

void Table::print(std::ostream& out) const { print(out, widths(), /*with_headers=*/true); }

std::vector<size_t> Table::widths() const {
  std::vector<size_t> widths(headers_.size());
  for (size_t column = 0; column < headers_.size(); ++column) {
    widths[column] = headers_[column].size();
    for (const auto& row : rows_) widths[column] = std::max(widths[column], row[column].size());
  }
  return widths;
}

void Table::print(std::ostream& out, const std::vector<size_t>& widths, bool with_headers) const {
  const auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t column = 0; column < cells.size(); ++column) {
      if (column > 0) line += "  ";
      line += cells[column];
      const size_t width = column < widths.size() ? widths[column] : 0;
      if (column + 1 < cells.size() && cells[column].size() < width) {
        line.append(width - cells[column].size(), ' ');
      }
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out << line << '\n';
  };
  if (with_headers) print_row(headers_);
  for (const auto& row : rows_) print_row(row);
}

std::string join(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& value : values) out += (out.empty() ? "" : ",") + value;
  return out;
}

}  // namespace dps::dpsctl
