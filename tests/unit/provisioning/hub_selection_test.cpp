#include "provisioning/hub_selection.hpp"

#include <gtest/gtest.h>

namespace dps::provisioning {
namespace {

store::Hub hub(std::string hub_id, std::vector<std::string> gateways) {
  store::Hub h;
  h.id = hub_id;
  h.hub_id = std::move(hub_id);
  h.gateways = std::move(gateways);
  return h;
}

TEST(ChooseHub, TakesSelectedGatewayWhenItsHubAndUriMatch) {
  auto a = hub("a", {"coaps+tcp://a:1"});
  auto b = hub("b", {"coaps+tcp://b:1", "coaps+tcp://b:2"});
  auto choice = choose_hub({&a, &b}, store::Gateway{"coaps+tcp://b:2", "b"});
  ASSERT_TRUE(choice);
  EXPECT_EQ(choice->hub, &b);
  EXPECT_EQ(choice->gateway, "coaps+tcp://b:2");
}

TEST(ChooseHub, FallsBackToFirstHubWhenSelectionDoesNotMatch) {
  auto a = hub("a", {"coaps+tcp://a:1"});
  auto b = hub("b", {"coaps+tcp://b:1"});
  for (const auto& selected :
       {std::optional<store::Gateway>{}, std::optional<store::Gateway>{{"coaps+tcp://a:1", "b"}},
        std::optional<store::Gateway>{{"", "00000000-0000-0000-0000-000000000000"}}}) {
    auto choice = choose_hub({&a, &b}, selected);
    ASSERT_TRUE(choice);
    EXPECT_EQ(choice->hub, &a);
    EXPECT_EQ(choice->gateway, "coaps+tcp://a:1");
  }
}

TEST(ChooseHub, ListsEveryGatewayOfEveryHubOnce) {
  auto a = hub("a", {"coaps+tcp://x:1", "coaps+tcp://a:1"});
  auto b = hub("a", {"coaps+tcp://x:1"});
  auto choice = choose_hub({&a, &b}, std::nullopt);
  ASSERT_TRUE(choice);
  EXPECT_EQ(choice->servers.size(), 2u);
}

TEST(ChooseHub, RefusesWhenNoHubIsLinked) {
  auto choice = choose_hub({}, std::nullopt);
  ASSERT_FALSE(choice);
  EXPECT_EQ(choice.error().code, ErrorCode::BadRequest);
}

}  // namespace
}  // namespace dps::provisioning
