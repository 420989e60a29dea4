// POST /api/v1/explain and `dpsctl explain` against a running dps: which of the caller's
// enrollments would admit a device certificate, and why (a group, an individual enrollment over
// the group, overlapping groups; refused for no group, disabled, revoked, expired, no clientAuth,
// a namesake CA), each verdict held against what the device side really does; an identity
// certificate dps issued, a TPM individual enrollment naming the leaf's key, config-file groups
// whose trust does not load and more groups than one explanation evaluates; bad bodies; and,
// owner B hostile, tenancy: B's answer for owner A's device is the same byte for byte whether A
// enrolled it or not, and nothing B holds changes or shows in A's answer.
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <sstream>

#include "pki/x509_util.hpp"
#include "support/api_fixture.hpp"

namespace dps::itest {
// Named: other integration test files have file-local helpers and may share a unity batch.
namespace api_explain {
namespace {

using nlohmann::json;

constexpr const char* kExplainPath = "/api/v1/explain";
constexpr const char* kIndividualsPath = "/api/v1/individual-enrollments";

std::string describe(const ProcessOutput& out) {
  return "exit " + std::to_string(out.exit_code) + "\nstdout: " + out.out + "\nstderr: " + out.err;
}

/// RFC 4648 base64, what a `data:;base64,` URI carries.
std::string base64_of(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

/// The PEM SubjectPublicKeyInfo of `cert`'s key ("PUBLIC KEY"), as an EK is enrolled.
std::string public_key_pem(X509* cert) {
  pki::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), X509_get0_pubkey(cert)) != 1) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

/// The value beside `key` in dpsctl's key/value lines ("" when there is no such line).
std::string detail_of(const std::string& text, const std::string& key) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(key + " ", 0) != 0) continue;
    const auto value = line.find_first_not_of(' ', key.size());
    return value == std::string::npos ? "" : line.substr(value);
  }
  return "";
}

class ApiExplain : public ApiTest {
 protected:
  HttpAnswer explain_as(const std::string& owner, const std::string& chain_pem,
                        const std::string& path = kExplainPath) const {
    return call(Verb::post, path, token_of(owner), json{{"certificateChain", chain_pem}}.dump());
  }

  /// The answer for `owner`, expecting 200.
  json explained(const std::string& owner, const std::string& chain_pem) const {
    const auto answer = explain_as(owner, chain_pem);
    EXPECT_EQ(answer.status, 200u) << answer.body;
    return answer.object();
  }

  /// What a device of api_mfg_ sends: its leaf, then the intermediate.
  std::string sent_by(const test::TestCert& leaf) const {
    return leaf.cert_pem() + api_mfg_.intermediate.cert_pem();
  }

  /// kApiHub (if not yet) and a group of api_mfg_ named `name` for `owner`; its id.
  std::string enroll_group(const std::string& owner, const std::string& name,
                           const json& extra = json::object()) {
    if (list(kHubsPath, token_of(owner)).empty()) create(kHubsPath, hub_body(kApiHub), owner);
    json body = group_body(kApiHub);
    body["name"] = name;
    body.update(extra);
    return create(kGroupsPath, body, owner).value("id", "");
  }

  std::string enroll_individual(const std::string& owner, const test::TestCert& leaf,
                                const std::string& name, bool disabled) {
    json body{{"name", name},
              {"attestationMechanism", {{"x509", {{"certificate", leaf.cert_pem()}}}}},
              {"disabled", disabled}};
    if (!disabled) {
      if (list(kHubsPath, token_of(owner)).empty()) create(kHubsPath, hub_body(kApiHub), owner);
      body["hubIds"] = {kApiHub};
    }
    return create(kIndividualsPath, body, owner).value("id", "");
  }

  /// A leaf of api_mfg_'s intermediate with `options` (its CN made unique).
  test::TestCert leaf_with(test::LeafOptions options) const {
    return test::make_leaf(api_mfg_.intermediate, options);
  }

  /// The answer's candidate `id` (null when not listed).
  static json candidate(const json& answer, const std::string& id) {
    for (const auto& c : answer.value("candidates", json::array())) {
      if (c.value("id", "") == id) return c;
    }
    return nullptr;
  }

