// Enrollment groups and hubs created, read, updated and deleted over real HTTPS against the
// running dps, and the exact wire form of the answers (management-api.md "Conventions"): one
// compact `{"result": {...}}` per line in id order, int64 as JSON strings, empty fields omitted
// while 0 and false stay, and every route also under /device-provisioning-service.
#include <algorithm>
#include <cctype>
#include <string_view>

#include "support/api_fixture.hpp"

namespace dps::itest {
namespace {

using nlohmann::json;

class ApiCrud : public ApiTest {};

bool is_canonical_uuid(const json& value) {
  if (!value.is_string()) return false;
  const std::string& text = value.get_ref<const std::string&>();
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : (std::isxdigit(c) == 0 || std::isupper(c) != 0)) return false;
  }
  return true;
}

/// Every line of a stream body, checked to be exactly the compact `{"result": <object>}` form;
/// returns the objects.
std::vector<json> exact_stream(const HttpAnswer& answer) {
  EXPECT_EQ(answer.status, 200u) << answer.body;
  EXPECT_EQ(answer.content_type, "application/json");
  std::vector<json> out;
  if (answer.body.empty()) return out;
  EXPECT_EQ(answer.body.back(), '\n') << "the last line is not terminated";
  size_t start = 0;
  while (start < answer.body.size()) {
    const size_t end = answer.body.find('\n', start);
    const std::string line = answer.body.substr(start, end - start);
    start = end == std::string::npos ? answer.body.size() : end + 1;
    const json parsed = json::parse(line, nullptr, false);
    EXPECT_TRUE(parsed.is_object() && parsed.size() == 1 && parsed.contains("result") &&
                parsed["result"].is_object())
        << line;
    if (!parsed.is_object() || !parsed.contains("result")) continue;
    EXPECT_EQ(line, parsed.dump()) << "not one compact JSON object on its line";
    out.push_back(parsed["result"]);
  }
  return out;
}

std::vector<std::string> ids_of(const std::vector<json>& objects) {
  std::vector<std::string> ids;
  for (const auto& object : objects) ids.push_back(object.value("id", ""));
  return ids;
}

/// The keys of `object` (sorted, as nlohmann keeps them).
std::vector<std::string> keys_of(const json& object) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.push_back(key);
  return keys;
}

TEST_F(ApiCrud, GroupIsCreatedListedUpdatedAndDeleted) {
  const std::string token = token_of(kOwnerA);
  create(kHubsPath, hub_body(kApiHub), kOwnerA);  // groups name hubs of their owner
  create(kHubsPath, hub_body(kApiHub2), kOwnerA);
  json body = group_body(api_mfg_, {upper(kApiHub), kApiHub2, kApiHub});
  body["name"] = "line 1";
  body["preSharedKey"] = "0123456789abcdef";
  const auto posted = call(Verb::post, kGroupsPath, token, body.dump());
  ASSERT_EQ(posted.status, 200u) << posted.body;
  const json created = posted.object();
  ASSERT_TRUE(is_canonical_uuid(created["id"])) << posted.body;
  const std::string id = created["id"];
  EXPECT_EQ(created["owner"], kOwnerA);
  EXPECT_EQ(created["name"], "line 1");
  EXPECT_EQ(created["attestationMechanism"],
            json({{"x509",
                   {{"certificateChain", api_mfg_.chain_pem()},
                    {"leadCertificateName", "itest api mfg intermediate"},
                    {"expiredCertificateEnabled", false}}}}));
  // Canonical lowercase, first occurrence kept, order (= priority) preserved.
  EXPECT_EQ(created["hubIds"], json({kApiHub, kApiHub2}));
  EXPECT_EQ(created["preSharedKey"], "0123456789abcdef");
  EXPECT_EQ(created["disabled"], false);
  EXPECT_EQ(list(kGroupsPath, token), std::vector<json>{created});

  json change = group_body(api_mfg_, {kApiHub2});
  change["id"] = id;  // plgd clients echo the id back
  change["owner"] = kOwnerA;
  change["name"] = "line 2";
  change["attestationMechanism"]["x509"]["leadCertificateName"] = "itest api mfg root";
  change["attestationMechanism"]["x509"]["expiredCertificateEnabled"] = true;
  const auto put =
      call(Verb::put, std::string(kGroupsPath) + "/" + upper(id), token, change.dump());
  ASSERT_EQ(put.status, 200u) << put.body;
  const json updated = put.object();
  EXPECT_EQ(updated["id"], id);
  EXPECT_EQ(updated["owner"], kOwnerA);
  EXPECT_EQ(updated["name"], "line 2");
  EXPECT_EQ(updated["attestationMechanism"]["x509"]["leadCertificateName"], "itest api mfg root");
  EXPECT_EQ(updated["attestationMechanism"]["x509"]["expiredCertificateEnabled"], true);
  EXPECT_EQ(updated["hubIds"], json({kApiHub2}));
  EXPECT_FALSE(updated.contains("preSharedKey")) << "PUT replaces: the PSK was not given";
  EXPECT_EQ(list(kGroupsPath, token), std::vector<json>{updated});

  const auto erased = call(Verb::delete_, std::string(kGroupsPath) + "?idFilter=" + id, token);
  ASSERT_EQ(erased.status, 200u) << erased.body;
  EXPECT_EQ(erased.body, R"({"count":"1"})");
  EXPECT_TRUE(list(kGroupsPath, token).empty());
  EXPECT_TRUE(is_api_error(call(Verb::delete_, std::string(kGroupsPath) + "?idFilter=" + id, token),
                           404, 5, "no enrollment group matches"));
  EXPECT_TRUE(is_api_error(
      call(Verb::put, std::string(kGroupsPath) + "/" + id, token, group_body(kApiHub).dump()), 404,
      5, id));

  const json unnamed = create(kGroupsPath, group_body(kApiHub), kOwnerA);
  EXPECT_EQ(unnamed["name"], unnamed["id"]) << "name defaults to the id";
}

