#include "printer.hpp"

#include "table.hpp"

namespace dps::dpsctl {

using nlohmann::json;

namespace {

// Stored text need not be UTF-8 (records keep what devices sent): replace, never throw.
std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

void Printer::objects(const std::vector<json>& objects, const TableShape& shape) {
  if (json_) {
    for (const auto& object : objects) out_ << dump(object) << '\n';
    return;
  }
  Table table(shape.headers);
  for (const auto& object : objects) table.add_row(shape.row(object));
  table.print(out_);
}

void Printer::object(const json& object, const TableShape& shape) { objects({object}, shape); }

void Printer::page(const std::vector<json>& objects, const TableShape& shape) {
  if (json_) {
    for (const auto& object : objects) out_ << dump(object) << '\n';
  } else {
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
