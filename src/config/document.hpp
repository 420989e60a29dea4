// The config file after the YAML walker: a tree of maps and lists with typed leaves, every key
// checked against the schema. Later stages read it without touching yaml-cpp. Internal.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dps::config {

// String also carries Path/Dir (resolved) and Source (the content) values.
using Scalar = std::variant<std::monostate, std::string, bool, uint64_t, std::chrono::nanoseconds,
                            std::vector<std::string>>;

struct Node {
  std::string path;  // concrete dotted path for messages: enrollmentGroups[0].hub.gateways
  Scalar value;
  /// For a file-valued key whose value named a file (not a data: URI or inline PEM): that file,
  /// absolute, for keys whose file is read again when it changes.
  std::string source_file;
  std::map<std::string, Node, std::less<>> fields;  // keys present in a map
  std::vector<Node> items;                          // entries of a list of maps

  /// The node at a dotted relative path ("x509.certificateChain"), or nullptr if absent.
  const Node* at(std::string_view dotted) const {
    const Node* node = this;
    while (node && !dotted.empty()) {
      size_t dot = dotted.find('.');
      auto it = node->fields.find(dotted.substr(0, dot));
      node = it == node->fields.end() ? nullptr : &it->second;
      dotted = dot == std::string_view::npos ? std::string_view{} : dotted.substr(dot + 1);
    }
    return node;
  }

  /// Typed leaf at a relative path, or `fallback` when absent or null.
  template <class T>
  T get(std::string_view dotted, T fallback = {}) const {
    const Node* node = at(dotted);
    if (!node) return fallback;
    const T* typed = std::get_if<T>(&node->value);
    return typed ? *typed : fallback;
  }

  /// Concrete path of a child, for messages about keys that may be absent.
  std::string child_path(std::string_view dotted) const {
    return path.empty() ? std::string(dotted) : path + "." + std::string(dotted);
  }
};

}  // namespace dps::config
