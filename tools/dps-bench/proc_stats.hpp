// What /proc says about a process on this machine (the server under test), and this process's
// open-file limit.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace dps::bench {

struct ProcessSample {
  double cpu_seconds = 0;  // utime + stime of /proc/<pid>/stat (all threads, since start)
  uint64_t rss_kib = 0;    // VmRSS of /proc/<pid>/status
  uint64_t hwm_kib = 0;    // VmHWM: peak RSS since the process started
  uint64_t open_fds = 0;   // entries of /proc/<pid>/fd (0 when not readable)
};

/// nullopt when the process does not exist or /proc is not readable.
std::optional<ProcessSample> sample_process(pid_t pid);

/// The soft "Max open files" of `pid` (/proc/<pid>/limits); nullopt when unreadable.
std::optional<uint64_t> open_files_limit(pid_t pid);

struct FileLimit {
  uint64_t before = 0;  // soft limit found at start
  uint64_t now = 0;     // soft limit after raising it to the hard limit
  uint64_t hard = 0;
};

/// Raises this process's RLIMIT_NOFILE soft limit to its hard limit (children inherit it).
FileLimit raise_open_files_limit();

}  // namespace dps::bench
