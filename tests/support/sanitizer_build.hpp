// Whether this translation unit is built with AddressSanitizer, for tests whose bounds (memory,
// time) must allow for it. GCC defines __SANITIZE_ADDRESS__; clang 14 only answers
// __has_feature(address_sanitizer).
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define DPS_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DPS_ADDRESS_SANITIZER 1
#endif
#endif
