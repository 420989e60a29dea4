// `dpsctl individual-enrollments bulk-create`: loads a fleet's enrollments from a file of create
// bodies, one JSON object per line, with a bounded number of POSTs in flight (the API has no bulk
// endpoint). The file is read as it is sent, so its size is not bounded by memory.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "api_resource.hpp"

namespace dps::dpsctl {

struct BulkCreateOptions {
  std::string file;                  // "-": standard input
  unsigned parallel = 4;             // requests in flight
  double progress_seconds = 5;       // between progress lines on stderr; 0: none
  double rate = 45;                  // most requests started per second; 0: no pacing
  std::vector<std::string> hub_ids;  // hubIds of lines that have none
};

/// Sends every non-blank line of the file as a create body, in file order (up to
/// options.parallel at once, at most options.rate per second). A request refused with 429 or 503,
/// or that failed before it was sent (connect, TLS handshake: dps closes connections over its
/// apis.http.connectionRate at accept), is retried a few times with a growing pause. Writes "<n>
/// created, <rate>/s" to `progress` every options.progress_seconds and a last such line at the end.
/// Returns how many were created.
/// @throws CliError at the first line that fails, with its exit code (Usage for a line that is
///         not a JSON object, the API's for a refused one) and a message naming FILE:LINE, the
///         count created, and that every line before it was created.
size_t bulk_create(ApiResource& resource, const BulkCreateOptions& options, std::ostream& progress);

}  // namespace dps::dpsctl