  /// Expects a refusal `word` whose candidates and reason are as the device side's verdict: the
  /// device presenting `leaf` (+ the intermediate) is refused at its handshake too.
  json expect_refused(const test::TestCert& leaf, const std::string& word) {
    const json answer = explained(kOwnerA, sent_by(leaf));
    EXPECT_EQ(answer.value("admitted", true), false) << answer.dump(2);
    EXPECT_EQ(answer.value("refusal", ""), word) << answer.dump(2);
    EXPECT_FALSE(answer.contains("enrollment")) << answer.dump(2);
    EXPECT_NE(answer.value("reason", "").find("Only your own enrollments were considered"),
              std::string::npos)
        << answer.dump(2);
    std::string why;
    EXPECT_TRUE(handshake_refused(tls_for(leaf, &api_mfg_.intermediate), &why))
        << "explain says " << word << ", the device side admits it";
    return answer;
  }
};

TEST_F(ApiExplain, AGroupAdmitsTheDeviceAndIsNamedWithoutAnythingProvisioned) {
  const std::string group = enroll_group(kOwnerA, "line A");
  const test::TestCert leaf = api_mfg_leaf("itest explain device");
  const json answer = explained(kOwnerA, sent_by(leaf));
  EXPECT_EQ(answer.value("admitted", false), true) << answer.dump(2);
  EXPECT_EQ(answer["enrollment"],
            json({{"kind", "enrollmentGroup"}, {"id", group}, {"name", "line A"}}));
  EXPECT_EQ(answer.value("scope", ""), "owner");
  EXPECT_FALSE(answer.contains("refusal")) << answer.dump(2);
  EXPECT_FALSE(answer.contains("overlapping")) << answer.dump(2);
  EXPECT_NE(answer.value("reason", "").find(group), std::string::npos) << answer.dump(2);
  EXPECT_NE(answer.value("reason", "").find("lead certificate \"itest api mfg intermediate\""),
            std::string::npos)
      << answer.dump(2);
  const json& cert = answer["certificate"];
  EXPECT_EQ(cert.value("commonName", ""), "itest explain device");
  EXPECT_EQ(cert.value("subject", ""), "CN=itest explain device");
  EXPECT_EQ(cert.value("issuer", ""), "CN=itest api mfg intermediate");
  EXPECT_EQ(cert.value("serialNumber", ""), pki::serial_hex(leaf.get()));
  EXPECT_EQ(cert.value("publicKeySha256", ""), pki::spki_sha256_hex(leaf.get()));
  EXPECT_EQ(cert["extendedKeyUsage"], json({"clientAuth", "serverAuth"}));
  EXPECT_TRUE(cert.value("notBefore", "").ends_with("Z")) << cert.dump();
  ASSERT_EQ(answer["candidates"].size(), 1u) << answer.dump(2);
  EXPECT_EQ(answer["candidates"][0].value("admits", false), true);

  // Only the leaf (the group holds the intermediate), as a data: URI, under plgd's prefix: the
  // same verdict.
  EXPECT_EQ(explained(kOwnerA, leaf.cert_pem())["enrollment"], answer["enrollment"]);
  const auto data_uri =
      call(Verb::post, std::string(kPlgdPrefix) + kExplainPath, token_of(kOwnerA),
           json{{"certificateChain", "data:;base64," + base64_of(leaf.cert_pem())}}.dump());
  EXPECT_EQ(data_uri.status, 200u) << data_uri.body;
  EXPECT_EQ(data_uri.object()["enrollment"], answer["enrollment"]) << data_uri.body;

  // Nothing was provisioned or recorded; the device side agrees.
  EXPECT_TRUE(list(kRecordsPath, token_of(kOwnerA)).empty());
  const auto device = provision(tls_for(leaf, &api_mfg_.intermediate));
  ASSERT_TRUE(device.ok) << device.error;
  const auto records = list(kRecordsPath, token_of(kOwnerA));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].value("enrollmentGroupId", ""), group);
}

