// How many descriptors the management API may hold. Every connection is a descriptor, and
// descriptors are one pool per process (RLIMIT_NOFILE): without a budget, idle API connections
// (20,000 of them at a 20,000 limit) leave none for devices, the store or the log, and every
// device connection fails at accept with EMFILE. The API gets a fixed share of the soft limit;
// apis.http.maxConnections can only lower it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dps::http {

/// The API's share: one eighth of the soft RLIMIT_NOFILE, so at least seven eighths stay for
/// device connections (whose own cap, apis.coap.maxConnections, backs off on EMFILE), the
/// database, certificates and logs. Never below kMinApiDescriptors, so the API stays usable
/// (the operator's own requests, /metrics scrapes) under a tiny limit.
inline constexpr uint64_t kApiDescriptorShare = 8;
inline constexpr size_t kMinApiDescriptors = 16;

/// The soft RLIMIT_NOFILE of this process; UINT64_MAX when unlimited or unreadable.
uint64_t descriptor_limit();

/// The API's descriptor budget at a soft limit of `nofile`.
size_t api_descriptor_budget(uint64_t nofile);

/// Connections the API serves at once: `configured` (apis.http.maxConnections) capped by
/// api_descriptor_budget(nofile).
size_t api_connection_cap(size_t configured, uint64_t nofile);

}  // namespace dps::http
