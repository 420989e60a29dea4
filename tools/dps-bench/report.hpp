// The bench report as text (people) or one JSON document (--json, machines).
#pragma once

#include <string>

#include "bench_report.hpp"

namespace dps::bench {

std::string format_text(const ProvisionReport& report);
std::string format_json(const ProvisionReport& report);

std::string format_text(const IdleReport& report);
std::string format_json(const IdleReport& report);

}  // namespace dps::bench
