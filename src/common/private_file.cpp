#include "common/private_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

namespace dps {
namespace {

constexpr int kTempAttempts = 8;

tl::unexpected<Error> os_error(const std::filesystem::path& file, std::string_view what, int err) {
  return fail(ErrorCode::Internal,
              file.string() + ": " + std::string(what) + ": " + std::strerror(err));
}

std::string mode_text(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// 64 random bits: another local user cannot guess the name in advance and park a link there (and
// O_EXCL|O_NOFOLLOW would refuse it anyway).
std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

// Refuses a symbolic link at `path`: rename() would replace it, but the operator who (or whose
// attacker) put it there should learn about it instead of having it silently dropped.
Result<void> refuse_symlink(const std::filesystem::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    return fail(ErrorCode::Internal, path.string() +
                                         ": is a symbolic link; refusing to write through it "
                                         "(remove it, dps creates the file itself)");
  }
  return {};
}

Result<void> write_all(int fd, std::string_view data, const std::filesystem::path& file) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return os_error(file, "cannot write", n < 0 ? errno : EIO);
    data.remove_prefix(static_cast<size_t>(n));
  }
  if (::fsync(fd) != 0) return os_error(file, "cannot sync", errno);
  return {};
}

// Creates, fills and syncs a fresh temporary file next to `path`; returns its name.
Result<std::filesystem::path> write_temp(const std::filesystem::path& path,
                                         std::string_view content, mode_t mode) {
  for (int attempt = 0; attempt < kTempAttempts; ++attempt) {
    std::filesystem::path tmp = path;
    tmp += ".tmp-" + random_suffix();
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0 && errno == EEXIST) continue;  // taken (or planted): never opened, try another
    if (fd < 0) return os_error(tmp, "cannot create", errno);
    // O_CREAT's mode is filtered by the umask; fchmod sets exactly `mode`.
    Result<void> written = ::fchmod(fd, mode) == 0
                               ? write_all(fd, content, tmp)
                               : Result<void>(os_error(tmp, "cannot chmod", errno));
    if (::close(fd) != 0 && written) written = os_error(tmp, "cannot close", errno);
    if (!written) {
      ::unlink(tmp.c_str());
      return tl::unexpected(written.error());
    }
    return tmp;
  }
  return fail(ErrorCode::Internal, path.string() + ": no free temporary file name");
}

// Makes the rename or link durable: without it a power loss may forget the new directory entry.
void sync_directory(const std::filesystem::path& path) {
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // the data is written and renamed; only durability across power loss is lost
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content,
                                   mode_t mode) {
  if (auto ok = refuse_symlink(path); !ok) return ok;
  auto tmp = write_temp(path, content, mode);
  if (!tmp) return tl::unexpected(tmp.error());
  // rename() replaces the directory entry itself: it never writes through a link at `path`.
  if (::rename(tmp->c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp->c_str());
    return os_error(path, "cannot replace", err);
  }
  sync_directory(path);
  return {};
}

Result<bool> create_file_exclusively(const std::filesystem::path& path, std::string_view content,
                                     mode_t mode) {
  auto tmp = write_temp(path, content, mode);
  if (!tmp) return tl::unexpected(tmp.error());
  const int linked = ::link(tmp->c_str(), path.c_str());
  const int err = errno;
  ::unlink(tmp->c_str());
  if (linked == 0) {
    sync_directory(path);
    return true;
  }
  if (err == EEXIST) return false;
  return os_error(path, "cannot create", err);
}

Result<bool> ensure_private_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  const bool created = std::filesystem::create_directories(dir, ec);
  if (ec) return fail(ErrorCode::Internal, dir.string() + ": cannot create: " + ec.message());
  if (created && ::chmod(dir.c_str(), 0700) != 0) return os_error(dir, "cannot chmod", errno);
  // stat, not lstat: a data directory reached through a symbolic link (/var/lib/dps -> /data) is
  // fine; what matters is who can use the directory it leads to.
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return os_error(dir, "cannot stat", errno);
  if (!S_ISDIR(st.st_mode)) return fail(ErrorCode::Internal, dir.string() + ": not a directory");
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return fail(ErrorCode::Internal,
                dir.string() + ": writable by group or others (mode " + mode_text(st.st_mode) +
                    "); it holds private keys: run chmod 700 on it, or point the setting at a "
                    "new subdirectory that dps creates");
  }
  if ((st.st_mode & 077) == 0) return false;
  if (::chmod(dir.c_str(), 0700) != 0) return os_error(dir, "cannot chmod to 0700", errno);
  return true;
}

}  // namespace dps
