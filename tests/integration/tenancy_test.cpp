// Tenancy under attack: two owners against one running dps, owner B hostile, on SQLite and on
// PostgreSQL (issue 12). Each test is an attack that worked before the tenancy changes: B
// enrolling A's public chain to take A's devices, overlapping trust through a shared root,
// certificates for ids B does not own, and growing the store without bound. Token attacks (a
// device's hub token on every API route, reserved audiences and claims) are in
// api_auth_test.cpp; API floods and token spraying in the hostile suite.
#include <atomic>

#include "device/requests.hpp"
#include "support/api_fixture.hpp"
#include "support/postgres_server.hpp"

namespace dps::itest {
namespace {

using coap::Code;
using nlohmann::json;

enum class Backend { Sqlite, Postgres };

class Tenancy : public ApiTest, public ::testing::WithParamInterface<Backend> {
 protected:
  void configure(DpsConfigSpec& spec) override {
    ApiTest::configure(spec);
    spec.require_proof_of_possession = true;  // dps's default
    spec.api_group_quota = kGroupQuota;
    mfg_b_ = make_manufacturer("itest tenant b mfg");
    if (GetParam() == Backend::Postgres) {
      static std::atomic<int> databases{0};
      spec.postgres_uri =
          test::shared_postgres_server().create_database("tenancy_" + std::to_string(databases++));
    }
  }

  /// POSTs `body` as `owner` with a proof of possession signed by `signer`'s key.
  HttpAnswer post_proven(const std::string& owner, json body, const test::TestCa& signer) {
    const auto code =
        call(Verb::post, std::string(kGroupsPath) + "/verification-codes", token_of(owner));
    EXPECT_EQ(code.status, 200u) << code.body;
    const std::string value = code.object().value("code", "");
    body["proofOfPossession"] = {
        {"code", value},
        {"certificate", test::make_leaf(signer, {.common_name = value}).cert_pem()}};
    return call(Verb::post, kGroupsPath, token_of(owner), body.dump());
  }

  /// Owner A's line: kApiHub and a group of api_mfg_, proven with its intermediate's key.
  std::string enroll_a() {
    create(kHubsPath, hub_body(kApiHub), kOwnerA);
    const auto created = post_proven(kOwnerA, group_body(kApiHub), api_mfg_.intermediate);
    EXPECT_EQ(created.status, 200u) << created.body;
    return created.object().value("id", "");
  }

  /// A credentials request for `di` with a fresh key's CSR for it.
  static coap::Message credentials_for(const std::string& di) {
    auto key = test::make_key(test::KeyType::P256);
    return device::make_credentials_request(di, test::make_csr_pem(key.get(), "uuid:" + di));
  }

