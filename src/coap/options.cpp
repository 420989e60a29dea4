#include "coap/options.hpp"

#include <algorithm>
#include <array>

namespace dps::coap {
namespace {

// Sorted, for binary search. Elective numbers are listed too so the table reads as "what we know";
// only the critical ones change the outcome.
constexpr std::array<uint16_t, 16> kKnownRequestOptions = {
    option::kIfMatch,
    option::kUriHost,
    option::kETag,
    option::kObserve,
    option::kUriPort,
    option::kUriPath,
    option::kContentFormat,
    option::kMaxAge,
    option::kUriQuery,
    option::kAccept,
    option::kBlock2,
    option::kBlock1,
    option::kSize2,
    option::kSize1,
    option::kOcfAcceptContentFormatVersion,
    option::kOcfContentFormatVersion,
};
static_assert(std::is_sorted(kKnownRequestOptions.begin(), kKnownRequestOptions.end()));

bool is_known(const Message& message, uint16_t number) {
  if (is_signal(message.code)) {
    return false;  // RFC 8323 §5.3-5.6 define only elective signal options.
  }
  return std::binary_search(kKnownRequestOptions.begin(), kKnownRequestOptions.end(), number);
}

}  // namespace

std::optional<uint16_t> first_unknown_critical_option(const Message& message) {
  std::optional<uint16_t> first;
  for (const Option& o : message.options) {
    if (option::is_critical(o.number) && !is_known(message, o.number) &&
        (!first || o.number < *first)) {
      first = o.number;
    }
  }
  return first;
}

}  // namespace dps::coap
