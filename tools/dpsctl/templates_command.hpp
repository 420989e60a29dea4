// dpsctl enrollment-templates (alias templates): list, get, create, update, delete.
#pragma once

#include "command_line.hpp"

namespace dps::dpsctl {

void add_templates_command(CLI::App& app, CommandLine& line);

}  // namespace dps::dpsctl
