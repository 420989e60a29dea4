// ManagementApi routing and tenancy: prefix, unknown paths, wrong methods, owner isolation, the
// empty-owner guard, and store failures mapped to 503/500 without leaking database text.
#include <gtest/gtest.h>

#include "api/errors.hpp"
#include "api_fixture.hpp"
#include "unit/store/forwarding_store.hpp"

namespace dps::api::testing {
namespace {

using Ids = std::vector<std::string>;

class ManagementApiRouting : public ApiTest {};

TEST_F(ManagementApiRouting, EveryRouteIsAlsoServedUnderThePlgdPrefix) {
  const std::string prefix = "/device-provisioning-service";
  ApiResponse created = call("POST", prefix + "/api/v1/hubs", hub_body());  // the group names it
  ASSERT_EQ(created.status, 200u) << created.body;
  const std::string hub_id = json::parse(created.body)["id"];
  const json group = create("enrollment-groups", group_body());
  EXPECT_EQ(parse_stream(call("GET", prefix + "/api/v1/enrollment-groups").body).size(), 1u);
  EXPECT_EQ(parse_stream(call("GET", prefix + "/api/v1/hubs").body).size(), 1u);
  EXPECT_EQ(call("GET", prefix + "/api/v1/provisioning-records").status, 200u);
  EXPECT_EQ(
      call("PUT", prefix + "/api/v1/enrollment-groups/" + std::string(group["id"]), group_body("x"))
          .status,
      200u);
  EXPECT_EQ(call("PUT", prefix + "/api/v1/hubs/" + hub_id, hub_body()).status, 200u);
  const std::string group_id = group["id"];
  EXPECT_EQ(call("DELETE", prefix + "/api/v1/enrollment-groups?idFilter=" + group_id).status, 200u);
  EXPECT_EQ(call("DELETE", prefix + "/api/v1/hubs?idFilter=" + hub_id).status, 200u);
  EXPECT_EQ(call("DELETE", prefix + "/api/v1/provisioning-records").status, 200u);
  EXPECT_EQ(changes_, 6);
}

TEST_F(ManagementApiRouting, UnknownPathsAre404) {
  for (const char* path :
       {"/", "/api/v1", "/api/v1/enrollment-groups/", "/api/v1/hubs/a/b", "/api/v2/hubs",
        "/api/v1/hubsx", "/device-provisioning-service", "/device-provisioning-serviceapi/v1/hubs",
        "/api/v1/provisioning-records/r1"}) {
    ApiResponse response = call("GET", path);
    EXPECT_EQ(response.status, 404u) << path;
    EXPECT_EQ(error_message(response, 5), "unknown path \"" + std::string(path) + "\"");
  }
}

TEST_F(ManagementApiRouting, WrongMethodOnAKnownPathIs405WithAllow) {
  struct Case {
    const char* method;
    std::string path;
    const char* allow;
  };
  const std::string item = "/api/v1/hubs/" + std::string(kHubA);
  for (const Case& c :
       {Case{"PUT", "/api/v1/enrollment-groups", "GET, POST, DELETE"},
        Case{"PATCH", "/api/v1/hubs", "GET, POST, DELETE"}, Case{"GET", item, "PUT"},
        Case{"DELETE", "/api/v1/enrollment-groups/" + std::string(kHubA), "PUT"},
        Case{"POST", "/api/v1/provisioning-records", "GET, DELETE"},
        Case{"get", "/api/v1/hubs", "GET, POST, DELETE"}}) {
    ApiResponse response = call(c.method, c.path);
    EXPECT_EQ(response.status, 405u) << c.method << " " << c.path;
    EXPECT_EQ(response.headers,
              (std::vector<std::pair<std::string, std::string>>{{"Allow", c.allow}}));
    EXPECT_EQ(error_message(response, 12), std::string(c.method) + " is not allowed on " + c.path +
                                               " (allowed: " + c.allow + ")");
  }
}

TEST_F(ManagementApiRouting, EmptyOwnerIsABugAnswered500WithoutTouchingTheStore) {
  create("hubs", hub_body());
  create("enrollment-groups", group_body());
  create("hubs", hub_body(), kBob);
  for (const char* target : {"/api/v1/enrollment-groups", "/api/v1/hubs"}) {
    ApiResponse response = call("GET", target, std::string{}, "");
    EXPECT_EQ(response.status, 500u);
    EXPECT_EQ(error_message(response, 13), "request has no owner");
    EXPECT_NE(response.internal_error.find("bug: management API called without an owner"),
              std::string::npos);
  }
  EXPECT_EQ(call("DELETE", "/api/v1/provisioning-records", std::string{}, "").status, 500u);
  EXPECT_EQ(list("/api/v1/enrollment-groups").size(), 1u);
  EXPECT_EQ(list("/api/v1/hubs", kBob).size(), 1u);
}

TEST_F(ManagementApiRouting, AnotherOwnersObjectsAreInvisibleAndNeverModified) {
  const json hub = create("hubs", hub_body(kHubA));
  const json group = create("enrollment-groups", group_body("alice's"));
  const std::string group_id = group["id"];
  const std::string hub_id = hub["id"];
  ASSERT_EQ(changes_, 2);

  EXPECT_TRUE(list("/api/v1/enrollment-groups", kBob).empty());
  EXPECT_TRUE(list("/api/v1/enrollment-groups?idFilter=" + group_id, kBob).empty());
  EXPECT_TRUE(list("/api/v1/hubs", kBob).empty());
  EXPECT_TRUE(list("/api/v1/hubs?hubIdFilter=" + std::string(kHubA), kBob).empty());

  ApiResponse put_group =
      call("PUT", "/api/v1/enrollment-groups/" + group_id, group_body("bob's"), kBob);
  EXPECT_EQ(put_group.status, 404u);
  EXPECT_EQ(error_message(put_group, 5), "enrollment group \"" + group_id + "\" not found");
  EXPECT_EQ(call("PUT", "/api/v1/hubs/" + hub_id, hub_body(kHubB), kBob).status, 404u);
  EXPECT_EQ(
      call("DELETE", "/api/v1/enrollment-groups?idFilter=" + group_id, std::string{}, kBob).status,
      404u);
  EXPECT_EQ(call("DELETE", "/api/v1/hubs?idFilter=" + hub_id, std::string{}, kBob).status, 404u);

  // A body naming alice as owner does not let bob act for her.
  json as_alice = group_body();
  as_alice["owner"] = kAlice;
  EXPECT_EQ(call("POST", "/api/v1/enrollment-groups", as_alice, kBob).status, 400u);

  EXPECT_EQ(changes_, 2);
  EXPECT_EQ(list("/api/v1/enrollment-groups"), std::vector<json>{group});
  EXPECT_EQ(list("/api/v1/hubs"), std::vector<json>{hub});
}

TEST_F(ManagementApiRouting, UnknownQueryParametersOnWritesAre400) {
  ApiResponse response = call("POST", "/api/v1/hubs?dryRun=true", hub_body());
  EXPECT_EQ(response.status, 400u);
  EXPECT_EQ(error_message(response, 3), "unknown query parameter \"dryRun\" (accepted: none)");
  EXPECT_EQ(changes_, 0);
}

// A store whose every call fails the way an unreachable database does.
class UnavailableStore : public store::testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  // Lookups by id (GET with idFilter, PUT) fail; the owner-wide count of a create's quota check
  // passes, so the create reaches create_enrollment_group.
  Result<std::vector<store::EnrollmentGroup>> list_enrollment_groups(
      const store::EnrollmentGroupFilter& filter) override {
    if (filter.ids.empty() && filter.hub_ids.empty()) {
      return ForwardingStore::list_enrollment_groups(filter);
    }
    return down();
  }
  Result<void> create_hub(const store::Hub&) override { return down(); }
  Result<void> create_enrollment_group(const store::EnrollmentGroup& group) override {
    return fail(ErrorCode::Conflict, "enrollment group " + group.id + " already exists");
  }
  Result<size_t> delete_provisioning_records(const store::RecordFilter&) override { return down(); }
  // By hubId (a group's hub references) they pass, so a group create reaches its store write.
  Result<std::vector<store::Hub>> list_hubs(const store::HubFilter& filter) override {
    if (!filter.hub_ids.empty()) return ForwardingStore::list_hubs(filter);
    return fail(ErrorCode::Internal, "SQLITE_CORRUPT: database disk image is malformed");
  }

