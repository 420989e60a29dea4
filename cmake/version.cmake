# dps_version: `const char* dps::version()` ("0.1.0 (git c9bda0f)") for every tool's --version
# (dpsctl, dps, dps-bench, dps-device: link dps_version, include "dps_version.hpp").
# The revision is read when building, not only when configuring: a revision fixed at configure
# time would go stale with the next commit and --version would name a build it is not. The step
# runs `git rev-parse` on every build (milliseconds) and rewrites the generated source only when
# the revision changed, so only that one file recompiles (no widely included header holds it).
set(_dps_version_source ${PROJECT_BINARY_DIR}/generated/dps_version.cpp)
add_custom_target(dps_version_source
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DDPS_VERSION=${PROJECT_VERSION}
          -DTEMPLATE=${CMAKE_CURRENT_LIST_DIR}/version/dps_version.cpp.in
          -DOUTPUT=${_dps_version_source} -P ${CMAKE_CURRENT_LIST_DIR}/version/write_version.cmake
  BYPRODUCTS ${_dps_version_source}
  COMMENT "" VERBATIM)
add_library(dps_version STATIC ${_dps_version_source})
add_dependencies(dps_version dps_version_source)
target_include_directories(dps_version PUBLIC ${CMAKE_CURRENT_LIST_DIR}/version)
target_link_libraries(dps_version PRIVATE dps_warnings)
