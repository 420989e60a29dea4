// dpsctl individual-enrollments (alias individual): list, get, create, update, delete,
// bulk-create.
#pragma once

#include "command_line.hpp"

namespace dps::dpsctl {

void add_individual_enrollments_command(CLI::App& app, CommandLine& line);

}  // namespace dps::dpsctl