 private:
  static tl::unexpected<Error> down() {
    return fail(ErrorCode::Unavailable, "SQLITE_BUSY: database is locked at /data/dps.sqlite",
                "database temporarily unavailable");
  }
};

TEST_F(ManagementApiRouting, StoreFailuresMapTo503409Or500WithoutDatabaseText) {
  add_hubs();
  UnavailableStore failing(*store_);
  int changes = 0;
  ManagementApi api(
      failing, [&] { ++changes; }, options_without_proof());
  auto send = [&](const char* method, const std::string& target, const std::string& body) {
    return api.handle(parse_target(method, target, body).value(), kAlice);
  };
  ApiResponse list = send("GET", "/api/v1/enrollment-groups?idFilter=" + std::string(kHubA), "");
  EXPECT_EQ(list.status, 503u);
  EXPECT_EQ(error_message(list, 14), "database temporarily unavailable");
  EXPECT_NE(list.internal_error.find("SQLITE_BUSY"), std::string::npos);

  ApiResponse put =
      send("PUT", "/api/v1/enrollment-groups/" + std::string(kHubA), group_body().dump());
  EXPECT_EQ(put.status, 503u);
  ApiResponse records = send("DELETE", "/api/v1/provisioning-records", "");
  EXPECT_EQ(records.status, 503u);

  ApiResponse duplicate = send("POST", "/api/v1/enrollment-groups", group_body().dump());
  EXPECT_EQ(duplicate.status, 409u);
  EXPECT_TRUE(error_message(duplicate, 6).ends_with(" already exists"));

  ApiResponse hub = send("POST", "/api/v1/hubs", hub_body().dump());  // list_hubs fails first
  EXPECT_EQ(hub.status, 500u);
  EXPECT_EQ(error_message(hub, 13), "internal error");
  EXPECT_EQ(hub.body.find("SQLITE"), std::string::npos);
  EXPECT_EQ(changes, 0);
}

TEST_F(ManagementApiRouting, AThrowingCallbackIsA500NotACrash) {
  ManagementApi api(*store_, [] { throw std::runtime_error("catalog rebuild exploded"); });
  ApiResponse response =
      api.handle(parse_target("POST", "/api/v1/hubs", hub_body().dump()).value(), kAlice);
  EXPECT_EQ(response.status, 500u);
  EXPECT_EQ(error_message(response, 13), "internal error");
  EXPECT_NE(response.internal_error.find("catalog rebuild exploded"), std::string::npos);
}

TEST(ErrorMapping, EveryCodeHasItsHttpStatusAndGrpcCode) {
  const std::vector<std::tuple<ErrorCode, unsigned, int>> table{
      {ErrorCode::BadRequest, 400, 3},        {ErrorCode::Unauthenticated, 401, 16},
      {ErrorCode::Forbidden, 403, 7},         {ErrorCode::NotFound, 404, 5},
      {ErrorCode::MethodNotAllowed, 405, 12}, {ErrorCode::NotAcceptable, 406, 3},
      {ErrorCode::Conflict, 409, 6},          {ErrorCode::PayloadTooLarge, 413, 8},
      {ErrorCode::Unavailable, 503, 14},      {ErrorCode::Internal, 500, 13}};
  for (const auto& [code, status, grpc] : table) {
    EXPECT_EQ(http_status(code), status) << to_string(code);
    EXPECT_EQ(grpc_code(code), grpc) << to_string(code);
    ApiResponse response = error_response(Error{code, "detail", {}});
    EXPECT_EQ(response.status, status);
    EXPECT_EQ(json::parse(response.body),
              (json{{"code", grpc},
                    {"message", status >= 500 ? std::string(to_string(code)) : "detail"},
                    {"details", json::array()}}));
  }
}

}  // namespace
}  // namespace dps::api::testing