TEST_F(ApiExplain, AnIndividualEnrollmentOfTheOwnerWinsOverItsGroupAndDisabledRefuses) {
  const std::string group = enroll_group(kOwnerA, "line A");
  const test::TestCert own = api_mfg_leaf("itest explain individually");
  const std::string individual = enroll_individual(kOwnerA, own, "one lamp", false);
  const json admitted = explained(kOwnerA, sent_by(own));
  EXPECT_EQ(admitted.value("admitted", false), true) << admitted.dump(2);
  EXPECT_EQ(admitted["enrollment"],
            json({{"kind", "individualEnrollment"}, {"id", individual}, {"name", "one lamp"}}));
  EXPECT_EQ(admitted["overlapping"], json({group})) << admitted.dump(2);
  EXPECT_EQ(candidate(admitted, group).value("admits", false), true) << admitted.dump(2);
  EXPECT_EQ(candidate(admitted, individual).value("kind", ""), "individualEnrollment");
  EXPECT_NE(admitted.value("reason", "").find("Only your own enrollments"), std::string::npos);
  const auto device = provision(tls_for(own, &api_mfg_.intermediate));
  ASSERT_TRUE(device.ok) << device.error;
  EXPECT_EQ(list(kRecordsPath, token_of(kOwnerA)).at(0).value("individualEnrollmentId", ""),
            individual);

  const test::TestCert denied = api_mfg_leaf("itest explain denied");
  const std::string disabled = enroll_individual(kOwnerA, denied, "stolen lamp", true);
  const json refused = expect_refused(denied, "disabled");
  EXPECT_EQ(refused["refusedBy"],
            json({{"kind", "individualEnrollment"}, {"id", disabled}, {"name", "stolen lamp"}}));
  EXPECT_NE(refused.value("reason", "").find(group), std::string::npos)
      << "says which group would admit it: " << refused.dump(2);
}

TEST_F(ApiExplain, RefusalsSayWhyAsTheDeviceSideRefuses) {
  {
    SCOPED_TRACE("no group: nobody enrolled the manufacturer");
    const json answer = expect_refused(api_mfg_leaf("itest explain unknown"), "noGroup");
    EXPECT_EQ(answer["candidates"], json::array());
    EXPECT_NE(answer.value("reason", "").find("\"itest api mfg intermediate\""), std::string::npos)
        << answer.dump(2);
  }
  const std::string group = enroll_group(kOwnerA, "line A");
  {
    SCOPED_TRACE("a namesake CA: led by the issuer's name, but not its key");
    const Manufacturer namesake = make_manufacturer("itest api mfg");
    const test::TestCert forged = test::make_leaf(namesake.intermediate);
    const json answer = explained(kOwnerA, forged.cert_pem() + namesake.intermediate.cert_pem());
    EXPECT_EQ(answer.value("refusal", ""), "notVerified") << answer.dump(2);
    EXPECT_FALSE(answer.contains("refusedBy")) << "not its device: " << answer.dump(2);
    EXPECT_EQ(candidate(answer, group).value("admits", true), false) << answer.dump(2);
    EXPECT_TRUE(handshake_refused(tls_for(forged, &namesake.intermediate)));
  }
  {
    SCOPED_TRACE("no clientAuth");
    test::LeafOptions options;
    options.client_auth_eku = false;
    const test::TestCert server_only = leaf_with(options);
    const json answer = expect_refused(server_only, "wrongExtendedKeyUsage");
    EXPECT_EQ(answer["certificate"]["extendedKeyUsage"], json({"serverAuth"}));
    EXPECT_NE(answer.value("reason", "").find("clientAuth"), std::string::npos);
  }
  {
    SCOPED_TRACE("expired");
    test::LeafOptions options;
    options.validity = {-std::chrono::hours(48), -std::chrono::hours(24)};
    const json answer = expect_refused(leaf_with(options), "expired");
    EXPECT_EQ(answer["refusedBy"].value("id", ""), group) << answer.dump(2);
    EXPECT_NE(answer.value("reason", "").find("expired"), std::string::npos);
  }
  const test::TestCert revoked = api_mfg_leaf("itest explain revoked");
  put_group(group, {{"name", "line A"}, {"revokedCertificates", {pki::serial_hex(revoked.get())}}});
  {
    SCOPED_TRACE("revoked");
    const json answer = expect_refused(revoked, "revoked");
    EXPECT_EQ(answer["refusedBy"],
              json({{"kind", "enrollmentGroup"}, {"id", group}, {"name", "line A"}}));
    EXPECT_NE(answer.value("reason", "").find(pki::serial_hex(revoked.get())), std::string::npos)
        << answer.dump(2);
    // Its sibling is still admitted.
    EXPECT_EQ(
        explained(kOwnerA, sent_by(api_mfg_leaf("itest explain sibling"))).value("admitted", false),
        true);
  }
  put_group(group, {{"name", "line A"}, {"disabled", true}});
  {
    SCOPED_TRACE("disabled");
    const json answer = expect_refused(api_mfg_leaf("itest explain disabled"), "disabled");
    EXPECT_EQ(answer["refusedBy"].value("id", ""), group) << answer.dump(2);
    EXPECT_EQ(candidate(answer, group).value("refusal", ""), "disabled") << answer.dump(2);
  }
}