  static constexpr uint32_t kGroupQuota = 3;
  Manufacturer mfg_b_;
};

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::Sqlite ? "Sqlite" : "Postgres";
}

TEST_P(Tenancy, PublicChainOfAnotherOwnerCannotBeEnrolledToTakeItsDevices) {
  const std::string group_a = enroll_a();
  create(kHubsPath, hub_body(kApiHub, "coaps+tcp://owner-b.example.com:5684"), kOwnerB);
  // B has A's chain (it is public) but only its own keys.
  for (const test::TestCa* key_b : {&mfg_b_.intermediate, &mfg_b_.root}) {
    const auto taken = post_proven(kOwnerB, group_body(kApiHub), *key_b);
    EXPECT_TRUE(is_api_error(taken, 403, 7, "not signed by the key")) << taken.body;
  }
  // Nor A's root alone (a broader claim over the same devices).
  json root_only = group_body(kApiHub);
  root_only["attestationMechanism"]["x509"]["certificateChain"] = api_mfg_.root.cert_pem();
  const auto broader = post_proven(kOwnerB, root_only, mfg_b_.root);
  EXPECT_EQ(broader.status, 403u) << broader.body;
  // Without any proof at all.
  const auto bare = call(Verb::post, kGroupsPath, token_of(kOwnerB), group_body(kApiHub).dump());
  EXPECT_TRUE(is_api_error(bare, 403, 7, "proofOfPossession required"));
  EXPECT_TRUE(list(kGroupsPath, token_of(kOwnerB)).empty());

  // A's devices still go to A's hub with A's owner, and their records are A's alone.
  const auto device = provision(api_mfg_tls());
  ASSERT_TRUE(device.ok) << device.error;
  EXPECT_EQ(device.hub.cis, kLocalGateway);
  const auto records_a = list(kRecordsPath, token_of(kOwnerA));
  ASSERT_EQ(records_a.size(), 1u);
  EXPECT_EQ(records_a[0].value("enrollmentGroupId", ""), group_a);
  EXPECT_EQ(records_a[0].value("owner", ""), kOwnerA);
  EXPECT_TRUE(list(kRecordsPath, token_of(kOwnerB)).empty());
  EXPECT_TRUE(list(std::string(kRecordsPath) + "?view=ocf", token_of(kOwnerB)).empty());
  EXPECT_TRUE(list(std::string(kRecordsPath) + "?view=ocf&deviceIdFilter=" + device.device_id,
                   token_of(kOwnerB))
                  .empty());
}

TEST_P(Tenancy, TrustOverlappingAnotherOwnersThroughASharedRootIs409WithoutNamingIt) {
  // One root CA signs an intermediate for each tenant: A enrolls the root itself (proving it),
  // B its own intermediate under it (proving that). Both proofs are real, but the two groups
  // would admit the same devices (B's), so the second write is refused either way round.
  const test::TestCa shared_root = test::make_root_ca("itest shared root");
  const test::TestCa b_intermediate =
      test::make_intermediate_ca(shared_root, "itest b under shared");
  create(kHubsPath, hub_body(kApiHub), kOwnerA);
  create(kHubsPath, hub_body(kApiHub), kOwnerB);
  json root_group = group_body(kApiHub);
  root_group["attestationMechanism"]["x509"]["certificateChain"] = shared_root.cert_pem();
  json b_group = group_body(kApiHub);
  b_group["attestationMechanism"]["x509"]["certificateChain"] = b_intermediate.chain_pem();

  const auto a_first = post_proven(kOwnerA, root_group, shared_root);
  ASSERT_EQ(a_first.status, 200u) << a_first.body;
  const std::string a_group = a_first.object().value("id", "");
  const auto b_second = post_proven(kOwnerB, b_group, b_intermediate);
  EXPECT_EQ(b_second.status, 409u) << b_second.body;
  EXPECT_EQ(b_second.body.find(kOwnerA), std::string::npos) << b_second.body;
  EXPECT_EQ(b_second.body.find(a_group), std::string::npos) << b_second.body;

  // The other order: A's group gone, B's in place, A's root now overlaps B's.
  ASSERT_EQ(
      call(Verb::delete_, std::string(kGroupsPath) + "?idFilter=" + a_group, token_of(kOwnerA))
          .status,
      200u);
  ASSERT_EQ(post_proven(kOwnerB, b_group, b_intermediate).status, 200u);
  const auto a_again = post_proven(kOwnerA, root_group, shared_root);
  EXPECT_EQ(a_again.status, 409u) << a_again.body;
  EXPECT_EQ(a_again.body.find(kOwnerB), std::string::npos) << a_again.body;
}

TEST_P(Tenancy, DevicesGetIdentityCertificatesOnlyForTheirOwnId) {
  enroll_a();
  // B's device provisions through B's own (proven) group and hub.
  create(kHubsPath, hub_body(kApiHub2), kOwnerB);
  ASSERT_EQ(post_proven(kOwnerB, group_body(mfg_b_, {kApiHub2}), mfg_b_.intermediate).status, 200u);
  const auto device_b = provision(tls_for(mfg_b_.device, &mfg_b_.intermediate));
  ASSERT_TRUE(device_b.ok) << device_b.error;
  const auto device_a = provision(api_mfg_tls());
  ASSERT_TRUE(device_a.ok) << device_a.error;

  struct Attempt {
    const char* what;
    std::string di;
  };
  const std::vector<Attempt> attempts{
      {"a hub's id (the device would pose as that hub)", kApiHub},
      {"the other owner's hub's id", kApiHub2},
      {"another owner's device's id", device_b.device_id},
      {"a fresh id other than the one its record holds", "0d0d0d0d-0000-4000-8000-00000000000d"},
  };
  for (const Attempt& attempt : attempts) {
    const auto answer = request_once(api_mfg_tls(), credentials_for(attempt.di));
    ASSERT_TRUE(answer) << attempt.what << ": " << answer.error().internal;
    EXPECT_EQ(coap::to_string(answer->code), coap::to_string(Code::Forbidden))
        << attempt.what << ": " << answer->payload_text();
  }
  // A second device of A's line may not take A's first device's id either.
  const auto sibling = request_once(tls_for(api_mfg_leaf("itest sibling"), &api_mfg_.intermediate),
                                    credentials_for(device_a.device_id));
  ASSERT_TRUE(sibling) << sibling.error().internal;
  EXPECT_EQ(coap::to_string(sibling->code), coap::to_string(Code::Forbidden))
      << sibling->payload_text();
  // Without di there is no certificate at all.
  auto key = test::make_key(test::KeyType::P256);
  const auto no_di = request_once(
      api_mfg_tls(),
      device::make_post(device::uri::kCredentials,
                        json::to_cbor(json{
                            {"csr",
                             {{"data", test::make_csr_pem(key.get(), "uuid:" + device_a.device_id)},
                              {"encoding", "oic.sec.encoding.pem"}}}})));
  ASSERT_TRUE(no_di) << no_di.error().internal;
  EXPECT_EQ(coap::to_string(no_di->code), coap::to_string(Code::BadRequest));

  // Its own id still works, and B's device's record is untouched.
  const auto own = request_once(api_mfg_tls(), credentials_for(device_a.device_id));
  ASSERT_TRUE(own) << own.error().internal;
  EXPECT_EQ(coap::to_string(own->code), coap::to_string(Code::Changed)) << own->payload_text();
  const auto records_b = list(kRecordsPath, token_of(kOwnerB));
  ASSERT_EQ(records_b.size(), 1u);
  EXPECT_EQ(records_b[0].value("deviceId", ""), device_b.device_id);
}

TEST_P(Tenancy, OwnerAtItsGroupQuotaIsRefusedWhileOthersAreNot) {
  create(kHubsPath, hub_body(kApiHub), kOwnerB);
  for (uint32_t i = 0; i < kGroupQuota; ++i) {
    const test::TestCa ca = test::make_root_ca("itest quota " + std::to_string(i));
    json body = group_body(kApiHub);
    body["attestationMechanism"]["x509"]["certificateChain"] = ca.cert_pem();
    ASSERT_EQ(post_proven(kOwnerB, body, ca).status, 200u) << i;
  }
  const test::TestCa one_more = test::make_root_ca("itest quota over");
  json body = group_body(kApiHub);
  body["attestationMechanism"]["x509"]["certificateChain"] = one_more.cert_pem();
  EXPECT_TRUE(is_api_error(post_proven(kOwnerB, body, one_more), 409, 6,
                           "apis.http.quotas.enrollmentGroups"));
  // B's full quota does not stop A.
  enroll_a();
  EXPECT_EQ(list(kGroupsPath, token_of(kOwnerA)).size(), 1u);
}

TEST_P(Tenancy, VerificationCodesAreSingleUseAndTheirOwnersOnly) {
  // Hubs first: groups must name hubs of their owner (checked before the proof).
  create(kHubsPath, hub_body(kApiHub), kOwnerA);
  create(kHubsPath, hub_body(kApiHub2), kOwnerA);
  create(kHubsPath, hub_body(kApiHub), kOwnerB);
  const auto code =
      call(Verb::post, std::string(kGroupsPath) + "/verification-codes", token_of(kOwnerA));
  ASSERT_EQ(code.status, 200u) << code.body;
  const std::string value = code.object().value("code", "");
  json body = group_body(kApiHub);
  body["proofOfPossession"] = {
      {"code", value},
      {"certificate", test::make_leaf(api_mfg_.intermediate, {.common_name = value}).cert_pem()}};
  // B replays A's code (say, read off A's screen) with a proof over A's chain: refused.
  EXPECT_TRUE(is_api_error(call(Verb::post, kGroupsPath, token_of(kOwnerB), body.dump()), 403, 7,
                           "unknown, already used"));
  EXPECT_EQ(call(Verb::post, kGroupsPath, token_of(kOwnerA), body.dump()).status, 200u);
  json again = group_body(kApiHub2);
  again["proofOfPossession"] = body["proofOfPossession"];
  EXPECT_TRUE(is_api_error(call(Verb::post, kGroupsPath, token_of(kOwnerA), again.dump()), 403, 7,
                           "unknown, already used"));
}

INSTANTIATE_TEST_SUITE_P(Backends, Tenancy, ::testing::Values(Backend::Sqlite, Backend::Postgres),
                         backend_name);

}  // namespace
}  // namespace dps::itest
