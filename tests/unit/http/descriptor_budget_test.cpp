#include "http/descriptor_budget.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace dps::http {
namespace {

TEST(DescriptorBudget, TheApiGetsAnEighthOfTheLimit) {
  EXPECT_EQ(api_descriptor_budget(20000), 2500u);
  EXPECT_EQ(api_descriptor_budget(1024), 128u);
  EXPECT_EQ(api_connection_cap(1024, 20000), 1024u) << "the configured cap when it is lower";
  EXPECT_EQ(api_connection_cap(1024, 1024), 128u) << "the budget when it is lower";
}

TEST(DescriptorBudget, NeverBelowTheFloorNorOverflowingWhenUnlimited) {
  EXPECT_EQ(api_descriptor_budget(64), kMinApiDescriptors);
  EXPECT_EQ(api_descriptor_budget(0), kMinApiDescriptors);
  EXPECT_EQ(api_connection_cap(1024, std::numeric_limits<uint64_t>::max()), 1024u);
}

TEST(DescriptorBudget, ReadsThisProcesssLimit) { EXPECT_GT(descriptor_limit(), 0u); }

}  // namespace
}  // namespace dps::http
