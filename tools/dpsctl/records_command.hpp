// dpsctl records (alias provisioning-records): list, delete.
#pragma once

#include "command_line.hpp"

namespace dps::dpsctl {

void add_records_command(CLI::App& app, CommandLine& line);

}  // namespace dps::dpsctl