TEST_F(ApiExplain, OverlappingGroupsNameTheWinnerAndTheOthers) {
  const std::string inner = enroll_group(kOwnerA, "intermediate");
  const std::string outer =
      create(
          kGroupsPath,
          {{"name", "root"},
           {"attestationMechanism", {{"x509", {{"certificateChain", api_mfg_.root.cert_pem()}}}}},
           {"hubIds", {kApiHub}},
           {"allowOverlap", true}},
          kOwnerA)
          .value("id", "");
  const test::TestCert leaf = api_mfg_leaf("itest explain nested");
  const json answer = explained(kOwnerA, sent_by(leaf));
  EXPECT_EQ(answer.value("admitted", false), true) << answer.dump(2);
  EXPECT_EQ(answer["enrollment"].value("id", ""), inner) << "the most specific: " << answer.dump(2);
  EXPECT_EQ(answer["overlapping"], json({outer})) << answer.dump(2);
  EXPECT_NE(answer.value("reason", "").find("most specific"), std::string::npos);
  EXPECT_EQ(answer["candidates"].size(), 2u) << answer.dump(2);
  const auto device = provision(tls_for(leaf, &api_mfg_.intermediate));
  ASSERT_TRUE(device.ok) << device.error;
  EXPECT_EQ(list(kRecordsPath, token_of(kOwnerA)).at(0).value("enrollmentGroupId", ""), inner);

  // Disabling the inner group leaves the outer one admitting the device: said so.
  put_group(inner, {{"name", "intermediate"}, {"disabled", true}});
  const json after = explained(kOwnerA, sent_by(leaf));
  EXPECT_EQ(after.value("admitted", false), true) << after.dump(2);
  EXPECT_EQ(after["enrollment"].value("id", ""), outer) << after.dump(2);
  EXPECT_NE(after.value("reason", "").find("disabled enrollment group(s) " + inner),
            std::string::npos)
      << after.dump(2);
  EXPECT_EQ(candidate(after, inner).value("refusal", ""), "disabled");
}

TEST_F(ApiExplain, BadBodiesAreRefusedNamingTheField) {
  const std::string token = token_of(kOwnerA);
  const auto post = [&](const std::string& body, const std::string& target = kExplainPath) {
    return call(Verb::post, target, token, body);
  };
  const auto chain_of = [](const std::string& pem) {
    return json{{"certificateChain", pem}}.dump();
  };
  EXPECT_TRUE(is_api_error(post("{}"), 400, 3, "certificateChain: required"));
  EXPECT_TRUE(is_api_error(post(""), 400, 3, "body"));
  EXPECT_TRUE(is_api_error(post(chain_of("")), 400, 3, "certificateChain: required"));
  EXPECT_TRUE(is_api_error(post("[1"), 400, 3, "body: not valid JSON"));
  EXPECT_TRUE(is_api_error(post(R"({"certificateChain": 7})"), 400, 3, "certificateChain"));
  EXPECT_TRUE(is_api_error(post(chain_of("hello")), 400, 3,
                           "certificateChain: expected PEM text or a data: URI"));
  EXPECT_TRUE(is_api_error(post(chain_of("/etc/passwd")), 400, 3, "file paths are not accepted"));
  EXPECT_TRUE(is_api_error(
      post(chain_of("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")),
      400, 3, "certificateChain: certificate PEM does not parse"));
  EXPECT_TRUE(is_api_error(post(chain_of(api_mfg_.device.key_pem())), 400, 3,
                           "certificateChain: no PEM certificate found"));
  json unknown = json::parse(chain_of(api_mfg_.device.cert_pem()));
  unknown["deviceId"] = "x";
  EXPECT_TRUE(is_api_error(post(unknown.dump()), 400, 3, "unknown field \"deviceId\""));
  std::string eleven;
  for (int i = 0; i < 11; ++i) eleven += api_mfg_.device.cert_pem();
  EXPECT_TRUE(is_api_error(post(chain_of(eleven)), 400, 3, "certificateChain: 11 certificates"));
  // Counted before any is parsed: eleven blocks that would not parse are refused for their
  // number, not for their content.
  std::string eleven_unparsable;
  for (int i = 0; i < 11; ++i) {
    eleven_unparsable +=
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
  }
  EXPECT_TRUE(is_api_error(post(chain_of(eleven_unparsable)), 400, 3,
                           "certificateChain: 11 certificates; at most 10"));
  EXPECT_TRUE(is_api_error(post(chain_of(std::string(kBodyLimit, 'x'))), 413, 8, ""));
  EXPECT_TRUE(is_api_error(
      post(chain_of(api_mfg_.device.cert_pem()), std::string(kExplainPath) + "?idFilter=x"), 400, 3,
      "unknown query parameter"));
  for (const std::string& path :
       {std::string(kExplainPath), std::string(kPlgdPrefix) + kExplainPath}) {
    const auto get = call(Verb::get, path, token);
    EXPECT_TRUE(is_api_error(get, 405, 12, "not allowed")) << path;
    EXPECT_EQ(get.allow, "POST") << path;
  }
  EXPECT_EQ(call(Verb::post, kExplainPath, "", chain_of(api_mfg_.device.cert_pem())).status, 401u);
}