TEST_F(ApiCrud, HubIsCreatedListedUpdatedAndDeleted) {
  const std::string token = token_of(kOwnerA);
  json body = hub_body("");
  body.erase("hubId");
  body["gateways"] = {"127.0.0.1:5684", kLocalGateway, "coap+tcp://hub.example.com:5683"};
  const auto posted = call(Verb::post, kHubsPath, token, body.dump());
  ASSERT_EQ(posted.status, 200u) << posted.body;
  const json created = posted.object();
  ASSERT_TRUE(is_canonical_uuid(created["id"])) << posted.body;
  const std::string id = created["id"];
  EXPECT_EQ(created["hubId"], id) << "hubId defaults to the id";
  EXPECT_EQ(created["name"], id);
  EXPECT_EQ(created["owner"], kOwnerA);
  // No scheme gets coaps+tcp://; the duplicate that makes is dropped.
  EXPECT_EQ(created["gateways"], json({kLocalGateway, "coap+tcp://hub.example.com:5683"}));
  EXPECT_EQ(created["authorization"],
            json({{"ownerClaim", "https://plgd.dev/owner"}, {"provider", {{"name", "plgd"}}}}));
  EXPECT_FALSE(created.contains("certificateAuthority")) << "the built-in CA";
  EXPECT_EQ(list(kHubsPath, token), std::vector<json>{created});

  json change = hub_body(kApiHub);
  change["name"] = "hub one";
  change["certificateAuthority"] = {{"grpc", {{"address", "ca.example.com:443"}}}};
  change["authorization"] = {{"ownerClaim", "sub"},
                             {"deviceIdClaim", "https://plgd.dev/deviceId"},
                             {"provider",
                              {{"name", "oauth"},
                               {"authority", "https://auth.example.com"},
                               {"clientId", "dps"},
                               {"clientSecret", "s3cret"},
                               {"scopes", {"a", "b"}},
                               {"audience", "https://hub.example.com"}}}};
  const auto put = call(Verb::put, std::string(kHubsPath) + "/" + id, token, change.dump());
  ASSERT_EQ(put.status, 200u) << put.body;
  json expected = change;
  expected["id"] = id;
  expected["owner"] = kOwnerA;
  EXPECT_EQ(put.object(), expected);
  EXPECT_EQ(list(kHubsPath, token), std::vector<json>{expected});

  const auto erased = call(Verb::delete_, std::string(kHubsPath) + "?idFilter=" + id, token);
  ASSERT_EQ(erased.status, 200u) << erased.body;
  EXPECT_EQ(erased.body, R"({"count":"1"})");
  EXPECT_TRUE(list(kHubsPath, token).empty());
  EXPECT_TRUE(is_api_error(call(Verb::delete_, std::string(kHubsPath) + "?idFilter=" + id, token),
                           404, 5, "no hub matches"));
}

TEST_F(ApiCrud, DeleteTakesSeveralIdsAndCountsWhatItDeleted) {
  const std::string token = token_of(kOwnerA);
  const std::string a = create(kHubsPath, hub_body(kApiHub), kOwnerA)["id"];
  const std::string b = create(kHubsPath, hub_body(kApiHub2), kOwnerA)["id"];
  const std::string c = create(kHubsPath, hub_body(kHubA), kOwnerA)["id"];
  const auto erased = call(Verb::delete_,
                           std::string(kHubsPath) + "?idFilter=" + a + "&idFilter=" + upper(c) +
                               "&idFilter=" + "e9e9e9e9-0000-4000-8000-000000000009",
                           token);
  ASSERT_EQ(erased.status, 200u) << erased.body;
  EXPECT_EQ(erased.body, R"({"count":"2"})");
  EXPECT_EQ(ids_of(list(kHubsPath, token)), std::vector<std::string>{b});
}

