# DPS_SANITIZE: AddressSanitizer + UndefinedBehaviorSanitizer on everything.
# DPS_FUZZ (clang, implies DPS_SANITIZE): the same build also links the libFuzzer targets of fuzz/,
# and the libraries they exercise carry coverage feedback (dps_fuzz_coverage in fuzz/). The test
# command's sanitizer pass is this one build: its tests and its fuzz smoke share every object.
# DPS_TSAN: ThreadSanitizer (scripts/tsan.sh), in a build of its own.
option(DPS_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(DPS_FUZZ "Also build the libFuzzer targets of fuzz/ (clang; turns DPS_SANITIZE on)" OFF)
option(DPS_TSAN "Build with ThreadSanitizer (scripts/tsan.sh; not combinable with DPS_SANITIZE)" OFF)

if(DPS_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "DPS_FUZZ needs clang (libFuzzer): configure with CXX=clang++-14")
  endif()
  set(DPS_SANITIZE ON)
endif()

if(DPS_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # clang 14 cannot emit UBSan's -fsanitize=function checks in coroutines ("Cannot represent a
    # difference across sections"); GCC has no such check, so nothing is lost against it.
    add_compile_options(-fno-sanitize=function)
  endif()
endif()

if(DPS_TSAN)
  if(DPS_SANITIZE)
    message(FATAL_ERROR "DPS_TSAN and DPS_SANITIZE exclude each other: use two build directories")
  endif()
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
  # GCC warns that TSan does not model the std::atomic_thread_fence in Asio's fenced blocks;
  # Asio's handler hand-offs also go through mutexes, which TSan does see.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-tsan)
  endif()
endif()
