#include "device/resource_tree.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace dps::device {
namespace {

using nlohmann::json;

constexpr const char* kDevice = "6f3c0d6e-7b0a-4a52-9d0e-3a5c0b8f1e2d";

json resource(const ResourceTree& tree, std::string_view href) {
  auto text = tree.get(href);
  return text ? json::parse(*text) : json();
}

TEST(ResourceTree, SimulatedDeviceHoldsItsIdentityAndTheConfigurableResources) {
  const auto tree = ResourceTree::simulated(kDevice);
  EXPECT_EQ(resource(tree, "/oic/d")["di"], kDevice);
  EXPECT_EQ(resource(tree, "/oic/d")["n"], "dps-device");
  EXPECT_EQ(resource(tree, "/oc/con")["n"], "dps-device");
  EXPECT_TRUE(tree.get("/oic/p"));
  EXPECT_TRUE(tree.get("/light/1"));
  EXPECT_EQ(tree.snapshot().size(), 4u);
}

TEST(ResourceTree, UpdateReplacesTheGivenPropertiesAndKeepsTheOthers) {
  auto tree = ResourceTree::simulated(kDevice);
  EXPECT_EQ(tree.update("/light/1", R"({"state": true, "name": "porch", "dimmer": 40})"), "");
  const json light = resource(tree, "/light/1");
  EXPECT_EQ(light["state"], true);
  EXPECT_EQ(light["name"], "porch");
  EXPECT_EQ(light["dimmer"], 40);
  EXPECT_EQ(light["power"], 0);  // not in the update: kept
  EXPECT_EQ(light["rt"], json({"core.light"}));
}

TEST(ResourceTree, UnknownHrefIsNotFoundAndCreatesNothing) {
  // A real device updates only resources it has: the update does not create one.
  auto tree = ResourceTree::simulated(kDevice);
  EXPECT_EQ(tree.update("/x.vendor/mode", R"({"mode": "eco"})"), "4.04");
  EXPECT_FALSE(tree.get("/x.vendor/mode"));
  EXPECT_EQ(tree.snapshot().size(), 4u);
}

TEST(ResourceTree, ReadOnlyResourceRefusesTheUpdate) {
  auto tree = ResourceTree::simulated(kDevice);
  EXPECT_EQ(tree.update("/oic/d", R"({"n": "renamed"})"), "4.05");
  EXPECT_EQ(resource(tree, "/oic/d")["n"], "dps-device");
}

TEST(ResourceTree, UpdateOfACommonPropertyIsRefusedWhole) {
  auto tree = ResourceTree::simulated(kDevice);
  const json before = resource(tree, "/oc/con");
  EXPECT_EQ(tree.update("/oc/con", R"({"n": "x", "rt": ["oic.wk.other"]})"), "4.00");
  EXPECT_EQ(tree.update("/oc/con", R"(["not", "a", "map"])"), "4.00");
  EXPECT_EQ(resource(tree, "/oc/con"), before);  // all or nothing
}

}  // namespace
}  // namespace dps::device
