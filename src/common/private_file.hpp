// The one way dps writes a file into its data directory (keys, certificates, tokens, JWKS), and
// the check of that directory. Whoever can write the data directory, or plant a symbolic link in
// it, must not be able to make dps write a private key somewhere else or read it back from there.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string_view>

#include "common/result.hpp"

namespace dps {

/// Mode of files only dps may read (private keys, tokens).
constexpr mode_t kSecretFileMode = 0600;
/// Mode of files anyone may read (certificates, the public JWKS).
constexpr mode_t kPublicFileMode = 0644;

/// Replaces `path` with `content` atomically: a temporary file with an unpredictable name in the
/// same directory, created with O_CREAT|O_EXCL|O_NOFOLLOW and exactly `mode` (the umask cannot
/// widen or narrow it), written, fsynced, renamed over `path`; then the directory is fsynced. A
/// crash leaves the old file or the new one, never a truncated one.
/// @return Internal error naming the path if `path` is a symbolic link (refused, the link and
///         what it points at are left alone) or on any I/O failure.
[[nodiscard]] Result<void> write_file_atomically(const std::filesystem::path& path,
                                                 std::string_view content, mode_t mode);

/// Publishes `content` at `path` only if nothing (file, directory or symbolic link) is there yet,
/// race-free between processes: the temporary file is hard-linked into place, and link() never
/// follows or replaces what exists.
/// @return true if this call created `path`, false if something was already there.
[[nodiscard]] Result<bool> create_file_exclusively(const std::filesystem::path& path,
                                                   std::string_view content, mode_t mode);

/// Makes sure `dir` exists and only its owner can use it: a missing directory is created 0700; an
/// existing one readable or searchable by group/others is tightened to 0700 (nothing was written
/// by them, so closing the door is enough); one writable by group or others is refused, since
/// someone else may already have planted files or links in it.
/// @return true if the mode was tightened (the caller logs it), false if it was already private.
[[nodiscard]] Result<bool> ensure_private_directory(const std::filesystem::path& dir);

}  // namespace dps