namespace dps::api::testing {
namespace body_bounds {

class ApiBodyBounds : public ApiTest {
 protected:
  // Their groups and enrollments name kHubA/kHubB: the API refuses hubIds naming no hub.
  void SetUp() override {
    add_hubs(kAlice);
    add_hubs(kBob);
  }
};

TEST_F(ApiBodyBounds, BodyOfManySmallValuesIsRefusedBeforeItIsDecodedWhole) {
  // Well under the 1 MiB body limit, but 200,000 values: decoded whole it would take ~30x that.
  std::string body = "{\"revokedCertificates\": [";
  for (int i = 0; i < 200'000; ++i) body += i ? ",0" : "0";
  body += "]}";
  ApiResponse response = call("POST", "/api/v1/enrollment-groups", body);
  EXPECT_EQ(response.status, 400u);
  EXPECT_EQ(error_message(response, 3), "body holds more than 131072 values");
  // Nesting is bounded as well (nlohmann's parser recurses once per level).
  ApiResponse deep = call("POST", "/api/v1/hubs", std::string(1000, '[') + std::string(1000, ']'));
  EXPECT_EQ(deep.status, 400u);
  EXPECT_NE(error_message(deep, 3).find("nests deeper than"), std::string::npos);
}

}  // namespace body_bounds
}  // namespace dps::api::testing