TEST_F(ApiCrud, StreamsAreOneCompactResultPerLineInIdOrder) {
  const std::string token = token_of(kOwnerA);
  const auto empty = call(Verb::get, kGroupsPath, token);
  EXPECT_TRUE(exact_stream(empty).empty());
  EXPECT_EQ(empty.body, "") << "no objects, no lines";

  std::vector<std::string> hub_ids;
  for (const char* hub : {kApiHub, kApiHub2, kHubA}) {
    hub_ids.push_back(create(kHubsPath, hub_body(hub), kOwnerA)["id"]);
  }
  std::vector<std::string> group_ids;
  for (int i = 0; i < 3; ++i) {
    const auto mfg = make_manufacturer("itest stream mfg " + std::to_string(i));
    group_ids.push_back(create(kGroupsPath, group_body(mfg, {kApiHub}), kOwnerA)["id"]);
  }
  std::sort(hub_ids.begin(), hub_ids.end());
  std::sort(group_ids.begin(), group_ids.end());

  const auto hubs = exact_stream(call(Verb::get, kHubsPath, token));
  EXPECT_EQ(ids_of(hubs), hub_ids);
  const auto groups = exact_stream(call(Verb::get, kGroupsPath, token));
  EXPECT_EQ(ids_of(groups), group_ids);

  // Empty fields are omitted; false stays.
  ASSERT_FALSE(groups.empty());
  EXPECT_EQ(keys_of(groups[0]), (std::vector<std::string>{"attestationMechanism", "disabled",
                                                          "hubIds", "id", "name", "owner"}));
  EXPECT_EQ(groups[0]["disabled"], false);
  EXPECT_EQ(keys_of(groups[0]["attestationMechanism"]["x509"]),
            (std::vector<std::string>{"certificateChain", "expiredCertificateEnabled",
                                      "leadCertificateName"}));
  ASSERT_FALSE(hubs.empty());
  EXPECT_EQ(keys_of(hubs[0]), (std::vector<std::string>{"authorization", "gateways", "hubId", "id",
                                                        "name", "owner"}));
  EXPECT_EQ(keys_of(hubs[0]["authorization"]),
            (std::vector<std::string>{"ownerClaim", "provider"}));

  // Stable: the same request gives the same bytes.
  EXPECT_EQ(call(Verb::get, kGroupsPath, token).body, call(Verb::get, kGroupsPath, token).body);
}

/// Every value under a key named "date" or "creationDate", wherever it sits in `value`.
void collect_dates(const json& value, std::vector<json>& out) {
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      if (key == "date" || key == "creationDate") out.push_back(item);
      collect_dates(item, out);
    }
  } else if (value.is_array()) {
    for (const auto& item : value) collect_dates(item, out);
  }
}

