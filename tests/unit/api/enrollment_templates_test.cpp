// /api/v1/enrollment-templates end to end on SQLite: the round trip, every validation rule with
// the path it names, tenancy (another owner's template is a missing one, also as a templateId),
// templateId on groups and individual enrollments, deletion of a template in use, the quota.
#include <gtest/gtest.h>

#include "api_fixture.hpp"

namespace dps::api::testing {
// Named: other test files of this binary define the same file-local names in one unity batch.
namespace templates {
namespace {

constexpr const char* kTemplates = "/api/v1/enrollment-templates";
constexpr const char* kGroups = "/api/v1/enrollment-groups";
constexpr const char* kIndividual = "/api/v1/individual-enrollments";
constexpr const char* kMissingId = "33333333-3333-4333-8333-333333333333";

json ace(json subject = {{"conntype", "auth-crypt"}}, json resources = {{{"wc", "*"}}},
         json permission = 6) {
  return {{"subject", std::move(subject)},
          {"resources", std::move(resources)},
          {"permission", std::move(permission)}};
}

json update(const std::string& href, json representation = {{"n", "{{deviceId}}"}}) {
  return {{"href", href}, {"representation", std::move(representation)}};
}

json full_template() {
  return {{"name", "sensors"},
          {"accessControlList",
           {ace({{"uuid", "AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA"}}, {{{"href", "/light/1"}}}, 2),
            ace({{"role", "admin"}, {"authority", "owner"}}, {{{"wc", "+"}}}, 31)}},
          {"identityCertificateValiditySeconds", 86400},
          {"tokenLifetimeSeconds", "3600"},  // protojson's int64 text is accepted
          {"preConfiguration",
           {update("/oic/con", {{"n", "dev-{{deviceId}}"}, {"loc", {{"x", 1}}}}),
            update("/light/1", {{"owner", "{{owner}}"}, {"hub", "{{hubId}}"}})}}};
}

json individual_body(const std::string& template_id = "") {
  json body{{"attestationMechanism", {{"publicKeySha256", std::string(64, 'a')}}},
            {"hubIds", {kHubA}}};
  if (!template_id.empty()) body["templateId"] = template_id;
  return body;
}

class EnrollmentTemplates : public ApiTest {
 protected:
  // Their groups and enrollments name kHubA/kHubB: the API refuses hubIds naming no hub.
  void SetUp() override {
    add_hubs(kAlice);
    add_hubs(kBob);
  }
  std::string item(const std::string& id) const { return std::string(kTemplates) + "/" + id; }
  ApiResponse remove(const std::string& id, const std::string& owner = kAlice) {
    return call("DELETE", std::string(kTemplates) + "?idFilter=" + id, std::string{}, owner);
  }
};

TEST_F(EnrollmentTemplates, RoundTripsAndPutReplacesEveryField) {
  const json created = create("enrollment-templates", full_template());
  EXPECT_EQ(changes_, 1);
  EXPECT_EQ(created["owner"], kAlice);
  EXPECT_EQ(created["name"], "sensors");
  // Stored rebuilt: the subject UUID canonical, the permission a number.
  const json expected_acl = {
      ace({{"uuid", "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}}, {{{"href", "/light/1"}}}, 2),
      ace({{"role", "admin"}, {"authority", "owner"}}, {{{"wc", "+"}}}, 31)};
  EXPECT_EQ(created["accessControlList"], expected_acl);
  EXPECT_EQ(created["identityCertificateValiditySeconds"], 86400);
  EXPECT_EQ(created["tokenLifetimeSeconds"], 3600);
  EXPECT_EQ(created["preConfiguration"], full_template()["preConfiguration"]);
  EXPECT_EQ(list(kTemplates), std::vector<json>{created});

  // What the device side reads: the same values in the store's form.
  const std::string id = created["id"];
  auto stored = store_->list_templates({store::OwnerScope::of(kAlice), {id}});
  ASSERT_TRUE(stored && stored->size() == 1u);
  EXPECT_EQ(json::parse(stored->front().access_control_list_json), expected_acl);
  ASSERT_EQ(stored->front().pre_configuration.size(), 2u);
  EXPECT_EQ(stored->front().pre_configuration[0].href, "/oic/con");
  EXPECT_EQ(json::parse(stored->front().pre_configuration[0].representation_json),
            json({{"n", "dev-{{deviceId}}"}, {"loc", {{"x", 1}}}}));

  // An answer sent back is a valid PUT and changes nothing.
  ApiResponse same = call("PUT", item(id), created);
  ASSERT_EQ(same.status, 200u) << same.body;
  EXPECT_EQ(json::parse(same.body), created);

  // PUT replaces: what the body leaves out is gone.
  ApiResponse replaced = call("PUT", item(id), json{{"name", "bare"}});
  ASSERT_EQ(replaced.status, 200u) << replaced.body;
  EXPECT_EQ(json::parse(replaced.body), json({{"id", id},
                                              {"owner", kAlice},
                                              {"name", "bare"},
                                              {"identityCertificateValiditySeconds", 0},
                                              {"tokenLifetimeSeconds", 0}}));
  EXPECT_EQ(list(kTemplates).at(0), json::parse(replaced.body));
  EXPECT_EQ(changes_, 3);

  // A nameless template is named by its id, as groups are.
  const json nameless = create("enrollment-templates", json::object());
  EXPECT_EQ(nameless["name"], nameless["id"]);
}

struct Refusal {
  json body;
  std::string message;  // the whole message, or its start when it ends with "..."
};

TEST_F(EnrollmentTemplates, EveryValidationRuleNamesTheFieldPath) {
  const json big(std::string(5000, 'x'));
  json seventeen = json::array();
  for (int i = 0; i < 17; ++i) seventeen.push_back(update("/r/" + std::to_string(i)));
  json too_much_in_all = json::array();  // each under 4096 bytes, 5 of them over 16384
  for (int i = 0; i < 5; ++i) {
    too_much_in_all.push_back(update("/r/" + std::to_string(i), {{"x", std::string(3500, 'y')}}));
  }
  json thirty_three = json::array();
  for (int i = 0; i < 33; ++i) thirty_three.push_back(ace());
  const std::vector<Refusal> refusals{
      {{{"accessControlList",
         {ace(), ace(), ace({{"conntype", "anon-clear"}}, {{{"wc", "-"}}}, 32)}}},
       "accessControlList[2].permission: must be 0..31, got 32"},
      {{{"accessControlList", {ace({{"conntype", "auth-crypt"}}, {{{"wc", "*"}}}, -1)}}},
       "accessControlList[0].permission: must be 0..31, got -1"},
      {{{"accessControlList",
         {{{"subject", {{"conntype", "auth-crypt"}}}, {"resources", {{{"wc", "*"}}}}}}}},
       "accessControlList[0].permission: required (0..31)"},
      {{{"accessControlList", {ace({{"device", "x"}})}}},
       "accessControlList[0].subject: one of uuid, conntype, role required"},
      {{{"accessControlList", {ace({{"conntype", "auth-crypt"}, {"uuid", kMissingId}})}}},
       "accessControlList[0].subject: give only one of uuid, conntype, role"},
      {{{"accessControlList", {ace({{"conntype", "anon-crypt"}})}}},
       "accessControlList[0].subject.conntype: must be \"auth-crypt\" or \"anon-clear\", got "
       "\"anon-crypt\""},
      {{{"accessControlList", {ace({{"uuid", "not-a-uuid"}})}}},
       "accessControlList[0].subject.uuid: must be a UUID, got \"not-a-uuid\""},
      {{{"accessControlList", {ace({{"role", ""}, {"authority", "x"}})}}},
       "accessControlList[0].subject.role: required (a non-empty string)"},
      {{{"accessControlList", {ace({{"role", {{"role", "admin"}}}})}}},
       "accessControlList[0].subject.role: expected a string"},
      {{{"accessControlList", {ace({{"conntype", "auth-crypt"}}, json::array())}}},
       "accessControlList[0].resources: must not be empty"},
      {{{"accessControlList", {ace({{"conntype", "auth-crypt"}}, {{{"wc", "#"}}})}}},
       "accessControlList[0].resources[0].wc: must be \"*\", \"+\" or \"-\", got \"#\""},
      {{{"accessControlList",
         {ace({{"conntype", "auth-crypt"}}, {{{"wc", "*"}, {"href", "/a"}}})}}},
       "accessControlList[0].resources[0]: give exactly one of href, wc"},
      {{{"accessControlList", {ace({{"conntype", "auth-crypt"}}, {{{"href", "oic/d"}}})}}},
       "accessControlList[0].resources[0].href: must be an absolute path starting with \"/\""},
      {{{"accessControlList", {ace({{"conntype", "auth-crypt"}}, {{{"wc", "*"}, {"if", {"*"}}}})}}},
       "unknown field \"accessControlList[0].resources[0].if\""},
      {{{"accessControlList", thirty_three}}, "accessControlList: at most 32 ACEs, got 33"},
      {{{"accessControlList", ace()}}, "accessControlList: expected an array"},
      {{{"preConfiguration", {update("oic/d")}}},
       "preConfiguration[0].href: must be an absolute path starting with \"/\""},
      {{{"preConfiguration", {update("/ok"), update("/a//b")}}},
       "preConfiguration[1].href: has an empty segment (\"//\")"},
      {{{"preConfiguration", {update("/a/../b")}}},
       "preConfiguration[0].href: has a \".\" or \"..\" segment"},
      {{{"preConfiguration", {update("/a?x=1")}}},
       "preConfiguration[0].href: has a character outside [A-Za-z0-9._~-] (no query, no escapes)"},
      {{{"preConfiguration", {update("/a", json::array({1, 2}))}}},
       "preConfiguration[0].representation: must be a JSON object"},
      {{{"preConfiguration", {{{"href", "/a"}}}}},
       "preConfiguration[0].representation: required (a JSON object)"},
      {{{"preConfiguration", {update("/a", {{"x", big}})}}},
       "preConfiguration[0].representation: 5006 bytes as CBOR, more than 4096"},
      {{{"preConfiguration", {update("/a", {{"n", "{{foo}}"}})}}},
       "preConfiguration[0].representation: unknown variable {{foo}} (known: {{deviceId}}, "
       "{{owner}}, {{hubId}})"},
      {{{"preConfiguration", seventeen}}, "preConfiguration: at most 16 updates, got 17"},
      {{{"preConfiguration", {update("/a"), update("/b"), update("/a")}}},
       "preConfiguration[2].href: \"/a\" is already updated by preConfiguration[0]"},
      {{{"preConfiguration", too_much_in_all}},
       "preConfiguration: ... bytes as CBOR in all, more than 16384"},
      {{{"identityCertificateValiditySeconds", 3599}},
       "identityCertificateValiditySeconds: must be 0 (the default) or 3600..315360000, got 3599"},
      {{{"tokenLifetimeSeconds", 31536001}},
       "tokenLifetimeSeconds: must be 0 (the default) or 60..31536000, got 31536001"},
      {{{"id", kMissingId}}, "id: is generated by the service and must not be given"},
      {{{"owner", kBob}},
       "owner: \"bob\" is not the caller's owner (objects belong to the caller)"},
      {{{"bogus", 1}}, "unknown field \"bogus\""},
  };
  for (const Refusal& refusal : refusals) {
    SCOPED_TRACE(refusal.body.dump().substr(0, 300));
    ApiResponse response = call("POST", kTemplates, refusal.body);
    ASSERT_EQ(response.status, 400u) << response.body;
    const std::string message = error_message(response, 3);
    if (const size_t dots = refusal.message.find("..."); dots != std::string::npos) {
      EXPECT_TRUE(message.starts_with(refusal.message.substr(0, dots)) &&
                  message.ends_with(refusal.message.substr(dots + 3)))
          << message;
    } else {
      EXPECT_EQ(message, refusal.message);
    }
  }
  EXPECT_TRUE(list(kTemplates).empty());
  EXPECT_EQ(changes_, 0);

  // The same rules on PUT, and the edges are accepted.
  const std::string id = create("enrollment-templates", json::object())["id"];
  ApiResponse put = call("PUT", item(id), refusals.front().body);
  EXPECT_EQ(put.status, 400u);
  EXPECT_EQ(error_message(put, 3), refusals.front().message);
  json edges{{"identityCertificateValiditySeconds", 315360000},
             {"tokenLifetimeSeconds", 60},
             {"accessControlList", {ace({{"conntype", "anon-clear"}}, {{{"wc", "*"}}}, 0)}},
             {"preConfiguration", seventeen}};
  edges["preConfiguration"].erase(16);
  ApiResponse accepted = call("PUT", item(id), edges);
  EXPECT_EQ(accepted.status, 200u) << accepted.body;
}

TEST_F(EnrollmentTemplates, AnotherOwnersTemplateIsAMissingOne) {
  const std::string id = create("enrollment-templates", full_template())["id"];
  EXPECT_TRUE(list(kTemplates, kBob).empty());
  EXPECT_TRUE(list(std::string(kTemplates) + "?idFilter=" + id, kBob).empty());

  ApiResponse put = call("PUT", item(id), json{{"name", "mine"}}, kBob);
  EXPECT_EQ(put.status, 404u);
  EXPECT_EQ(error_message(put, 5), "enrollment template \"" + id + "\" not found");
  ApiResponse put_missing = call("PUT", item(kMissingId), json{{"name", "mine"}}, kBob);
  EXPECT_EQ(error_message(put_missing, 5),
            "enrollment template \"" + std::string(kMissingId) + "\" not found");
  EXPECT_EQ(remove(id, kBob).status, 404u);
  EXPECT_EQ(list(kTemplates).at(0)["name"], "sensors");

  // Named from Bob's group or individual enrollment: the answer a missing id gets.
  for (const std::string& named : {id, std::string(kMissingId)}) {
    json group = own_ca_group_body("bob");
    group["templateId"] = named;
    ApiResponse refused = call("POST", kGroups, group, kBob);
    EXPECT_EQ(refused.status, 400u) << refused.body;
    EXPECT_EQ(error_message(refused, 3), "templateId: no template \"" + named + "\"");
    ApiResponse individual = call("POST", kIndividual, individual_body(named), kBob);
    EXPECT_EQ(individual.status, 400u) << individual.body;
    EXPECT_EQ(error_message(individual, 3), "templateId: no template \"" + named + "\"");
  }
  EXPECT_TRUE(list(kGroups, kBob).empty());
  EXPECT_TRUE(list(kIndividual, kBob).empty());
  ApiResponse not_uuid = call("POST", kIndividual, individual_body("zz"), kBob);
  EXPECT_EQ(error_message(not_uuid, 3), "templateId: must be a UUID, got \"zz\"");
}

TEST_F(EnrollmentTemplates, GroupsKeepTheirTemplateWhenAPutOmitsItIndividualEnrollmentsDoNot) {
  const std::string id = create("enrollment-templates", full_template())["id"];
  json body = own_ca_group_body("templated");
  body["templateId"] = id;
  const json group = create("enrollment-groups", body);
  EXPECT_EQ(group["templateId"], id);
  const std::string group_item = std::string(kGroups) + "/" + std::string(group["id"]);

  // A plgd client does not know templateId: its PUT keeps it.
  ApiResponse kept = call("PUT", group_item, own_ca_group_body("renamed"));
  ASSERT_EQ(kept.status, 200u) << kept.body;
  EXPECT_EQ(json::parse(kept.body)["templateId"], id);
  json cleared_body = own_ca_group_body("renamed");
  cleared_body["templateId"] = "";
  ApiResponse cleared = call("PUT", group_item, cleared_body);
  ASSERT_EQ(cleared.status, 200u) << cleared.body;
  EXPECT_FALSE(json::parse(cleared.body).contains("templateId"));
  json missing_body = own_ca_group_body("renamed");
  missing_body["templateId"] = kMissingId;
  EXPECT_EQ(call("PUT", group_item, missing_body).status, 400u);

  const json individual = create("individual-enrollments", individual_body(id));
  EXPECT_EQ(individual["templateId"], id);
  const std::string individual_item =
      std::string(kIndividual) + "/" + std::string(individual["id"]);
  ApiResponse replaced = call("PUT", individual_item, individual_body());
  ASSERT_EQ(replaced.status, 200u) << replaced.body;
  EXPECT_FALSE(json::parse(replaced.body).contains("templateId"));
}

TEST_F(EnrollmentTemplates, ATemplateAGroupNamesIsNotDeleted) {
  const std::string id = create("enrollment-templates", full_template())["id"];
  const std::string spare = create("enrollment-templates", json::object())["id"];
  json body = own_ca_group_body("user");
  body["templateId"] = id;
  const std::string group = create("enrollment-groups", body)["id"];
  const int before = changes_;

  ApiResponse in_use =
      call("DELETE", std::string(kTemplates) + "?idFilter=" + spare + "&idFilter=" + id);
  EXPECT_EQ(in_use.status, 409u) << in_use.body;
  EXPECT_EQ(error_message(in_use, 6), "enrollment template \"" + id +
                                          "\" is used by enrollment group \"" + group +
                                          "\": give the group another templateId first");
  EXPECT_EQ(list(kTemplates).size(), 2u);  // all or nothing
  EXPECT_EQ(changes_, before);

  body["templateId"] = spare;
  ASSERT_EQ(call("PUT", std::string(kGroups) + "/" + group, body).status, 200u);
  ApiResponse deleted = remove(id);
  ASSERT_EQ(deleted.status, 200u) << deleted.body;
  EXPECT_EQ(json::parse(deleted.body), json({{"count", "1"}}));
  EXPECT_EQ(list(kTemplates).size(), 1u);

  // No idFilter is not "everything"; an idFilter naming nothing is 404.
  ApiResponse all = call("DELETE", kTemplates);
  EXPECT_EQ(all.status, 400u);
  EXPECT_EQ(error_message(all, 3),
            "idFilter required: deleting all enrollment templates is refused");
  EXPECT_EQ(remove(kMissingId).status, 404u);
}

ManagementApiOptions two_templates() {
  ManagementApiOptions options = options_without_proof();
  options.quotas.templates = 2;
  return options;
}

class EnrollmentTemplateQuota : public ApiTest {
 protected:
  EnrollmentTemplateQuota() : ApiTest(two_templates()) {}
};

TEST_F(EnrollmentTemplateQuota, AnOwnerHoldsAtMostTheQuota) {
  const std::string first = create("enrollment-templates", json::object())["id"];
  create("enrollment-templates", json::object());
  ApiResponse third = call("POST", kTemplates, json::object());
  EXPECT_EQ(third.status, 409u);
  EXPECT_EQ(error_message(third, 6),
            "quota exceeded: 2 enrollment templates of this owner, at most 2 allowed "
            "(apis.http.quotas.templates)");
  EXPECT_EQ(list(kTemplates).size(), 2u);
  EXPECT_EQ(call("POST", kTemplates, json::object(), kBob).status, 200u);  // per owner
  EXPECT_EQ(call("PUT", std::string(kTemplates) + "/" + first, json::object()).status, 200u);
  ASSERT_EQ(call("DELETE", std::string(kTemplates) + "?idFilter=" + first).status, 200u);
  EXPECT_EQ(call("POST", kTemplates, json::object()).status, 200u);
}

}  // namespace
}  // namespace templates
}  // namespace dps::api::testing
