#include "config/values.hpp"

#include <gtest/gtest.h>

#include <array>

namespace dps::config {
namespace {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;

struct DurationCase {
  std::string_view text;
  nanoseconds value;
};

class GoDuration : public ::testing::TestWithParam<DurationCase> {};

TEST_P(GoDuration, ParsesLikeTimeParseDuration) {
  EXPECT_EQ(parse_duration(GetParam().text), GetParam().value) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(Valid, GoDuration,
                         ::testing::Values(DurationCase{"0", 0ns}, DurationCase{"20s", 20s},
                                           DurationCase{"10m", 10min}, DurationCase{"500ms", 500ms},
                                           DurationCase{"1h30m", 90min},
                                           DurationCase{"8760h", 8760h}, DurationCase{"4m0s", 4min},
                                           DurationCase{"1.5h", 90min}, DurationCase{".5s", 500ms},
                                           DurationCase{"2.s", 2s}, DurationCase{"1us", 1us},
                                           DurationCase{"1\xC2\xB5s", 1us},
                                           DurationCase{"7ns", 7ns},
                                           DurationCase{"1h1m1s1ms", 1h + 1min + 1s + 1ms}));

TEST(GoDuration, RejectsWhatGoRejectsAndNegatives) {
  for (std::string_view text :
       {"", "20", "s", ".s", "1d", "-5s", "+5s", "5 s", "5sec", "1h 30m", "99999999999999h"}) {
    EXPECT_EQ(parse_duration(text), std::nullopt) << text;
  }
}

TEST(GoDuration, FormatsShortestTextThatParsesBack) {
  EXPECT_EQ(format_duration(0ns), "0s");
  EXPECT_EQ(format_duration(20s), "20s");
  EXPECT_EQ(format_duration(8760h), "8760h");
  EXPECT_EQ(format_duration(90min), "1h30m");
  EXPECT_EQ(format_duration(2500ms), "2s500ms");
  for (nanoseconds d : {nanoseconds(1), nanoseconds(1h + 1ms + 7ns), nanoseconds(59min)}) {
    EXPECT_EQ(parse_duration(format_duration(d)), d);
  }
}

TEST(ParseUint, AcceptsDigitsOnly) {
  EXPECT_EQ(parse_uint("262144"), 262144u);
  EXPECT_EQ(parse_uint("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(parse_uint("18446744073709551616"), std::nullopt);
  for (std::string_view text : {"", "-1", "+1", "1.0", "0x10", "1e3", " 1"}) {
    EXPECT_EQ(parse_uint(text), std::nullopt) << text;
  }
}

TEST(IsUuid, AcceptsCanonicalFormInEitherCase) {
  EXPECT_TRUE(is_uuid("5db6ccde-05e1-480b-a522-c1591ad7dfd2"));
  EXPECT_TRUE(is_uuid("5DB6CCDE-05E1-480B-A522-C1591AD7DFD2"));
  EXPECT_FALSE(is_uuid("5db6ccde05e1480ba522c1591ad7dfd2"));
  EXPECT_FALSE(is_uuid("{5db6ccde-05e1-480b-a522-c1591ad7dfd2}"));
  EXPECT_FALSE(is_uuid("5db6ccde-05e1-480b-a522-c1591ad7dfdg"));
  EXPECT_FALSE(is_uuid("1"));
}

TEST(Suggest, FindsPlausibleTyposOnly) {
  const std::array<std::string_view, 4> keys{"address", "protocols", "hub", "hubs"};
  EXPECT_EQ(suggest("adress", keys), "address");
  EXPECT_EQ(suggest("Address", keys), "address");
  EXPECT_EQ(suggest("protocol", keys), "protocols");
  EXPECT_EQ(suggest("hubz", keys), "hubs");
  EXPECT_EQ(suggest("colour", keys), std::nullopt);
}

}  // namespace
}  // namespace dps::config
