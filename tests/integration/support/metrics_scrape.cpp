#include "support/metrics_scrape.hpp"

#include <sstream>
#include <stdexcept>

namespace dps::itest {
namespace {

// `a="x",b="y\"z"}` (the text after '{'); values unescaped.
Labels parse_labels(const std::string& text) {
  Labels labels;
  size_t i = 0;
  while (i < text.size() && text[i] != '}') {
    const size_t eq = text.find("=\"", i);
    if (eq == std::string::npos) throw std::runtime_error("bad labels: " + text);
    const std::string name = text.substr(i, eq - i);
    std::string value;
    for (i = eq + 2; i < text.size() && text[i] != '"'; ++i) {
      if (text[i] == '\\' && i + 1 < text.size()) ++i;
      value += text[i];
    }
    labels[name] = value;
    ++i;  // closing quote
    if (i < text.size() && text[i] == ',') ++i;
  }
  return labels;
}

}  // namespace

Scrape::Scrape(const std::string& text) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.front() == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == std::string::npos) throw std::runtime_error("bad sample line: " + line);
    const std::string series = line.substr(0, space);
    const size_t brace = series.find('{');
    Labels labels;
    if (brace != std::string::npos) labels = parse_labels(series.substr(brace + 1));
    samples_[key(series.substr(0, brace), labels)] = std::stod(line.substr(space + 1));
  }
}

double Scrape::at(const std::string& name, const Labels& labels) const {
  const auto it = samples_.find(key(name, labels));
  return it == samples_.end() ? 0 : it->second;
}

bool Scrape::has(const std::string& name, const Labels& labels) const {
  return samples_.contains(key(name, labels));
}

double Scrape::limit(const std::string& limit) const {
  return at("dps_limits_triggered_total", {{"limit", limit}});
}

double Scrape::handshakes(const std::string& result) const {
  return at("dps_handshakes_total", {{"result", result}});
}

std::string Scrape::key(const std::string& name, const Labels& labels) {
  std::string out = name + "{";
  for (const auto& [label, value] : labels) out += label + "=\"" + value + "\",";
  return out + "}";
}

}  // namespace dps::itest