TEST_F(ApiExplain, OwnerBLearnsNothingOfOwnerAsEnrollmentsNorChangesAsAnswer) {
  const test::TestCert grouped = api_mfg_leaf("itest explain tenant grouped");
  const test::TestCert single = test::make_self_signed_leaf();
  // B's answers before A enrolls anything ...
  const auto before_grouped = explain_as(kOwnerB, sent_by(grouped));
  const auto before_single = explain_as(kOwnerB, single.cert_pem());
  ASSERT_EQ(before_grouped.status, 200u) << before_grouped.body;
  EXPECT_EQ(before_grouped.object().value("refusal", ""), "noGroup") << before_grouped.body;
  EXPECT_EQ(before_single.object().value("refusal", ""), "noGroup") << before_single.body;

  const std::string a_group = enroll_group(kOwnerA, "A secret product line");
  const std::string a_single = enroll_individual(kOwnerA, single, "A secret lamp", false);
  const std::string a_disabled = enroll_individual(
      kOwnerA, api_mfg_leaf("itest explain tenant denied"), "A secret denial", true);
  ASSERT_TRUE(provision(tls_for(grouped, &api_mfg_.intermediate)).ok);
  ASSERT_EQ(explained(kOwnerA, sent_by(grouped)).value("admitted", false), true);
  ASSERT_EQ(explained(kOwnerA, single.cert_pem()).value("admitted", false), true);

  // ... and after: byte for byte the same, naming nothing of A's.
  const auto after_grouped = explain_as(kOwnerB, sent_by(grouped));
  const auto after_single = explain_as(kOwnerB, single.cert_pem());
  EXPECT_EQ(after_grouped.body, before_grouped.body);
  EXPECT_EQ(after_single.body, before_single.body);
  for (const auto* answer : {&after_grouped, &after_single}) {
    for (const std::string& secret : {a_group, a_single, a_disabled, std::string(kOwnerA),
                                      std::string("A secret"), upper(a_group)}) {
      EXPECT_EQ(answer->body.find(secret), std::string::npos) << secret << " in " << answer->body;
    }
  }

  // B's namesake group (another CA with A's lead name), disabled, and B's disabled individual
  // enrollment naming A's device: A's answer and A's device are unchanged, and name neither.
  const Manufacturer namesake = make_manufacturer("itest api mfg");
  create(kHubsPath, hub_body(kApiHub), kOwnerB);
  json b_body = group_body(namesake, {kApiHub});
  b_body["disabled"] = true;
  const std::string b_group = create(kGroupsPath, b_body, kOwnerB).value("id", "");
  const test::TestCert grouped_too = api_mfg_leaf("itest explain tenant grouped too");
  const std::string b_denial = enroll_individual(kOwnerB, grouped_too, "B denial", true);
  const auto a_answer = explain_as(kOwnerA, sent_by(grouped_too));
  ASSERT_EQ(a_answer.status, 200u) << a_answer.body;
  EXPECT_EQ(a_answer.object().value("admitted", false), true) << a_answer.body;
  EXPECT_EQ(a_answer.object()["enrollment"].value("id", ""), a_group) << a_answer.body;
  EXPECT_EQ(a_answer.object()["candidates"].size(), 1u) << a_answer.body;
  for (const std::string& secret : {b_group, b_denial, std::string(kOwnerB)}) {
    EXPECT_EQ(a_answer.body.find(secret), std::string::npos) << secret << " in " << a_answer.body;
  }
  EXPECT_TRUE(provision(tls_for(grouped_too, &api_mfg_.intermediate)).ok);
  // B sees its own denial (its own enrollment), and still nothing of A's.
  const auto b_answer = explain_as(kOwnerB, sent_by(grouped_too));
  EXPECT_EQ(b_answer.object().value("refusal", ""), "disabled") << b_answer.body;
  EXPECT_EQ(b_answer.object()["refusedBy"].value("id", ""), b_denial) << b_answer.body;
  EXPECT_EQ(b_answer.body.find(a_group), std::string::npos) << b_answer.body;
  // The config file's group (owner "1") of mfg_ is no one's but its owner's either.
  const json config_device = explained(kOwnerA, mfg_.device.cert_pem());
  EXPECT_EQ(config_device.value("refusal", ""), "noGroup") << config_device.dump(2);
  EXPECT_EQ(config_device.dump().find(kGroupId), std::string::npos);
}

