// dpsctl explain CERT.pem [--chain INTERMEDIATES.pem]: which of the caller's enrollments would
// admit a device presenting that certificate, and why (POST /api/v1/explain). Exits 0 when
// admitted, 6 (ExitCode::NotAdmitted) when refused.
#pragma once

#include "command_line.hpp"

namespace dps::dpsctl {

void add_explain_command(CLI::App& app, CommandLine& line);

}  // namespace dps::dpsctl
