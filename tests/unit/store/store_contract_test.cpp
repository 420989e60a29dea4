// Store contract: fixture, builders, and the cross-entity behaviour (configuration_version,
// durability across close/open). Per-entity behaviour is in *_contract_test.cpp.
#include "store_contract_test.hpp"

#include <stdlib.h>

#include <array>
#include <stdexcept>

namespace dps::store::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "dps-store-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void StoreContract::SetUp() {
  auto opened = GetParam().open(dir_.path());
  ASSERT_TRUE(ok(opened));
  store_ = std::move(*opened);
}

void StoreContract::reopen() {
  store_.reset();  // closes: the next open must find everything on disk
  auto opened = GetParam().open(dir_.path());
  ASSERT_TRUE(ok(opened));
  store_ = std::move(*opened);
}

EnrollmentGroup make_group(const std::string& id, const std::string& owner) {
  EnrollmentGroup g;
  g.id = id;
  g.owner = owner;
  g.name = "group \"" + id + "\" – ünïcode";
  g.x509.certificate_chain =
      "-----BEGIN CERTIFICATE-----\nMIIB" + id + "\n-----END CERTIFICATE-----\n";
  g.x509.lead_certificate_name = "lead-" + id;
  g.x509.expired_certificate_enabled = true;
  g.hub_ids = {"hub-b-" + id, "hub-a-" + id};  // order is priority: must survive as is
  g.pre_shared_key = std::string("\x00\xff\x01psk-bytes\x80\"", 14);
  g.disabled = true;
  g.revoked_certificates = {"0a1b", "deadbeef"};
  g.crl = "-----BEGIN X509 CRL-----\nMII\n-----END X509 CRL-----\n";
  g.template_id = "tpl-" + id;
  return g;
}

Hub make_hub(const std::string& id, const std::string& owner) {
  Hub h;
  h.id = id;
  h.hub_id = "hubid-" + id;
  h.owner = owner;
  h.name = "hub " + id;
  h.gateways = {"coaps+tcp://b.example:5684", "coaps+tcp://a.example:5684"};
  h.certificate_authority.address = "ca.example:443";
  h.certificate_authority.ca_pool = "-----BEGIN CERTIFICATE-----\nCA\n";
  h.authorization.owner_claim = "https://plgd.dev/owner";
  h.authorization.device_id_claim = "https://plgd.dev/deviceId";
  h.authorization.provider = {"plgd",
                              "https://auth.example",
                              "client-" + id,
                              std::string("s\x00\xfe", 3),
                              "/etc/dps/secret-" + id,
                              {"openid", "offline"},
                              "aud",
                              "-----BEGIN CERTIFICATE-----\n(pool)\n",
                              true};
  h.certificate_authority.cert_pem = "-----BEGIN CERTIFICATE-----\n(client)\n";
  h.certificate_authority.key_pem = "-----BEGIN PRIVATE KEY-----\n(key)\n";
  h.certificate_authority.keep_alive_time_ns = 10'000'000'000;
  h.certificate_authority.keep_alive_permit_without_stream = true;
  h.certificate_authority.use_system_ca_pool = true;
  return h;
}

EnrollmentTemplate make_template(const std::string& id, const std::string& owner) {
  EnrollmentTemplate t;
  t.id = id;
  t.owner = owner;
  t.name = "template \"" + id + "\" – ünïcode";
  t.access_control_list_json =
      R"([{"subject":{"conntype":"anon-clear"},"resources":[{"href":"/light/1"}],"permission":2}])";
  t.identity_certificate_validity_seconds = 86'400;
  t.token_lifetime_seconds = 3'600;
  // Key order and spacing of a representation are the owner's: they must come back unchanged.
  t.pre_configuration = {{"/oic/con", R"({"n": "{{deviceId}}", "a": 1})"},
                         {"/light/1", R"({"state":true,"owner":"{{owner}}"})"}};
  return t;
}

ProvisioningRecord make_record(const std::string& id, const std::string& owner, int64_t date) {
  ProvisioningRecord r;
  r.id = id;
  r.device_id = "device-" + id;
  r.enrollment_group_id = "eg-" + id;
  r.owner = owner;
  r.creation_date = 1'700'000'000'000'000'000;
  r.local_endpoints = {"coap+tcp://[fe80::1]:5683", "coaps+tcp://10.0.0.2:5684"};
  r.attestation =
      AttestationSection{{date, 0, ""}, "-----BEGIN CERTIFICATE-----\nLEAF\n", "cn-" + id, {}};
  r.plgd_time = PlgdTimeSection{{date, 69, ""}};
  r.ownership = OwnershipSection{{date, 69, ""}, owner};
  r.cloud = CloudSection{{date, 68, ""},
                         "plgd",
                         {{"coaps+tcp://a:5684", "hub-a"}, {"coaps+tcp://b:5684", "hub-b"}},
                         Gateway{"coaps+tcp://b:5684", "hub-b"}};
  r.credential = CredentialSection{{date, 68, ""},
                                   "-----BEGIN CERTIFICATE-----\nIDENTITY\n",
                                   "subject-" + id,
                                   std::string("\x00\x01\xfe\xff", 4),
                                   R"([{"id":1,"subject":"x"}])"};
  r.acl = AclSection{{date, 0, "device rejected ACLs: 4.00"}, R"([{"aceid":1}])"};
  r.pre_configuration = PreConfigurationSection{
      {date, 68, ""},
      R"([{"href":"/oic/con","representation":{"n":"device-)" + id + R"("}}])",
      R"([{"href":"/oic/con","code":68,"error":""}])"};
  return r;
}