TEST_F(ApiExplain, AnIdentityCertificateDpsIssuedIsNamedAndNotMatchedAgainstGroups) {
  const std::string group = enroll_group(kOwnerA, "line A");
  const test::TestCert leaf = api_mfg_leaf("itest explain identity");
  const auto device = provision(tls_for(leaf, &api_mfg_.intermediate));
  ASSERT_TRUE(device.ok) << device.error;
  const std::string identity = device.credentials.cert_chain_pem;
  ASSERT_NE(identity.find("BEGIN CERTIFICATE"), std::string::npos);

  const auto a_answer = explain_as(kOwnerA, identity);
  ASSERT_EQ(a_answer.status, 200u) << a_answer.body;
  const json answer = a_answer.object();
  EXPECT_EQ(answer.value("admitted", true), false) << answer.dump(2);
  EXPECT_EQ(answer.value("refusal", ""), "identityCertificate") << answer.dump(2);
  EXPECT_EQ(answer["candidates"], json::array()) << answer.dump(2);
  EXPECT_FALSE(answer.contains("refusedBy")) << answer.dump(2);
  const std::string cn = answer["certificate"].value("commonName", "");
  ASSERT_EQ(cn.rfind("uuid:", 0), 0u) << answer.dump(2);
  const std::string reason = answer.value("reason", "");
  EXPECT_NE(reason.find("identity certificate issued by this dps (to device " + cn.substr(5)),
            std::string::npos)
      << reason;
  EXPECT_NE(reason.find("explain does not evaluate"), std::string::npos) << reason;
  // Nothing of any owner is read: B's answer is the same, byte for byte, and names no group.
  const auto b_answer = explain_as(kOwnerB, identity);
  EXPECT_EQ(b_answer.body, a_answer.body);
  EXPECT_EQ(a_answer.body.find(group), std::string::npos) << a_answer.body;
  // The manufacturer certificate is still explained by the group.
  EXPECT_EQ(explained(kOwnerA, sent_by(leaf))["enrollment"].value("id", ""), group);
}

TEST_F(ApiExplain, ATpmIndividualEnrollmentOfTheLeafsKeyNeitherAdmitsNorRefusesIt) {
  const std::string group = enroll_group(kOwnerA, "line A");
  const test::TestCert leaf = api_mfg_leaf("itest explain tpm key");
  const std::string tpm =
      create(kIndividualsPath,
             {{"name", "a TPM"},
              {"attestationMechanism", {{"tpm", {{"endorsementKey", public_key_pem(leaf.get())}}}}},
              {"hubIds", {kApiHub}}},
             kOwnerA)
          .value("id", "");
  ASSERT_FALSE(tpm.empty());
  const json answer = explained(kOwnerA, sent_by(leaf));
  EXPECT_EQ(answer.value("admitted", false), true) << answer.dump(2);
  EXPECT_EQ(answer["enrollment"].value("id", ""), group) << answer.dump(2);
  const json row = candidate(answer, tpm);
  EXPECT_EQ(row.value("kind", ""), "individualEnrollment") << answer.dump(2);
  EXPECT_EQ(row.value("admits", true), false) << answer.dump(2);
  EXPECT_EQ(row.value("refusal", ""), "tpmAttestationOnly") << answer.dump(2);
  EXPECT_NE(row.value("reason", "").find("TPM attestation only"), std::string::npos)
      << answer.dump(2);
  // The device side agrees: the group admits it.
  const auto device = provision(tls_for(leaf, &api_mfg_.intermediate));
  ASSERT_TRUE(device.ok) << device.error;
  EXPECT_EQ(list(kRecordsPath, token_of(kOwnerA)).at(0).value("enrollmentGroupId", ""), group);
}

