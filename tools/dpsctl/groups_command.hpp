// dpsctl enrollment-groups (alias groups): list, get, create, update, delete.
#pragma once

#include "command_line.hpp"

namespace dps::dpsctl {

void add_groups_command(CLI::App& app, CommandLine& line);

}  // namespace dps::dpsctl
