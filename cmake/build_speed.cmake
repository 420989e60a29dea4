# How the tree builds fast on two cores. scripts/test.sh prints the time of every phase and the
# slowest compilations; docs/architecture.md ("Build time") has the measurements behind these.

# lld links the many test executables several times faster than GNU ld (Debian's `lld`).
option(DPS_USE_LLD "Link with lld when it is installed" ON)
find_program(DPS_LLD_PROGRAM ld.lld)
if(DPS_USE_LLD AND DPS_LLD_PROGRAM)
  add_link_options(-fuse-ld=lld)
endif()

option(DPS_UNITY_BUILD "Compile the tests and the CLI tools as unity builds (batches of sources)" ON)
# The libraries too (src/CMakeLists.txt): their compile time halves. A batch hides a file's
# missing include and carries a `using` from one file into the next, so the sanitizer pass of the
# test command builds them one object per file (-DDPS_UNITY_LIBRARIES=OFF), which catches both.
option(DPS_UNITY_LIBRARIES "Compile the libraries as unity builds too (batches of sources)" ON)
option(DPS_PCH_TESTS "Precompile the headers every test includes (tests/test_pch.hpp)" ON)
option(DPS_OPTIMIZE_TEST_CODE
       "Compile the tests' own code with the build type's optimisation (default: -O0)" OFF)

# dps_unity_build(TARGET): compiles TARGET's sources in batches of 8 per translation unit, so the
# heavy headers every test or tool file includes (GoogleTest, nlohmann-json, Asio, CLI11) are
# parsed and their templates instantiated and optimised once per batch instead of once per file.
# For the tests and the tools (many small files on the same heavy headers); the libraries have
# DPS_UNITY_LIBRARIES. Sources of one target must not define the same file-local names. GCC's
# -Wsubobject-linkage fires there for coroutine frames holding file-local types, because a batch
# includes the .cpp files as if they were headers; it is off for these targets only.
function(dps_unity_build target)
  if(DPS_UNITY_BUILD)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      target_compile_options(${target} PRIVATE -Wno-subobject-linkage)
    endif()
  endif()
endfunction()

# dps_test_code(TARGET [PCH_OWNER|NO_PCH]): TARGET is test code (a test executable or a test
# support library): a unity build, compiled at -O0 (the code under test, our libraries and tools,
# keeps the build type's optimisation: an optimised build still tests optimised code, and the
# test code compiles twice as fast), reusing the precompiled tests/test_pch.hpp of
# dps_test_pch_owner (tests/CMakeLists.txt), or being that owner. A precompiled header is only
# used where the flags and the macros its headers test are the same as where it was built (CMake
# adds -Winvalid-pch, an error with -Werror), so every user links what the owner links for its
# macros: GoogleTest (GTEST_HAS_PTHREAD) and Boost.System (BOOST_SYSTEM_DYN_LINK). NO_PCH is for
# support libraries that need neither.
function(dps_test_code target)
  dps_unity_build(${target})
  if(NOT DPS_OPTIMIZE_TEST_CODE)
    target_compile_options(${target} PRIVATE -O0)
  endif()
  if(NOT DPS_PCH_TESTS OR ARGV1 STREQUAL "NO_PCH")
    return()
  endif()
  target_link_libraries(${target} PRIVATE GTest::gtest Boost::system)
  if(ARGV1 STREQUAL "PCH_OWNER")
    target_precompile_headers(${target} PRIVATE ${PROJECT_SOURCE_DIR}/tests/test_pch.hpp)
  else()
    target_precompile_headers(${target} REUSE_FROM dps_test_pch_owner)
  endif()
endfunction()
