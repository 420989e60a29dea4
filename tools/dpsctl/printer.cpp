#include "printer.hpp"

#include <algorithm>

#include "table.hpp"

namespace dps::dpsctl {

using nlohmann::json;

namespace {

// Stored text need not be UTF-8 (records keep what devices sent): replace, never throw.
std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

void Printer::objects(const std::vector<json>& objects, const TableShape& shape,
                      const std::string& plural) {
  if (objects.empty()) {
    nothing_matched(plural);
    return;
  }
  if (json_) {
    for (const auto& object : objects) out_ << dump(object) << '\n';
    return;
  }
  Table table(shape.headers);
  for (const auto& object : objects) table.add_row(shape.row(object));
  table.print(out_);
}

void Printer::object(const json& object, const TableShape& shape) {
  if (json_) {
    out_ << dump(object) << '\n';
    return;
  }
  Table table(shape.headers);
  table.add_row(shape.row(object));
  table.print(out_);
}

void Printer::details(const json& object, const DetailShape& shape) {
  if (json_) {
    out_ << dump(object) << '\n';
    return;
  }
  const auto lines = detail_lines(object, shape);
  size_t width = 0;
  for (const auto& line : lines) width = std::max(width, line.first.size());
  for (const auto& [key, value] : lines) {
    out_ << key << std::string(width - key.size() + 2, ' ') << value << '\n';
  }
}

void Printer::line(const std::string& text) {
  if (!json_) out_ << text << '\n';
}

void Printer::nothing_matched(const std::string& plural) {
  err_ << "dpsctl: no " << plural << " matched\n";
}

void Printer::page(const std::vector<json>& objects, const TableShape& shape) {
  if (json_) {
    for (const auto& object : objects) out_ << dump(object) << '\n';
  } else if (!objects.empty() || !page_widths_.empty()) {
    Table table(shape.headers);
    for (const auto& object : objects) table.add_row(shape.row(object));
    const bool first = page_widths_.empty();
    if (first) page_widths_ = table.widths();
    table.print(out_, page_widths_, /*with_headers=*/first);
  }
  // A page is what the operator sees while the next one is fetched.
  out_.flush();
}

void Printer::deleted(const std::string& count, const std::string& what) {
  this->count("deleted", count, what);
}

void Printer::created(const std::string& count, const std::string& what) {
  this->count("created", count, what);
}

void Printer::count(const char* verb, const std::string& count, const std::string& what) {
  if (json_) {
    out_ << dump(json{{"count", count}}) << '\n';
  } else {
    out_ << verb << ' ' << count << ' ' << what << '\n';
  }
}

std::string text_at(const json& object, std::initializer_list<const char*> path) {
  const json* node = &object;
  for (const char* key : path) {
    if (!node->is_object()) return {};
    const auto found = node->find(key);
    if (found == node->end()) return {};
    node = &*found;
  }
  return node->is_string() ? node->get<std::string>() : std::string();
}

std::vector<std::string> strings_at(const json& object, const char* key) {
  std::vector<std::string> out;
  const auto found = object.find(key);
  if (found == object.end() || !found->is_array()) return out;
  for (const auto& value : *found) {
    if (value.is_string()) out.push_back(value.get<std::string>());
  }
  return out;
}

}  // namespace dps::dpsctl
