// ManagementApi on a real SqliteStore in a temp dir, with helpers that build valid bodies from the
// test PKI, send requests as an owner and parse streams. Failures of the fixture itself throw or
// ADD_FAILURE (they are bugs in the test).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/management_api.hpp"
#include "pki/uuid.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/test_pki.hpp"

namespace dps::api::testing {

using nlohmann::json;

inline constexpr const char* kAlice = "alice";
inline constexpr const char* kBob = "bob";
inline constexpr const char* kHubA = "11111111-1111-4111-8111-111111111111";
inline constexpr const char* kHubB = "22222222-2222-4222-8222-222222222222";

/// One manufacturer PKI for the whole test binary (key generation is the slow part).
struct Pki {
  test::TestCa root = test::make_root_ca("Mfg Root");
  test::TestCa intermediate = test::make_intermediate_ca(root, "Mfg Intermediate");
  test::TestCa other_root = test::make_root_ca("Other Root");

  static Pki& get() {
    static Pki pki;
    return pki;
  }

  /// An intermediate of its own for each group name ("Mfg Intermediate <name>"), made on first
  /// use: the store refuses two groups leading with the same certificate (one owner's tie, or
  /// another owner's trust), so every group of a test needs its own CA.
  const test::TestCa& intermediate_for(const std::string& name) {
    auto it = per_name.find(name);
    if (it == per_name.end()) {
      it = per_name.emplace(name, test::make_intermediate_ca(root, "Mfg Intermediate " + name))
               .first;
    }
    return it->second;
  }
  std::map<std::string, test::TestCa> per_name;
};

/// A valid enrollment group body: the intermediate's chain (or `ca`'s), hub kHubA.
inline json group_body(const std::string& name = "group", const test::TestCa* ca = nullptr) {
  const test::TestCa& chain = ca ? *ca : Pki::get().intermediate;
  return {{"name", name},
          {"attestationMechanism", {{"x509", {{"certificateChain", chain.chain_pem()}}}}},
          {"hubIds", {kHubA}}};
}

/// A group body with a CA of its own for `name` (Pki::intermediate_for): for tests that store
/// several groups.
inline json own_ca_group_body(const std::string& name) {
  return group_body(name, &Pki::get().intermediate_for(name));
}

/// A valid hub body: one gateway, ownerClaim, built-in CA and token minting.
inline json hub_body(const std::string& hub_id = kHubA) {
  json body{{"gateways", {"hub.example.com:5684"}},
            {"authorization", {{"ownerClaim", "https://plgd.dev/owner"}}}};
  if (!hub_id.empty()) body["hubId"] = hub_id;
  return body;
}

/// Parses a stream body: one JSON object per line, each {"result": object}; returns the objects.
inline std::vector<json> parse_stream(const std::string& body) {
  std::vector<json> out;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    EXPECT_NE(end, std::string::npos) << "stream line without a newline";
    if (end == std::string::npos) end = body.size();
    json line = json::parse(body.substr(start, end - start));
    EXPECT_TRUE(line.is_object() && line.size() == 1 && line.contains("result")) << line.dump();
    out.push_back(line["result"]);
    start = end + 1;
  }
  return out;
}

inline std::vector<std::string> ids_of(const std::vector<json>& objects) {
  std::vector<std::string> ids;
  for (const auto& object : objects) ids.push_back(object.value("id", ""));
  return ids;
}

/// The options most API tests run with: proof of possession off, since what they test is
/// elsewhere; proof_of_possession_test.cpp runs with dps's defaults.
inline ManagementApiOptions options_without_proof() {
  ManagementApiOptions options;
  options.require_proof_of_possession = false;
  return options;
}

class ApiTest : public ::testing::Test {
 protected:
  explicit ApiTest(ManagementApiOptions options = options_without_proof()) {
    auto opened = store::SqliteStore::open(dir_.path() / "dps.sqlite");
    if (!opened) throw std::runtime_error("cannot open store: " + opened.error().internal);
    store_ = std::move(*opened);
    api_ = std::make_unique<ManagementApi>(
        *store_, [this] { ++changes_; }, std::move(options));
  }

  ApiResponse call(const std::string& method, const std::string& target,
                   const std::string& body = {}, const std::string& owner = kAlice) {
    auto request = parse_target(method, target, body);
    if (!request) throw std::runtime_error("bad target in test: " + target);
    return api_->handle(*request, owner);
  }
  ApiResponse call(const std::string& method, const std::string& target, const json& body,
                   const std::string& owner = kAlice) {
    return call(method, target, body.dump(), owner);
  }

  /// POSTs and returns the created object; fails the test on a non-200.
  json create(const std::string& collection, const json& body, const std::string& owner = kAlice) {
    ApiResponse response = call("POST", "/api/v1/" + collection, body, owner);
    EXPECT_EQ(response.status, 200u) << response.body;
    return json::parse(response.body);
  }

  std::vector<json> list(const std::string& target, const std::string& owner = kAlice) {
    ApiResponse response = call("GET", target, std::string{}, owner);
    EXPECT_EQ(response.status, 200u) << response.body;
    return parse_stream(response.body);
  }

  /// Stores hubs kHubA and kHubB for `owner` (through the store: no change counted), for tests
  /// whose groups and enrollments name them while testing something else: the API refuses a
  /// hubIds entry that names no hub of the caller. Returns their record ids.
  std::vector<std::string> add_hubs(const std::string& owner = kAlice) {
    std::vector<std::string> ids;
    for (const char* hub_id : {kHubA, kHubB}) {
      store::Hub hub;
      hub.id = pki::random_uuid_v4().to_string();
      hub.hub_id = hub_id;
      hub.owner = owner;
      hub.name = std::string("test hub ") + hub_id;
      hub.gateways = {"coaps+tcp://hub.example.com:5684"};
      hub.authorization.owner_claim = "https://plgd.dev/owner";
      if (auto created = store_->create_hub(hub); !created) {
        throw std::runtime_error("cannot store hub: " + created.error().internal);
      }
      ids.push_back(hub.id);
    }
    return ids;
  }

  /// The error body's message (and checks its shape and gRPC code).
  static std::string error_message(const ApiResponse& response, int grpc_code) {
    json body = json::parse(response.body);
    EXPECT_EQ(body["code"], grpc_code) << response.body;
    EXPECT_EQ(body["details"], json::array()) << response.body;
    return body.value("message", "");
  }

  test::TempDir dir_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<ManagementApi> api_;
  int changes_ = 0;
};

}  // namespace dps::api::testing
