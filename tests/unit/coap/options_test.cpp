// RFC 7252 §5.4.1 critical options as this service knows them (device-protocol.md §1).
#include "coap/options.hpp"

#include <gtest/gtest.h>

namespace dps::coap {
namespace {

Message device_post() {
  Message m;
  m.code = Code::Post;
  m.token = {1, 2, 3, 4, 5, 6, 7, 8};
  m.set_uri_path("/api/v1/provisioning/credentials");
  m.add_uint_option(option::kContentFormat, content_format::kOcfCbor);
  m.add_uint_option(option::kAccept, content_format::kOcfCbor);
  m.add_uint_option(option::kOcfAcceptContentFormatVersion, 2048);
  m.add_uint_option(option::kOcfContentFormatVersion, 2048);
  return m;
}

TEST(FirstUnknownCriticalOption, AcceptsTheOcfVersionOptionsEveryDeviceSends) {
  EXPECT_EQ(first_unknown_critical_option(device_post()), std::nullopt);
}

TEST(FirstUnknownCriticalOption, AcceptsEveryKnownOption) {
  Message m;
  m.code = Code::Get;
  for (const int number : {1, 3, 4, 6, 7, 11, 12, 14, 15, 17, 23, 27, 28, 60, 2049, 2053}) {
    m.add_option(static_cast<uint16_t>(number), {});
  }
  EXPECT_EQ(first_unknown_critical_option(m), std::nullopt);
}

TEST(FirstUnknownCriticalOption, ReportsAnUnknownCriticalOption) {
  Message m = device_post();
  m.add_option(9, {});  // unassigned, odd: critical
  EXPECT_EQ(first_unknown_critical_option(m), 9);
}

TEST(FirstUnknownCriticalOption, ReportsTheLowestOfSeveral) {
  Message m = device_post();
  m.add_option(2051, {});
  m.add_option(35, {'x'});  // Proxy-Uri: critical, not supported here
  EXPECT_EQ(first_unknown_critical_option(m), 35);
}

TEST(FirstUnknownCriticalOption, IgnoresUnknownElectiveOptions) {
  Message m = device_post();
  m.add_option(2050, {0x01});
  m.add_option(65020, {});
  EXPECT_EQ(first_unknown_critical_option(m), std::nullopt);
}

TEST(FirstUnknownCriticalOption, TreatsEveryCriticalSignalOptionAsUnknown) {
  Message csm;
  csm.code = Code::Csm;
  csm.add_uint_option(option::kCsmMaxMessageSize, 1152);  // elective: fine
  EXPECT_EQ(first_unknown_critical_option(csm), std::nullopt);
  csm.add_option(11, {});  // Uri-Path's number means nothing in a CSM
  EXPECT_EQ(first_unknown_critical_option(csm), 11);
}

}  // namespace
}  // namespace dps::coap