TEST_F(ApiExplain, DpsctlExplainPrintsTheVerdictAndExitsByIt) {
  const std::string group = enroll_group(kOwnerA, "line A");
  const test::TestCert leaf = api_mfg_leaf("itest explain dpsctl");
  const auto cert_file = write("explain-device.pem", leaf.cert_pem());
  const auto chain_file = write("explain-chain.pem", api_mfg_.intermediate.cert_pem());
  const auto dpsctl = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = without_dps_environment();
    for (const std::string& arg :
         {std::string("--server"), "https://127.0.0.1:" + std::to_string(dps_->api_port()),
          std::string("--ca"), (spec_.data_dir / "ca.pem").string(), std::string("--token"),
          token_of(kOwnerA)}) {
      argv.push_back(arg);
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv);
  };

  const auto admitted = dpsctl({"explain", cert_file.string(), "--chain", chain_file.string()});
  EXPECT_EQ(admitted.exit_code, 0) << describe(admitted);
  EXPECT_EQ(detail_of(admitted.out, "verdict"), "admitted") << describe(admitted);
  EXPECT_EQ(detail_of(admitted.out, "enrollment"), "enrollment group " + group + " (line A)")
      << describe(admitted);
  EXPECT_EQ(detail_of(admitted.out, "key-sha256"), pki::spki_sha256_hex(leaf.get()));
  EXPECT_NE(admitted.out.find("KIND   ID"), std::string::npos) << describe(admitted);
  EXPECT_NE(admitted.out.find("group  " + group + "  line A  yes"), std::string::npos)
      << describe(admitted);

  const auto as_json = dpsctl({"explain", cert_file.string(), "--json"});
  EXPECT_EQ(as_json.exit_code, 0) << describe(as_json);
  const json answer = json::parse(as_json.out, nullptr, false);
  EXPECT_EQ(answer.value("admitted", false), true) << describe(as_json);
  EXPECT_EQ(answer["enrollment"].value("id", ""), group) << describe(as_json);

  const auto unknown = write("explain-unknown.pem", test::make_self_signed_leaf().cert_pem());
  const auto refused = dpsctl({"explain", unknown.string()});
  EXPECT_EQ(refused.exit_code, 6) << describe(refused);
  EXPECT_EQ(detail_of(refused.out, "verdict"), "refused (noGroup)") << describe(refused);
  EXPECT_EQ(detail_of(refused.out, "refused-by"), "none") << describe(refused);
  EXPECT_NE(refused.err.find("dpsctl: not admitted (noGroup)"), std::string::npos)
      << describe(refused);
  const auto refused_json = dpsctl({"explain", unknown.string(), "--json"});
  EXPECT_EQ(refused_json.exit_code, 6) << describe(refused_json);
  EXPECT_EQ(json::parse(refused_json.out, nullptr, false).value("refusal", ""), "noGroup");

  const auto missing = dpsctl({"explain", (dir_.path() / "nope.pem").string()});
  EXPECT_EQ(missing.exit_code, 2) << describe(missing);
  const auto not_pem = dpsctl({"explain", write("explain-garbage.pem", "garbage").string()});
  EXPECT_EQ(not_pem.exit_code, 1) << describe(not_pem);
  EXPECT_NE(not_pem.err.find("HTTP 400"), std::string::npos) << describe(not_pem);

  std::vector<std::string> help = without_dps_environment();
  help.insert(help.end(), {"explain", "--help"});
  const auto out = run_process(help);
  EXPECT_EQ(out.exit_code, 0) << describe(out);
  for (const char* expected : {"--chain", "Exit codes:", "6  explain"}) {
    EXPECT_NE(out.out.find(expected), std::string::npos) << expected << " in\n" << out.out;
  }
}

/// Owner A's config-file groups (stored without a lead certificate name): one whose chain has no
/// root, so its trust does not load, and more groups led by one issuer name than one explanation
/// evaluates (intermediates of one root sharing their CN, each its own key: the store refuses two
/// groups of one owner with the same lead certificate).
class ApiExplainConfigGroups : public ApiExplain {
 protected:
  static constexpr size_t kCrowd = 65;
  static constexpr const char* kBrokenGroup = "e0e0e0e0-0000-4000-8000-0000000000b1";

