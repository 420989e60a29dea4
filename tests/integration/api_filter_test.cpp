// Every query filter of the management API over real HTTPS (management-api.md): idFilter,
// attestationMechanismX509CertificateNames and hubIdFilter for groups; idFilter and hubIdFilter
// for hubs; idFilter, deviceIdFilter and enrollmentGroupIdFilter for records, on GET and DELETE.
// Repeated filters and different filters are OR-ed; results stay in id order.
#include <algorithm>
#include <map>

#include "support/api_fixture.hpp"

namespace dps::itest {
namespace {

using nlohmann::json;
using Ids = std::vector<std::string>;

constexpr const char* kUnknownId = "e9e9e9e9-0000-4000-8000-000000000009";

struct FilterCase {
  std::string query;  // after '?'
  Ids expected;       // in any order: the answer must hold them sorted by id
};

class ApiFilters : public ApiTest {
 protected:
  Ids ids_at(const std::string& path) {
    Ids ids;
    for (const auto& object : list(path, token_of(kOwnerA))) ids.push_back(object.value("id", ""));
    return ids;
  }

  void expect_cases(const std::string& path, const std::vector<FilterCase>& cases) {
    for (const auto& c : cases) {
      SCOPED_TRACE(path + "?" + c.query);
      Ids expected = c.expected;
      std::sort(expected.begin(), expected.end());
      EXPECT_EQ(ids_at(path + "?" + c.query), expected);
    }
  }
};

TEST_F(ApiFilters, GroupsByIdLeadCertificateNameAndHubId) {
  const auto m1 = make_manufacturer("filter one");
  const auto m2 = make_manufacturer("filter two");
  const auto m3 = make_manufacturer("filter three");
  create(kHubsPath, hub_body(kApiHub), kOwnerA);  // groups name hubs of their owner
  create(kHubsPath, hub_body(kApiHub2), kOwnerA);
  const std::string g1 = create(kGroupsPath, group_body(m1, {kApiHub}), kOwnerA)["id"];
  const std::string g2 = create(kGroupsPath, group_body(m2, {kApiHub2}), kOwnerA)["id"];
  json third = group_body(m3, {kApiHub, kApiHub2});
  third["attestationMechanism"]["x509"]["leadCertificateName"] = "filter three root";
  const std::string g3 = create(kGroupsPath, third, kOwnerA)["id"];
  const std::string names = "attestationMechanismX509CertificateNames=";
  const std::string hub1 = std::string("hubIdFilter=") + kApiHub;
  const std::string hub2 = std::string("hubIdFilter=") + kApiHub2;

  expect_cases(
      kGroupsPath,
      {
          {"", {g1, g2, g3}},
          {"idFilter=" + g2, {g2}},
          {"idFilter=" + upper(g2), {g2}},
          {"id_filter=" + g2, {g2}},  // protobuf's field name, as grpc-gateway accepts
          {"idFilter=" + g1 + "&idFilter=" + g3, {g1, g3}},
          {"idFilter=" + std::string(kUnknownId), {}},
          {"idFilter=not-a-uuid", {}},
          {names + "filter%20one%20intermediate", {g1}},
          {names + "filter+two+intermediate", {g2}},
          {names + "filter+three+root", {g3}},
          {names + "filter+three+intermediate", {}},  // g3's lead is its root
          {names + "filter+one+intermediate&" + names + "filter+two+intermediate", {g1, g2}},
          {hub1, {g1, g3}},
          {hub2, {g2, g3}},
          {std::string("hubIdFilter=") + upper(kApiHub2), {g2, g3}},
          {std::string("hubIdFilter=") + kUnknownId, {}},
          {"idFilter=" + g1 + "&" + hub2, {g1, g2, g3}},
          {"idFilter=" + g2 + "&" + names + "filter+one+intermediate", {g1, g2}},
          {"idFilter=" + std::string(kUnknownId) + "&" + names + "filter+three+root", {g3}},
      });
}

TEST_F(ApiFilters, HubsByIdAndHubId) {
  const std::string h1 = create(kHubsPath, hub_body(kApiHub), kOwnerA)["id"];
  const std::string h2 = create(kHubsPath, hub_body(kApiHub2), kOwnerA)["id"];
  json own = hub_body("");
  own.erase("hubId");
  const std::string h3 = create(kHubsPath, own, kOwnerA)["id"];  // hubId = its id

  expect_cases(kHubsPath,
               {
                   {"", {h1, h2, h3}},
                   {"idFilter=" + h1, {h1}},
                   {"idFilter=" + upper(h2), {h2}},
                   {"idFilter=" + h1 + "&idFilter=" + h3, {h1, h3}},
                   {"idFilter=" + std::string(kApiHub), {}},  // a hubId, not an id
                   {std::string("hubIdFilter=") + kApiHub, {h1}},
                   {"hubIdFilter=" + h3, {h3}},
                   {"hub_id_filter=" + upper(kApiHub2), {h2}},
                   {std::string("hubIdFilter=") + kApiHub + "&hubIdFilter=" + kApiHub2, {h1, h2}},
                   {"idFilter=" + h3 + "&hubIdFilter=" + kApiHub, {h1, h3}},
                   {std::string("hubIdFilter=") + kUnknownId, {}},
               });
}

TEST_F(ApiFilters, RecordsByIdDeviceIdAndGroupOnGetAndDelete) {
  const std::string group_a = enroll_api_mfg(kOwnerA)["id"];
  const auto other_mfg = make_manufacturer("filter other mfg");
  const std::string group_b = create(kGroupsPath, group_body(other_mfg, {kApiHub}), kOwnerA)["id"];
  const auto a1 = provision(api_mfg_tls());
  const auto a2 = provision(tls_for(api_mfg_leaf("filter a2"), &api_mfg_.intermediate));
  const auto b1 = provision(tls_for(other_mfg.device, &other_mfg.intermediate));
  const auto foreign = provision(default_tls());  // the config group: owner "1"
  for (const auto* result : {&a1, &a2, &b1, &foreign}) ASSERT_TRUE(result->ok) << result->error;

  std::map<std::string, std::string> record_of_device;
  for (const auto& record : list(kRecordsPath, token_of(kOwnerA))) {
    record_of_device[record.value("deviceId", "")] = record.value("id", "");
  }
  ASSERT_EQ(record_of_device.size(), 3u) << "owner A sees its three records only";
  const std::string r1 = record_of_device[a1.device_id];
  const std::string r2 = record_of_device[a2.device_id];
  const std::string r3 = record_of_device[b1.device_id];
  for (const auto* id : {&r1, &r2, &r3}) ASSERT_FALSE(id->empty());

  expect_cases(
      kRecordsPath,
      {
          {"", {r1, r2, r3}},
          {"idFilter=" + r1, {r1}},
          {"idFilter=" + upper(r2), {r2}},
          {"idFilter=" + r1 + "&idFilter=" + r3, {r1, r3}},
          {"deviceIdFilter=" + a2.device_id, {r2}},
          {"deviceIdFilter=" + a1.device_id + "&deviceIdFilter=" + b1.device_id, {r1, r3}},
          {"deviceIdFilter=" + foreign.device_id, {}},  // another owner's device
          {"enrollmentGroupIdFilter=" + group_a, {r1, r2}},
          {"enrollmentGroupIdFilter=" + group_b, {r3}},
          {"enrollmentGroupIdFilter=" + upper(group_b), {r3}},
          {std::string("enrollmentGroupIdFilter=") + kGroupId, {}},  // owner "1"'s group
          {"idFilter=" + r1 + "&deviceIdFilter=" + b1.device_id, {r1, r3}},
          {"deviceIdFilter=" + a2.device_id + "&enrollmentGroupIdFilter=" + group_b, {r2, r3}},
          {"idFilter=" + std::string(kUnknownId), {}},
      });

  const std::string token = token_of(kOwnerA);
  auto erase = [&](const std::string& query) {
    const auto answer = call(Verb::delete_, std::string(kRecordsPath) + query, token);
    EXPECT_EQ(answer.status, 200u) << query << ": " << answer.body;
    return answer.body;
  };
  // Matching nothing is a count of 0 for records, not an error.
  EXPECT_EQ(erase("?deviceIdFilter=" + foreign.device_id), R"({"count":"0"})");
  EXPECT_EQ(erase("?idFilter=" + r1 + "&deviceIdFilter=" + b1.device_id), R"({"count":"2"})");
  EXPECT_EQ(ids_at(kRecordsPath), Ids{r2});
  EXPECT_EQ(erase("?enrollmentGroupIdFilter=" + group_a), R"({"count":"1"})");
  EXPECT_TRUE(ids_at(kRecordsPath).empty());

  // A device provisions again: its record is back; DELETE without a filter takes every record
  // of the caller and none of another owner's.
  ASSERT_TRUE(provision(tls_for(other_mfg.device, &other_mfg.intermediate)).ok);
  EXPECT_EQ(ids_at(kRecordsPath), Ids{r3});
  EXPECT_EQ(erase(""), R"({"count":"1"})");
  EXPECT_TRUE(ids_at(kRecordsPath).empty());
  const auto owner_one = list(kRecordsPath, token_of("1"));
  ASSERT_EQ(owner_one.size(), 1u);
  EXPECT_EQ(owner_one[0]["deviceId"], foreign.device_id);
}

// The console's query (records.js, live.js): the newest few records, never the whole history.
TEST_F(ApiFilters, RecordsNewestFirstAndLimitedOnGetOnlyAndWithinTheOwner) {
  enroll_api_mfg(kOwnerA);
  // Owner B enrolls a manufacturer of its own (a CA is one owner's) and provisions last, so B's
  // record is the newest of all: a page of A's newest that took another owner's would show it.
  const auto mfg_b = make_manufacturer("newest first owner b");
  create(kHubsPath, hub_body(kApiHub), kOwnerB);
  create(kGroupsPath, group_body(mfg_b, {kApiHub}), kOwnerB);
  // Five, so that their random record ids are in creation order only once in 120 runs: the
  // order checks below then tell newestFirst from id order.
  std::vector<std::string> devices_a;  // in the order they provisioned: oldest first
  for (const char* cn : {"newest a1", "newest a2", "newest a3", "newest a4", "newest a5"}) {
    const auto device = provision(tls_for(api_mfg_leaf(cn), &api_mfg_.intermediate));
    ASSERT_TRUE(device.ok) << device.error;
    devices_a.push_back(device.device_id);
  }
  const auto device_b = provision(tls_for(mfg_b.device, &mfg_b.intermediate));
  ASSERT_TRUE(device_b.ok) << device_b.error;

  std::map<std::string, std::string> record_of_device;
  Ids by_id;
  for (const auto& record : list(kRecordsPath, token_of(kOwnerA))) {
    record_of_device[record.value("deviceId", "")] = record.value("id", "");
    by_id.push_back(record.value("id", ""));
  }
  ASSERT_EQ(record_of_device.size(), 5u);
  Ids newest;
  for (auto device = devices_a.rbegin(); device != devices_a.rend(); ++device) {
    newest.push_back(record_of_device[*device]);
  }
  const std::string device_filter =
      "deviceIdFilter=" + devices_a[0] + "&deviceIdFilter=" + devices_a[2];

  const std::vector<std::pair<std::string, Ids>> cases = {
      {"?newestFirst=true", newest},
      {"?newestFirst=true&limit=2", {newest[0], newest[1]}},
      {"?view=ocf&newestFirst=true&limit=1", {newest[0]}},
      {"?newest_first=true&limit=1000", newest},
      {"?newestFirst=false", by_id},
      {"?limit=1", {by_id[0]}},  // id order, as without it
      {"?" + device_filter + "&newestFirst=true", {newest[2], newest[4]}},
      {"?" + device_filter + "&newestFirst=true&limit=1", {newest[2]}},
      {"?deviceIdFilter=" + device_b.device_id + "&newestFirst=true&limit=10", {}},
  };
  for (const auto& [query, expected] : cases) {
    EXPECT_EQ(ids_at(kRecordsPath + query), expected) << query;
  }

  // Owner B's token, asking the same way, sees B's record and none of A's.
  const std::string token_b = token_of(kOwnerB);
  for (const char* query : {"?newestFirst=true&limit=1000", "?newestFirst=true&limit=1",
                            "?view=ocf&newestFirst=true&limit=200"}) {
    const auto of_b = list(std::string(kRecordsPath) + query, token_b);
    ASSERT_EQ(of_b.size(), 1u) << query;
    EXPECT_EQ(of_b[0].value("deviceId", ""), device_b.device_id) << query;
  }
  for (const std::string& query :
       {"?idFilter=" + newest[0] + "&newestFirst=true&limit=10",
        "?" + device_filter + "&newestFirst=true",
        "?enrollmentGroupIdFilter=" + list(kGroupsPath, token_of(kOwnerA)).at(0).value("id", "") +
            "&newestFirst=true&limit=1"}) {
    EXPECT_TRUE(list(kRecordsPath + query, token_b).empty()) << query;
  }

  // Bad values are 400 naming the parameter; on DELETE both are refused (not filters).
  const std::string token_a = token_of(kOwnerA);
  for (const char* value : {"0", "1001", "-1", "abc", "5%20"}) {
    const auto answer = call(Verb::get, std::string(kRecordsPath) + "?limit=" + value, token_a);
    EXPECT_TRUE(is_api_error(answer, 400, 3, "limit: must be a whole number from 1 to 1000"))
        << value;
  }
  for (const char* value : {"yes", "1", "TRUE"}) {
    const auto answer =
        call(Verb::get, std::string(kRecordsPath) + "?newestFirst=" + value, token_a);
    EXPECT_TRUE(is_api_error(answer, 400, 3, "newestFirst: must be \"true\" or \"false\""))
        << value;
  }
  for (const std::string& query : {std::string("?limit=1"), std::string("?newestFirst=true"),
                                   "?" + device_filter + "&limit=1"}) {
    const auto answer = call(Verb::delete_, kRecordsPath + query, token_a);
    EXPECT_TRUE(is_api_error(answer, 400, 3, "unknown query parameter")) << query;
  }
  EXPECT_EQ(ids_at(kRecordsPath), by_id) << "a refused DELETE deleted records";
  EXPECT_EQ(list(kRecordsPath, token_b).size(), 1u);
}

}  // namespace
}  // namespace dps::itest
