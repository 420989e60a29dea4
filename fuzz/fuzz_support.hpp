// Shared by the fuzz targets: a check that fails loudly (libFuzzer reports the abort as a crash
// and keeps the input; the replay driver fails its test), and a private temp directory for the
// targets whose real collaborators keep files (CA, token key) or resolve relative paths.
#pragma once

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#define FUZZ_REQUIRE(condition)                                                                 \
  do {                                                                                          \
    if (!(condition)) {                                                                         \
      std::fprintf(stderr, "%s:%d: FUZZ_REQUIRE(%s) failed\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                             \
    }                                                                                           \
  } while (false)

namespace dps::fuzz {

/// With DPS_FUZZ_VERBOSE=1 in the environment, prints `what` (e.g. why an input was refused): for
/// checking what the seeds reach, e.g. `DPS_FUZZ_VERBOSE=1 build-fuzz/fuzz/pki_fuzz -runs=0 DIR`.
inline void note(const std::string& what) {
  static const bool verbose = [] {
    const char* env = std::getenv("DPS_FUZZ_VERBOSE");
    return env != nullptr && std::string(env) == "1";
  }();
  if (verbose) std::fprintf(stderr, "note: %s\n", what.c_str());
}

/// A fresh directory under the system temp dir, removed with its contents at destruction (a
/// crashing run leaves it behind: it is small and named dps-fuzz-*).
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "dps-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace dps::fuzz
