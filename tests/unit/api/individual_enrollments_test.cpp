// /api/v1/individual-enrollments end to end on SQLite: the three ways of naming a device (all one
// key hash), one enrollment per device key across owners without leaking the holder, tenancy,
// paging and the owner quota.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "api_fixture.hpp"
#include "common/data_uri.hpp"
#include "pki/x509_util.hpp"
#include "support/jwt_test_tokens.hpp"
#include "tpm/public_area.hpp"
#include "tpm/public_key.hpp"
#include "tpm/software_keys.hpp"

namespace dps::api::testing {
namespace {

constexpr const char* kIndividual = "/api/v1/individual-enrollments";

json by_certificate(const test::TestCert& device) {
  return {{"attestationMechanism", {{"x509", {{"certificate", device.cert_pem()}}}}},
          {"hubIds", {kHubA}}};
}

json by_public_key(const test::TestCert& device) {
  return {{"attestationMechanism", {{"publicKey", test::public_key_pem(device.key.get())}}},
          {"hubIds", {kHubA}}};
}

json by_key_hash(const std::string& hash) {
  return {{"attestationMechanism", {{"publicKeySha256", hash}}}, {"hubIds", {kHubA}}};
}

/// The i-th of a family of distinct, valid key hashes (no key needed to hold them).
std::string numbered_key_hash(int i) {
  char digits[9];
  std::snprintf(digits, sizeof digits, "%08x", static_cast<unsigned>(i));
  return std::string(56, 'e') + digits;
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

test::TestCert new_device(test::KeyType type = test::KeyType::P256) {
  return test::make_leaf(Pki::get().intermediate, {.key_type = type});
}

class IndividualEnrollments : public ApiTest {
 protected:
  // Their groups and enrollments name kHubA/kHubB: the API refuses hubIds naming no hub.
  void SetUp() override {
    add_hubs(kAlice);
    add_hubs(kBob);
  }
  std::string item(const std::string& id) const { return std::string(kIndividual) + "/" + id; }

  ApiResponse remove(const std::string& id, const std::string& owner = kAlice) {
    return call("DELETE", std::string(kIndividual) + "?idFilter=" + id, std::string{}, owner);
  }
};

TEST_F(IndividualEnrollments, CertificatePublicKeyAndHashNameTheSameDeviceKey) {
  const auto device = new_device();
  const std::string expected = pki::spki_sha256_hex(device.get());

  const json by_cert = create("individual-enrollments", by_certificate(device));
  EXPECT_EQ(by_cert["attestationMechanism"]["publicKeySha256"], expected);
  EXPECT_EQ(by_cert["attestationMechanism"]["x509"]["certificate"], device.cert_pem());
  EXPECT_EQ(by_cert["owner"], kAlice);
  EXPECT_EQ(by_cert["name"], by_cert["id"]);
  EXPECT_EQ(by_cert["hubIds"], json({kHubA}));
  EXPECT_EQ(by_cert["disabled"], false);
  EXPECT_EQ(list(kIndividual), std::vector<json>{by_cert});
  ASSERT_EQ(remove(by_cert["id"]).status, 200u);

  const json by_key = create("individual-enrollments", by_public_key(device));
  EXPECT_EQ(by_key["attestationMechanism"], json({{"publicKeySha256", expected}}));
  ASSERT_EQ(remove(by_key["id"]).status, 200u);

  // Any case in, lowercase stored: the handshake compares lowercase.
  const json by_hash = create("individual-enrollments", by_key_hash(upper(expected)));
  EXPECT_EQ(by_hash["attestationMechanism"], json({{"publicKeySha256", expected}}));
  EXPECT_NE(by_hash["id"], by_cert["id"]);
}

TEST_F(IndividualEnrollments, ADeviceKeyIsEnrolledOnceWhicheverWayItIsNamed) {
  const auto device = new_device();
  const std::string first = create("individual-enrollments", by_certificate(device))["id"];
  for (const json& again : {by_certificate(device), by_public_key(device),
                            by_key_hash(upper(pki::spki_sha256_hex(device.get())))}) {
    ApiResponse response = call("POST", kIndividual, again);
    EXPECT_EQ(response.status, 409u) << response.body;
    const std::string message = error_message(response, 6);
    EXPECT_NE(message.find("device key"), std::string::npos) << message;
    EXPECT_EQ(message.find(first), std::string::npos) << message;
  }
  EXPECT_EQ(list(kIndividual).size(), 1u);

  // Nor may an update take another enrollment's key.
  const std::string second = create("individual-enrollments", by_public_key(new_device()))["id"];
  ApiResponse taken = call("PUT", item(second), by_certificate(device));
  EXPECT_EQ(taken.status, 409u) << taken.body;
  EXPECT_EQ(error_message(taken, 6).find(first), std::string::npos);
}

TEST_F(IndividualEnrollments, ACertificateAndAPublicKeyTogetherAreRefused) {
  const auto device = new_device();
  const json certificate = by_certificate(device)["attestationMechanism"]["x509"];
  const std::string key = test::public_key_pem(device.key.get());
  const std::string hash = pki::spki_sha256_hex(device.get());
  const std::vector<json> mechanisms{
      {{"x509", certificate}, {"publicKey", key}},
      {{"x509", certificate}, {"publicKey", key}, {"publicKeySha256", hash}},
      json::object(),
  };
  for (const json& mechanism : mechanisms) {
    ApiResponse response =
        call("POST", kIndividual, json{{"attestationMechanism", mechanism}, {"hubIds", {kHubA}}});
    EXPECT_EQ(response.status, 400u) << mechanism.dump();
    EXPECT_TRUE(error_message(response, 3).starts_with("attestationMechanism: ")) << response.body;
  }
  ApiResponse missing = call("POST", kIndividual, json{{"hubIds", {kHubA}}});
  EXPECT_EQ(missing.status, 400u);
  EXPECT_TRUE(error_message(missing, 3).starts_with("attestationMechanism: "));
  EXPECT_TRUE(list(kIndividual).empty());
}

// Answers show publicKeySha256 beside the certificate, and clients send answers back as PUT
// bodies: the hash may accompany a certificate or key only when it is that key's.
TEST_F(IndividualEnrollments, AHashBesideACertificateOrKeyMustBeItsOwn) {
  const auto device = new_device();
  const json certificate = by_certificate(device)["attestationMechanism"]["x509"];
  const std::string key = test::public_key_pem(device.key.get());
  const std::string other = numbered_key_hash(7);
  for (const json& mechanism : {json{{"x509", certificate}, {"publicKeySha256", other}},
                                json{{"publicKey", key}, {"publicKeySha256", other}},
                                json{{"publicKey", key}, {"publicKeySha256", "zz"}}}) {
    ApiResponse response =
        call("POST", kIndividual, json{{"attestationMechanism", mechanism}, {"hubIds", {kHubA}}});
    EXPECT_EQ(response.status, 400u) << mechanism.dump();
    EXPECT_TRUE(
        error_message(response, 3).starts_with("attestationMechanism.publicKeySha256: is not"))
        << response.body;
  }
  const std::string hash = pki::spki_sha256_hex(device.get());
  const json created = create(
      "individual-enrollments",
      json{{"attestationMechanism", {{"x509", certificate}, {"publicKeySha256", upper(hash)}}},
           {"hubIds", {kHubA}}});
  EXPECT_EQ(created["attestationMechanism"]["publicKeySha256"], hash);
  ApiResponse echoed = call("PUT", item(created["id"]), created);
  ASSERT_EQ(echoed.status, 200u) << echoed.body;
  EXPECT_EQ(json::parse(echoed.body), created);
  json by_key = created;
  by_key["attestationMechanism"] = {{"publicKey", key}, {"publicKeySha256", hash}};
  ApiResponse rekeyed = call("PUT", item(created["id"]), by_key);
  ASSERT_EQ(rekeyed.status, 200u) << rekeyed.body;
  EXPECT_EQ(json::parse(rekeyed.body)["attestationMechanism"], json({{"publicKeySha256", hash}}));
}

TEST_F(IndividualEnrollments, KeysNoDeviceHoldsAreRefusedNamingTheField) {
  const auto rsa = new_device(test::KeyType::Rsa2048);
  ApiResponse by_cert = call("POST", kIndividual, by_certificate(rsa));
  EXPECT_EQ(by_cert.status, 400u);
  const std::string cert_message = error_message(by_cert, 3);
  EXPECT_TRUE(cert_message.starts_with("attestationMechanism.x509.certificate: ")) << cert_message;
  EXPECT_NE(cert_message.find("RSA-2048"), std::string::npos) << cert_message;

  const auto k1 = new_device(test::KeyType::Secp256k1);
  ApiResponse by_key = call("POST", kIndividual, by_public_key(k1));
  EXPECT_EQ(by_key.status, 400u);
  const std::string key_message = error_message(by_key, 3);
  EXPECT_TRUE(key_message.starts_with("attestationMechanism.publicKey: ")) << key_message;
  EXPECT_NE(key_message.find("P-256 or P-384"), std::string::npos) << key_message;

  // A P-384 device is one.
  EXPECT_EQ(call("POST", kIndividual, by_certificate(new_device(test::KeyType::P384))).status,
            200u);
}

TEST_F(IndividualEnrollments, MalformedKeyMaterialIsRefusedNamingTheField) {
  const std::vector<std::pair<json, std::string>> cases{
      {by_key_hash(std::string(63, 'a')), "attestationMechanism.publicKeySha256: "},
      {by_key_hash(std::string(65, 'a')), "attestationMechanism.publicKeySha256: "},
      {by_key_hash(std::string(63, 'a') + "z"), "attestationMechanism.publicKeySha256: "},
      {by_key_hash(std::string(32, 'a') + ":" + std::string(31, 'a')),
       "attestationMechanism.publicKeySha256: "},
      {json{{"attestationMechanism", {{"publicKey", Pki::get().root.cert_pem()}}},
            {"hubIds", {kHubA}}},
       "attestationMechanism.publicKey: "},
      {json{{"attestationMechanism", {{"x509", {{"certificate", "/etc/device.pem"}}}}},
            {"hubIds", {kHubA}}},
       "attestationMechanism.x509.certificate: "},
      {json{{"attestationMechanism", {{"x509", json::object()}}}, {"hubIds", {kHubA}}},
       "attestationMechanism.x509.certificate: "},
  };
  for (const auto& [body, prefix] : cases) {
    ApiResponse response = call("POST", kIndividual, body);
    EXPECT_EQ(response.status, 400u) << body.dump();
    EXPECT_TRUE(error_message(response, 3).starts_with(prefix)) << response.body;
  }
  EXPECT_TRUE(list(kIndividual).empty());
}

TEST_F(IndividualEnrollments, HubIdsAreRequiredUnlessDisabled) {
  json body = by_certificate(new_device());
  body.erase("hubIds");
  ApiResponse missing = call("POST", kIndividual, body);
  EXPECT_EQ(missing.status, 400u);
  EXPECT_EQ(error_message(missing, 3), "hubIds: at least one hub id required");
  body["hubIds"] = {"not-a-uuid"};
  EXPECT_EQ(call("POST", kIndividual, body).status, 400u);

  // A disabled enrollment refuses its device: it sends it nowhere, so it needs no hub.
  body.erase("hubIds");
  body["disabled"] = true;
  const json created = create("individual-enrollments", body);
  EXPECT_EQ(created["disabled"], true);
  EXPECT_FALSE(created.contains("hubIds"));
}

TEST_F(IndividualEnrollments, TheServiceGeneratesTheIdAndStampsTheOwner) {
  json body = by_public_key(new_device());
  body["id"] = "44444444-4444-4444-8444-444444444444";
  ApiResponse with_id = call("POST", kIndividual, body);
  EXPECT_EQ(with_id.status, 400u);
  EXPECT_EQ(error_message(with_id, 3), "id: is generated by the service and must not be given");

  body.erase("id");
  body["owner"] = kBob;
  EXPECT_EQ(call("POST", kIndividual, body).status, 400u);
  body["bogus"] = 1;
  body.erase("owner");
  EXPECT_EQ(error_message(call("POST", kIndividual, body), 3), "unknown field \"bogus\"");
  EXPECT_TRUE(list(kIndividual).empty());
}

TEST_F(IndividualEnrollments, PutReplacesTheWholeEnrollment) {
  json body = by_certificate(new_device());
  body["name"] = "sensor";
  body["hubIds"] = {kHubA, kHubB};
  const json created = create("individual-enrollments", body);
  const std::string id = created["id"];

  // Another device (by hash), other hubs, no name: nothing of the old enrollment stays.
  const std::string hash = numbered_key_hash(1);
  json replacement = by_key_hash(hash);
  replacement["hubIds"] = {kHubB};
  replacement["id"] = upper(id);  // echoed ids may be in any case
  ApiResponse response = call("PUT", item(id), replacement);
  ASSERT_EQ(response.status, 200u) << response.body;
  const json updated = json::parse(response.body);
  const json expected{{"id", id},          {"owner", kAlice},
                      {"name", id},        {"attestationMechanism", {{"publicKeySha256", hash}}},
                      {"hubIds", {kHubB}}, {"disabled", false}};
  EXPECT_EQ(updated, expected);
  EXPECT_EQ(list(kIndividual), std::vector<json>{expected});
  // The old device key is free again.
  EXPECT_EQ(call("POST", kIndividual, body).status, 200u);

  // The stored object sent back unchanged is a valid update.
  EXPECT_EQ(json::parse(call("PUT", item(id), updated).body), updated);
  EXPECT_EQ(call("PUT", item("44444444-4444-4444-8444-444444444444"), replacement).status, 400u)
      << "the body's id differs from the path's";
  replacement.erase("id");
  ApiResponse absent = call("PUT", item("44444444-4444-4444-8444-444444444444"), replacement);
  EXPECT_EQ(absent.status, 404u);
  EXPECT_EQ(call("PUT", item("not-a-uuid"), replacement).status, 400u);
}

TEST_F(IndividualEnrollments, AnotherOwnersEnrollmentIsInvisibleAndUntouched) {
  const auto device = new_device();
  const json alices = create("individual-enrollments", by_certificate(device));
  const std::string id = alices["id"];

  EXPECT_TRUE(list(kIndividual, kBob).empty());
  EXPECT_TRUE(list(std::string(kIndividual) + "?idFilter=" + id, kBob).empty());
  EXPECT_TRUE(list(std::string(kIndividual) + "?publicKeySha256Filter=" +
                       std::string(alices["attestationMechanism"]["publicKeySha256"]),
                   kBob)
                  .empty());
  ApiResponse put = call("PUT", item(id), by_key_hash(numbered_key_hash(2)), kBob);
  EXPECT_EQ(put.status, 404u);
  EXPECT_EQ(error_message(put, 5), "individual enrollment \"" + id + "\" not found");
  EXPECT_EQ(remove(id, kBob).status, 404u);

  // Bob cannot enroll Alice's device either, and learns neither her enrollment nor her name.
  for (const json& body : {by_certificate(device), by_public_key(device)}) {
    ApiResponse taken = call("POST", kIndividual, body, kBob);
    EXPECT_EQ(taken.status, 409u) << taken.body;
    const std::string message = error_message(taken, 6);
    EXPECT_EQ(message.find(id), std::string::npos) << message;
    EXPECT_EQ(message.find(kAlice), std::string::npos) << message;
  }
  EXPECT_TRUE(list(kIndividual, kBob).empty());
  EXPECT_EQ(list(kIndividual), std::vector<json>{alices});
}

TEST_F(IndividualEnrollments, FiltersSelectByIdOrKeyHashOred) {
  const std::string a = create("individual-enrollments", by_key_hash(numbered_key_hash(1)))["id"];
  const std::string b = create("individual-enrollments", by_key_hash(numbered_key_hash(2)))["id"];
  create("individual-enrollments", by_key_hash(numbered_key_hash(3)));
  EXPECT_EQ(ids_of(list(std::string(kIndividual) + "?idFilter=" + upper(a))),
            std::vector<std::string>{a});
  EXPECT_EQ(ids_of(list(std::string(kIndividual) +
                        "?publicKeySha256Filter=" + upper(numbered_key_hash(2)))),
            std::vector<std::string>{b});
  std::vector<std::string> both{a, b};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(ids_of(list(std::string(kIndividual) + "?idFilter=" + a +
                        "&public_key_sha256_filter=" + numbered_key_hash(2))),
            both);
  ApiResponse bad = call("GET", std::string(kIndividual) + "?publicKeySha256Filter=abc");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_TRUE(error_message(bad, 3).starts_with("publicKeySha256Filter: ")) << bad.body;
}

TEST_F(IndividualEnrollments, PagesWithAfterAndLimitVisitEveryEnrollmentOnceInOrder) {
  std::vector<std::string> created;
  for (int i = 0; i < 25; ++i) {
    created.push_back(create("individual-enrollments", by_key_hash(numbered_key_hash(i)))["id"]);
  }
  std::sort(created.begin(), created.end());
  EXPECT_EQ(ids_of(list(kIndividual)), created);  // default page (1000) holds them all

  std::vector<std::string> seen;
  std::vector<size_t> page_sizes;
  std::string target = std::string(kIndividual) + "?limit=10";
  for (int guard = 0; guard < 10; ++guard) {
    const auto page = ids_of(list(target));
    page_sizes.push_back(page.size());
    if (page.empty()) break;
    seen.insert(seen.end(), page.begin(), page.end());
    target = std::string(kIndividual) + "?limit=10&after=" + upper(page.back());
  }
  EXPECT_EQ(page_sizes, (std::vector<size_t>{10, 10, 5, 0}));
  EXPECT_EQ(seen, created);

  // `after` is exclusive and need not name an existing enrollment.
  EXPECT_EQ(ids_of(list(std::string(kIndividual) + "?after=" + created[23])),
            std::vector<std::string>{created[24]});
  EXPECT_EQ(list(std::string(kIndividual) + "?after=ffffffff-ffff-4fff-bfff-ffffffffffff").size(),
            0u);
  EXPECT_EQ(list(std::string(kIndividual) + "?limit=10000").size(), 25u);
}

TEST_F(IndividualEnrollments, BadPagingParametersAreRefused) {
  for (const char* limit : {"0", "10001", "abc", "-1", "10x", "+5", "%205"}) {
    ApiResponse response = call("GET", std::string(kIndividual) + "?limit=" + limit);
    EXPECT_EQ(response.status, 400u) << limit;
    EXPECT_TRUE(error_message(response, 3).starts_with("limit: ")) << response.body;
  }
  ApiResponse after = call("GET", std::string(kIndividual) + "?after=abc");
  EXPECT_EQ(after.status, 400u);
  EXPECT_EQ(error_message(after, 3), "after: must be a UUID");
  EXPECT_EQ(call("GET", std::string(kIndividual) + "?limit=").status, 400u);  // empty value
}

TEST_F(IndividualEnrollments, DeleteNeedsAnIdFilterAndSomethingToDelete) {
  const std::string a = create("individual-enrollments", by_key_hash(numbered_key_hash(1)))["id"];
  const std::string b = create("individual-enrollments", by_key_hash(numbered_key_hash(2)))["id"];

  ApiResponse everything = call("DELETE", kIndividual);
  EXPECT_EQ(everything.status, 400u);
  EXPECT_EQ(error_message(everything, 3),
            "idFilter required: deleting all individual enrollments is refused");
  EXPECT_EQ(call("DELETE", std::string(kIndividual) + "?limit=1").status, 400u);
  EXPECT_EQ(list(kIndividual).size(), 2u);

  EXPECT_EQ(remove("44444444-4444-4444-8444-444444444444").status, 404u);
  ApiResponse deleted = call("DELETE", std::string(kIndividual) + "?idFilter=" + upper(a) +
                                           "&idFilter=44444444-4444-4444-8444-444444444444");
  ASSERT_EQ(deleted.status, 200u) << deleted.body;
  EXPECT_EQ(json::parse(deleted.body), json({{"count", "1"}}));
  EXPECT_EQ(ids_of(list(kIndividual)), std::vector<std::string>{b});
}

TEST_F(IndividualEnrollments, MethodsTheCollectionAndItemsDoNotServeAre405) {
  ApiResponse put = call("PUT", kIndividual, by_key_hash(numbered_key_hash(1)));
  EXPECT_EQ(put.status, 405u);
  ASSERT_EQ(put.headers.size(), 1u);
  EXPECT_EQ(put.headers[0].second, "GET, POST, DELETE");
  ApiResponse get = call("GET", item("44444444-4444-4444-8444-444444444444"));
  EXPECT_EQ(get.status, 405u);
  // Served under plgd's prefix too.
  EXPECT_EQ(call("GET", std::string("/device-provisioning-service") + kIndividual).status, 200u);
}

ManagementApiOptions two_individual_enrollments() {
  ManagementApiOptions options = options_without_proof();
  options.quotas.individual_enrollments = 2;
  return options;
}

class IndividualEnrollmentQuota : public ApiTest {
 protected:
  IndividualEnrollmentQuota() : ApiTest(two_individual_enrollments()) {
    add_hubs(kAlice);
    add_hubs(kBob);
  }
};

TEST_F(IndividualEnrollmentQuota, AnOwnerHoldsAtMostTheQuota) {
  const std::string first =
      create("individual-enrollments", by_key_hash(numbered_key_hash(1)))["id"];
  create("individual-enrollments", by_key_hash(numbered_key_hash(2)));
  ApiResponse third = call("POST", kIndividual, by_key_hash(numbered_key_hash(3)));
  EXPECT_EQ(third.status, 409u);
  const std::string message = error_message(third, 6);
  EXPECT_NE(message.find("apis.http.quotas.individualEnrollments"), std::string::npos) << message;
  EXPECT_EQ(list(kIndividual).size(), 2u);

  // Per owner: Bob has his own two; and a PUT adds nothing.
  EXPECT_EQ(call("POST", kIndividual, by_key_hash(numbered_key_hash(3)), kBob).status, 200u);
  EXPECT_EQ(
      call("PUT", std::string(kIndividual) + "/" + first, by_key_hash(numbered_key_hash(4))).status,
      200u);
  // Deleting one makes room again.
  ASSERT_EQ(call("DELETE", std::string(kIndividual) + "?idFilter=" + first).status, 200u);
  EXPECT_EQ(call("POST", kIndividual, by_key_hash(numbered_key_hash(5))).status, 200u);
}

// --- TPM devices: enrolled by their endorsement key ---------------------------------------------

namespace {

// The EK's TPM2B_PUBLIC as `tpm2_createek -u` writes it, in the data: URI JSON carries it in.
std::string ek_data_uri(const tpm::PublicArea& ek) {
  const tpm::Bytes wrapped = tpm::wrap_tpm2b_public(ek.bytes);
  return encode_data_uri(std::string(wrapped.begin(), wrapped.end()));
}

json by_endorsement_key(const std::string& endorsement_key) {
  return {{"attestationMechanism", {{"tpm", {{"endorsementKey", endorsement_key}}}}},
          {"hubIds", {kHubA}}};
}

}  // namespace

TEST_F(IndividualEnrollments, TpmEndorsementKeyAsTpm2bPublicOrPemNamesOneDevice) {
  for (const auto type : {test::KeyType::Rsa2048, test::KeyType::P256}) {
    const auto key = test::make_key(type);
    auto ek = tpm::make_ek_public(key.get());
    ASSERT_TRUE(ek) << ek.error().internal;
    auto key_hash = tpm::spki_sha256_hex(key.get());
    ASSERT_TRUE(key_hash);
    const std::string hash = *key_hash;

    const json created = create("individual-enrollments", by_endorsement_key(ek_data_uri(*ek)));
    EXPECT_EQ(created["attestationMechanism"]["publicKeySha256"], hash);
    EXPECT_EQ(created["attestationMechanism"]["tpm"]["endorsementKey"], ek_data_uri(*ek));
    EXPECT_FALSE(created["attestationMechanism"].contains("x509"));
    // The answer, sent back, is a valid update (publicKeySha256 matches the EK).
    EXPECT_EQ(call("PUT", item(created["id"]), created).status, 200u);

    // The same EK as PEM is the same device: one enrollment per EK, whoever asks.
    const json as_pem = by_endorsement_key(test::public_key_pem(key.get()));
    for (const std::string owner : {kAlice, kBob}) {
      ApiResponse taken = call("POST", kIndividual, as_pem, owner);
      EXPECT_EQ(taken.status, 409u) << owner;
      EXPECT_EQ(taken.body.find(std::string(created["id"])), std::string::npos) << taken.body;
    }
    ASSERT_EQ(remove(created["id"]).status, 200u);
    const json by_pem = create("individual-enrollments", as_pem);
    EXPECT_EQ(by_pem["attestationMechanism"]["publicKeySha256"], hash);
    ASSERT_EQ(remove(by_pem["id"]).status, 200u);
  }
}

TEST_F(IndividualEnrollments, WhatIsNoEndorsementKeyIs400NamingTheField) {
  const auto key = test::make_key(test::KeyType::P256);
  auto ek = tpm::make_ek_public(key.get());
  auto ak = tpm::make_ak_public(key.get());
  ASSERT_TRUE(ek && ak);
  const std::string field = "attestationMechanism.tpm.endorsementKey: ";
  const auto refused = [&](const json& body) {
    ApiResponse response = call("POST", kIndividual, body);
    EXPECT_EQ(response.status, 400u) << response.body;
    return error_message(response, 3);
  };

  // A signing key (an AK) is not an EK: MakeCredential under it would protect nothing.
  EXPECT_EQ(refused(by_endorsement_key(ek_data_uri(*ak))), field + "EK: decrypt is not set");
  // Truncated: the parser names where it ran out.
  std::string truncated = ek_data_uri(*ek);
  const tpm::Bytes wrapped = tpm::wrap_tpm2b_public(ek->bytes);
  truncated = encode_data_uri(std::string(wrapped.begin(), wrapped.end() - 5));
  EXPECT_EQ(refused(by_endorsement_key(truncated)).rfind(field, 0), 0u);
  // Not PEM and not a data: URI.
  EXPECT_EQ(refused(by_endorsement_key("AToAAQALAAMAsgAg")).rfind(field, 0), 0u);
  // An EK and a device key at once, or a hash that is not the EK's.
  json both = by_endorsement_key(ek_data_uri(*ek));
  both["attestationMechanism"]["publicKey"] = test::public_key_pem(key.get());
  EXPECT_EQ(refused(both),
            "attestationMechanism: give only one of x509.certificate, publicKey "
            "and tpm.endorsementKey (each names the device)");
  json wrong_hash = by_endorsement_key(ek_data_uri(*ek));
  wrong_hash["attestationMechanism"]["publicKeySha256"] = std::string(64, 'a');
  EXPECT_EQ(refused(wrong_hash)
                .rfind("attestationMechanism.publicKeySha256: is not the hash of "
                       "the given tpm.endorsementKey's key",
                       0),
            0u);
  EXPECT_TRUE(list(kIndividual).empty());
}

}  // namespace
}  // namespace dps::api::testing