TEST_F(ApiCrud, RecordStreamWrites64BitValuesAsStringsAndOmitsEmptyFields) {
  const std::string group_id = enroll_api_mfg(kOwnerA)["id"];
  const auto first = provision(api_mfg_tls());
  ASSERT_TRUE(first.ok) << first.error;
  const auto second = provision(tls_for(api_mfg_leaf("itest second"), &api_mfg_.intermediate));
  ASSERT_TRUE(second.ok) << second.error;

  const auto records = exact_stream(call(Verb::get, kRecordsPath, token_of(kOwnerA)));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_LT(records[0].value("id", ""), records[1].value("id", "")) << "ordered by id";
  for (const auto& record : records) {
    SCOPED_TRACE(record.dump());
    EXPECT_EQ(record["owner"], kOwnerA);
    EXPECT_EQ(record["enrollmentGroupId"], group_id);
    EXPECT_TRUE(is_canonical_uuid(record["id"]));
    std::vector<json> dates;
    collect_dates(record, dates);
    EXPECT_EQ(dates.size(), 7u) << "creationDate, attestation.date and five step dates";
    for (const auto& date : dates) {
      ASSERT_TRUE(date.is_string()) << "int64 must be a JSON string: " << date;
      const std::string text = date;
      EXPECT_TRUE(!text.empty() && text.find_first_not_of("0123456789") == std::string::npos &&
                  text != "0")
          << text;
    }
    // plgd's ProvisioningRecord message (record_json_test.cpp checks every field): attestation
    // is {date, x509}, plgdTime a ProvisionStatus itself, the other steps hold one.
    EXPECT_EQ(record["attestation"].size(), 2u) << "date and x509 only";
    for (const char* section : {"plgdTime", "ownership", "cloud", "credential", "acl"}) {
      ASSERT_TRUE(record.contains(section)) << section;
      const json& status =
          std::string_view(section) == "plgdTime" ? record[section] : record[section]["status"];
      EXPECT_TRUE(status["coapCode"].is_number_integer()) << "int32 stays a number";
      EXPECT_FALSE(status.contains("errorMessage")) << "empty, so omitted";
    }
    EXPECT_EQ(record["cloud"]["selectedGateway"], 0) << "an index into gateways";
    for (const auto& credential : record["credential"]["credentials"]) {
      EXPECT_TRUE(credential["id"].is_string()) << "int64";
      EXPECT_TRUE(credential["type"].is_array() && credential["type"][0].is_string())
          << "enum names";
      EXPECT_FALSE(credential.contains("privateData"));
    }
    for (const auto& ace : record["acl"]["accessControlList"]) {
      EXPECT_TRUE(ace["permissions"].is_array() && ace["permissions"][0].is_string());
      EXPECT_TRUE(ace.contains("deviceSubject") || ace.contains("connectionSubject"));
    }
  }

  // The same records in dps's OCF view, only when asked for, and through plgd's prefix too.
  const auto ocf = exact_stream(
      call(Verb::get, std::string(kPlgdPrefix) + kRecordsPath + "?view=ocf", token_of(kOwnerA)));
  ASSERT_EQ(ocf.size(), 2u);
  for (size_t i = 0; i < ocf.size(); ++i) {
    SCOPED_TRACE(ocf[i].dump());
    EXPECT_EQ(ocf[i]["id"], records[i]["id"]);
    EXPECT_EQ(ocf[i]["plgdTime"]["status"], records[i]["plgdTime"]);
    EXPECT_EQ(ocf[i]["cloud"]["selectedGateway"], records[i]["cloud"]["gateways"][0]);
    EXPECT_TRUE(ocf[i]["acl"]["accessControlList"][0]["permission"].is_number_integer());
    EXPECT_TRUE(ocf[i]["credential"]["credentials"][0]["credtype"].is_number_integer());
  }
  const auto bad_view = call(Verb::get, std::string(kRecordsPath) + "?view=xml", token_of(kOwnerA));
  EXPECT_TRUE(is_api_error(bad_view, 400, 3, "view: must be \"plgd\" or \"ocf\", got \"xml\""))
      << bad_view.body;
}

TEST_F(ApiCrud, EveryRouteIsAlsoServedUnderThePlgdPrefix) {
  const std::string token = token_of(kOwnerA);
  const std::string prefix = kPlgdPrefix;
  const auto hub = call(Verb::post, prefix + kHubsPath, token, hub_body(kApiHub).dump());
  ASSERT_EQ(hub.status, 200u) << hub.body;
  const auto group = call(Verb::post, prefix + kGroupsPath, token, group_body(kApiHub).dump());
  ASSERT_EQ(group.status, 200u) << group.body;
  const std::string group_id = group.object()["id"];
  const std::string hub_id = hub.object()["id"];

  json renamed = group_body(kApiHub);
  renamed["name"] = "through the prefix";
  const auto put = call(Verb::put, prefix + kGroupsPath + "/" + group_id, token, renamed.dump());
  ASSERT_EQ(put.status, 200u) << put.body;
  EXPECT_EQ(put.object()["name"], "through the prefix");
  ASSERT_TRUE(provision(api_mfg_tls()).ok);

  for (const char* path : {kGroupsPath, kHubsPath, kRecordsPath}) {
    const auto plain = call(Verb::get, path, token);
    const auto prefixed = call(Verb::get, prefix + path, token);
    EXPECT_EQ(prefixed.status, 200u) << path;
    EXPECT_EQ(exact_stream(prefixed).size(), 1u) << path;
    EXPECT_EQ(prefixed.body, plain.body) << path;
  }

  const auto records = call(Verb::delete_, prefix + kRecordsPath, token);
  EXPECT_EQ(records.body, R"({"count":"1"})") << records.status;
  const auto groups = call(Verb::delete_, prefix + kGroupsPath + "?idFilter=" + group_id, token);
  EXPECT_EQ(groups.body, R"({"count":"1"})") << groups.status;
  const auto hubs = call(Verb::delete_, prefix + kHubsPath + "?idFilter=" + hub_id, token);
  EXPECT_EQ(hubs.body, R"({"count":"1"})") << hubs.status;
  for (const char* path : {kGroupsPath, kHubsPath, kRecordsPath}) {
    EXPECT_TRUE(list(path, token).empty()) << path;
  }
  std::string why;
  EXPECT_TRUE(handshake_refused(api_mfg_tls(), &why)) << "group deleted, yet: " << why;
}

}  // namespace
}  // namespace dps::itest
