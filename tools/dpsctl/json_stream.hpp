// The API's list answers: JSON objects one after another, any whitespace between them
// (management-api.md "Conventions": clients must not rely on one object per line).
#pragma once

#include <string_view>
#include <vector>

namespace dps::dpsctl {

/// The top-level JSON values of `body`, each as its own text, found by tracking bracket depth
/// outside strings. Text that does not close (a truncated stream) is returned as a last piece so
/// that parsing it reports the problem.
std::vector<std::string_view> split_json_stream(std::string_view body);

}  // namespace dps::dpsctl
