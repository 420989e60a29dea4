#include "http/descriptor_budget.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <limits>

namespace dps::http {

uint64_t descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return std::numeric_limits<uint64_t>::max();
  }
  return static_cast<uint64_t>(limit.rlim_cur);
}

size_t api_descriptor_budget(uint64_t nofile) {
  const uint64_t share = nofile / kApiDescriptorShare;
  const uint64_t capped = std::min<uint64_t>(share, std::numeric_limits<size_t>::max());
  return std::max(kMinApiDescriptors, static_cast<size_t>(capped));
}

size_t api_connection_cap(size_t configured, uint64_t nofile) {
  return std::min(configured, api_descriptor_budget(nofile));
}

}  // namespace dps::http
