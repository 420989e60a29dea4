// A private temporary directory (mkdtemp), removed on destruction unless kept.
#pragma once

#include <filesystem>
#include <string>

namespace dps::bench {

class TempDir {
 public:
  /// Creates $TMPDIR/<prefix>XXXXXX (0700). Throws std::runtime_error when it cannot.
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  void keep() { keep_ = true; }

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

}  // namespace dps::bench