namespace {

int64_t version(Store& store) {
  auto v = store.configuration_version();
  EXPECT_TRUE(ok(v));
  return v ? *v : -1;
}

TEST_P(StoreContract, EmptyStoreListsNothing) {
  auto groups = store().list_enrollment_groups({.scope = OwnerScope::every_owner()});
  auto hubs = store().list_hubs({.scope = OwnerScope::every_owner()});
  auto records = store().list_provisioning_records({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(groups) && ok(hubs) && ok(records));
  EXPECT_TRUE(groups->empty() && hubs->empty() && records->empty());
}

TEST_P(StoreContract, ConfigurationVersionIncreasesOnGroupAndHubWritesOnly) {
  int64_t last = version(store());
  auto expect_increase = [&](const char* what) {
    int64_t now = version(store());
    EXPECT_GT(now, last) << what;
    last = now;
  };
  auto expect_same = [&](const char* what) { EXPECT_EQ(version(store()), last) << what; };

  ASSERT_TRUE(ok(store().create_enrollment_group(make_group("g1", "alice"))));
  expect_increase("create group");
  ASSERT_TRUE(ok(store().update_enrollment_group(make_group("g1", "alice"))));
  expect_increase("update group");
  std::array groups = {make_group("g2", "alice")};
  ASSERT_TRUE(ok(store().upsert_enrollment_groups(groups)));
  expect_increase("upsert groups");
  ASSERT_TRUE(
      ok(store().delete_enrollment_groups({.scope = OwnerScope::of("alice"), .ids = {"g2"}})));
  expect_increase("delete groups");
  ASSERT_TRUE(ok(store().create_hub(make_hub("h1", "alice"))));
  expect_increase("create hub");
  ASSERT_TRUE(ok(store().update_hub(make_hub("h1", "alice"))));
  expect_increase("update hub");
  std::array hubs = {make_hub("h2", "alice")};
  ASSERT_TRUE(ok(store().upsert_hubs(hubs)));
  expect_increase("upsert hubs");
  ASSERT_TRUE(ok(store().delete_hubs({.scope = OwnerScope::of("alice"), .ids = {"h2"}})));
  expect_increase("delete hubs");

  // Record traffic and failed writes leave caches valid.
  std::array records = {make_record("r1", "alice", 10)};
  ASSERT_TRUE(ok(all_applied(store().apply_record_updates(records))));
  expect_same("record updates");
  ASSERT_TRUE(ok(store().delete_provisioning_records({.scope = OwnerScope::of("alice")})));
  expect_same("record delete");
  EXPECT_FALSE(store().create_enrollment_group(make_group("g1", "alice")));
  expect_same("conflicting create");
  EXPECT_FALSE(store().update_hub(make_hub("missing", "alice")));
  expect_same("update of a missing hub");
}

TEST_P(StoreContract, ReopenKeepsEverything) {
  ASSERT_TRUE(ok(store().create_enrollment_group(make_group("g1", "alice"))));
  ASSERT_TRUE(ok(store().create_hub(make_hub("h1", "bob"))));
  std::array records = {make_record("r1", "alice", 10), make_record("r2", "bob", 20)};
  ASSERT_TRUE(ok(all_applied(store().apply_record_updates(records))));
  const int64_t before = version(store());

  reopen();

  auto groups = store().list_enrollment_groups({.scope = OwnerScope::every_owner()});
  auto hubs = store().list_hubs({.scope = OwnerScope::every_owner()});
  auto stored = store().list_provisioning_records({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(groups) && ok(hubs) && ok(stored));
  EXPECT_EQ(*groups, std::vector{make_group("g1", "alice")});
  EXPECT_EQ(*hubs, std::vector{make_hub("h1", "bob")});
  EXPECT_EQ(*stored, std::vector(records.begin(), records.end()));
  EXPECT_EQ(version(store()), before);
}

TEST_P(StoreContract, RepeatedReopenIsIdempotentAndWritable) {
  ASSERT_TRUE(ok(store().create_hub(make_hub("h1", "alice"))));
  const int64_t before = version(store());
  reopen();
  reopen();
  EXPECT_EQ(version(store()), before);
  ASSERT_TRUE(ok(store().create_hub(make_hub("h2", "alice"))));
  auto hubs = store().list_hubs({.scope = OwnerScope::every_owner()});
  ASSERT_TRUE(ok(hubs));
  EXPECT_EQ(ids_of(*hubs), (std::vector<std::string>{"h1", "h2"}));
}

}  // namespace
}  // namespace dps::store::testing
