# Writes OUTPUT from TEMPLATE with DPS_VERSION and the source tree's git revision. Run with -P at
# every build (cmake/version.cmake): configure_file rewrites OUTPUT only when the text changes, so
# an unchanged revision compiles nothing. Outside a git checkout (a release tarball) the revision
# is "unknown".
set(DPS_GIT_REVISION unknown)
if(EXISTS "${SOURCE_DIR}/.git")
  find_program(DPS_GIT git)
  if(DPS_GIT)
    execute_process(COMMAND ${DPS_GIT} -C "${SOURCE_DIR}" rev-parse --short HEAD
                    OUTPUT_VARIABLE revision RESULT_VARIABLE failed ERROR_QUIET
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT failed AND revision)
      set(DPS_GIT_REVISION ${revision})
    endif()
  endif()
endif()
configure_file("${TEMPLATE}" "${OUTPUT}" @ONLY)