  static std::string crowd_group(size_t i) {
    char id[40];
    std::snprintf(id, sizeof id, "e0e0e0e0-0000-4000-8000-%012zx", 0x200 + i);
    return id;
  }

  void configure(DpsConfigSpec& spec) override {
    ApiExplain::configure(spec);
    broken_ = make_manufacturer("itest explain broken");
    crowd_root_ = test::make_root_ca("itest explain crowd root");
    const HubSpec hub{kHubB, {kGatewayB}};
    GroupSpec broken;
    broken.id = kBrokenGroup;
    broken.owner = kOwnerA;
    // The intermediate alone: no self-signed root, so the chain does not build.
    broken.chain_file = write("broken-chain.pem", broken_.intermediate.cert_pem());
    broken.hubs = {hub};
    spec.groups.push_back(broken);
    for (size_t i = 0; i < kCrowd; ++i) {
      crowd_.push_back(test::make_intermediate_ca(crowd_root_, "itest explain crowd intermediate"));
      GroupSpec group;
      group.id = crowd_group(i);
      group.owner = kOwnerA;
      group.chain_file = write("crowd-chain-" + std::to_string(i) + ".pem", crowd_[i].chain_pem());
      group.hubs = {hub};
      spec.groups.push_back(group);
    }
  }

  Manufacturer broken_;
  test::TestCa crowd_root_;
  std::vector<test::TestCa> crowd_;  // the lead of crowd_group(i) at i
};

TEST_F(ApiExplainConfigGroups, AGroupWhoseTrustDoesNotLoadIsNamedInTheRefusal) {
  const test::TestCert leaf = test::make_leaf(broken_.intermediate);
  const json answer = explained(kOwnerA, leaf.cert_pem() + broken_.intermediate.cert_pem());
  EXPECT_EQ(answer.value("admitted", true), false) << answer.dump(2);
  EXPECT_EQ(answer.value("refusal", ""), "noGroup") << answer.dump(2);
  const std::string reason = answer.value("reason", "");
  EXPECT_NE(reason.find(std::string("your enrollment group(s) ") + kBrokenGroup), std::string::npos)
      << reason;
  EXPECT_NE(reason.find("do not load their trust material"), std::string::npos) << reason;
  EXPECT_EQ(reason.find("none of your enrollment groups"), std::string::npos) << reason;
  const json row = candidate(answer, kBrokenGroup);
  EXPECT_EQ(row.value("refusal", ""), "trustNotLoaded") << answer.dump(2);
  EXPECT_NE(row.value("reason", "").find("does not load"), std::string::npos) << answer.dump(2);
  // The device side never tries it either.
  EXPECT_TRUE(handshake_refused(tls_for(leaf, &broken_.intermediate)));
  // Another owner's answer names nothing of A's.
  const auto b_answer = explain_as(kOwnerB, leaf.cert_pem() + broken_.intermediate.cert_pem());
  EXPECT_EQ(b_answer.object().value("refusal", ""), "noGroup") << b_answer.body;
  EXPECT_EQ(b_answer.body.find(kBrokenGroup), std::string::npos) << b_answer.body;
}

TEST_F(ApiExplainConfigGroups, MoreCandidateGroupsThanExplainEvaluatesAnswer409) {
  const test::TestCa& issuer = crowd_.at(kCrowd - 1);
  const test::TestCert leaf = test::make_leaf(issuer);
  const std::string chain = leaf.cert_pem() + issuer.cert_pem();
  EXPECT_TRUE(is_api_error(explain_as(kOwnerA, chain), 409, 6,
                           "65 of your enrollment groups are led by an issuer of this chain; "
                           "explain evaluates at most 64"));
  // The device side tries them all, and the last by id is the one that admits it ...
  const auto device = provision(tls_for(leaf, &issuer));
  ASSERT_TRUE(device.ok) << device.error;
  EXPECT_EQ(list(kRecordsPath, token_of(kOwnerA)).at(0).value("enrollmentGroupId", ""),
            crowd_group(kCrowd - 1));
  // ... and another owner, who holds none of them, gets its own answer.
  const auto b_answer = explain_as(kOwnerB, chain);
  ASSERT_EQ(b_answer.status, 200u) << b_answer.body;
  EXPECT_EQ(b_answer.object().value("refusal", ""), "noGroup") << b_answer.body;
}

}  // namespace
}  // namespace api_explain
}  // namespace dps::itest
