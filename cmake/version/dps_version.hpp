// The version every tool prints with --version: the project's version (CMakeLists.txt) and the
// git revision the binary was built from. Only the generated dps_version.cpp holds them, so a
// new commit recompiles that one file and relinks, never the rest of the tree.
#pragma once

namespace dps {

/// E.g. "0.1.0 (git c9bda0f)"; "(git unknown)" when built outside a git checkout.
const char* version();
/// `git rev-parse --short HEAD` of the source tree at build time, or "unknown".
const char* git_revision();

}  // namespace dps
