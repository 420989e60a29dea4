// One /metrics scrape of the dps under test, parsed into series → value (the Prometheus text
// format as dps writes it), so a test can check that a counter moved by exactly what it caused.
#pragma once

#include <map>
#include <string>

namespace dps::itest {

using Labels = std::map<std::string, std::string>;

class Scrape {
 public:
  explicit Scrape(const std::string& text);

  /// The sample's value; 0 when the series does not exist (yet).
  double at(const std::string& name, const Labels& labels = {}) const;
  bool has(const std::string& name, const Labels& labels = {}) const;
  /// dps_limits_triggered_total{limit="<limit>"}.
  double limit(const std::string& limit) const;
  /// dps_handshakes_total{result="<result>"}.
  double handshakes(const std::string& result) const;

 private:
  static std::string key(const std::string& name, const Labels& labels);

  std::map<std::string, double> samples_;
};

}  // namespace dps::itest
