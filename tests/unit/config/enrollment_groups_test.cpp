// enrollmentGroups[] -> EnrollmentGroup + Hub: defaults, hub order, gateway normalization,
// deduplication and the ways file-valued keys can be given.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "temp_dir.hpp"

namespace dps::config {
namespace {

using testing::kChainPem;
using testing::TempDir;

constexpr std::string_view kHubA = "d03a1bb4-0a77-428c-b78c-1c46efe6a38e";
constexpr std::string_view kHubB = "1f2e3d4c-5b6a-4789-8abc-def012345678";
constexpr std::string_view kHubC = "0a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d";

class EnrollmentGroups : public ::testing::Test {
 protected:
  void SetUp() override { dir_.write("chain.pem", kChainPem); }

  Config load(const std::string& yaml) {
    auto loaded = load_text(yaml, dir_.path());
    EXPECT_TRUE(loaded) << loaded.error().internal;
    return loaded ? loaded->config : Config{};
  }

  static std::string hub(std::string_view id_key, std::string_view id,
                         std::string_view gateways = "[hub.example.com:5684]") {
    return "      - " + std::string(id_key) + ": " + std::string(id) +
           "\n        gateways: " + std::string(gateways) +
           "\n        authorization: {ownerClaim: https://plgd.dev/owner}\n";
  }

  static std::string group(std::string_view id, std::string_view body) {
    return "  - id: " + std::string(id) + "\n    owner: \"1\"\n" +
           "    attestationMechanism: {x509: {certificateChain: chain.pem}}\n" + std::string(body);
  }

  TempDir dir_;
};

TEST_F(EnrollmentGroups, HubComesFirstThenHubsInOrder) {
  Config c =
      load("enrollmentGroups:\n" + group("5db6ccde-05e1-480b-a522-c1591ad7dfd2",
                                         "    hubs:\n" + hub("hubID", kHubA) + hub("hubID", kHubB) +
                                             "    hub:\n" + "      hubID: " + std::string(kHubC) +
                                             "\n      gateways: [c:1]\n"
                                             "      authorization: {ownerClaim: o}\n"));
  ASSERT_EQ(c.enrollment_groups.size(), 1u);
  EXPECT_EQ(c.enrollment_groups[0].hub_ids,
            (std::vector<std::string>{std::string(kHubC), std::string(kHubA), std::string(kHubB)}));
  ASSERT_EQ(c.hubs.size(), 3u);
  EXPECT_EQ(c.hubs[0].id, kHubC);
  EXPECT_EQ(c.hubs[1].id, kHubA);
  EXPECT_EQ(c.hubs[2].id, kHubB);
  for (const auto& h : c.hubs) EXPECT_EQ(h.owner, "1");
}

TEST_F(EnrollmentGroups, ATpmGroupTakesAVendorChainInsteadOfX509ButNeverBoth) {
  dir_.write("vendor.pem", kChainPem);
  const std::string tpm =
      "    attestationMechanism: {tpm: {vendorCertificateChain: vendor.pem, "
      "expiredCertificateEnabled: true}}\n";
  std::string yaml =
      "enrollmentGroups:\n  - id: 5db6ccde-05e1-480b-a522-c1591ad7dfd2\n"
      "    owner: \"1\"\n" +
      tpm + "    hubs:\n" + hub("hubID", kHubA);
  Config c = load(yaml);
  ASSERT_EQ(c.enrollment_groups.size(), 1u);
  const store::EnrollmentGroup& group = c.enrollment_groups[0];
  EXPECT_TRUE(group.is_tpm());
  EXPECT_EQ(group.tpm.vendor_certificate_chain, kChainPem);
  EXPECT_TRUE(group.tpm.expired_certificate_enabled);
  EXPECT_EQ(group.x509, store::X509Attestation{});

  // Both kinds in one group: refused naming the key.
  std::string twice =
      "enrollmentGroups:\n  - id: 5db6ccde-05e1-480b-a522-c1591ad7dfd2\n"
      "    owner: \"1\"\n    attestationMechanism:\n"
      "      x509: {certificateChain: chain.pem}\n"
      "      tpm: {vendorCertificateChain: vendor.pem}\n    hubs:\n" +
      hub("hubID", kHubA);
  auto refused = load_text(twice, dir_.path());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().internal,
            "enrollmentGroups[0].attestationMechanism: give x509 (certificate devices) or tpm "
            "(TPM devices), not both");
  // A vendor chain that is no PEM certificate is caught with its key's path.
  dir_.write("vendor.pem", "not pem");
  auto not_pem = load_text(yaml, dir_.path());
  ASSERT_FALSE(not_pem);
  EXPECT_EQ(not_pem.error().internal,
            "enrollmentGroups[0].attestationMechanism.tpm.vendorCertificateChain: no PEM "
            "certificate found");
}

TEST_F(EnrollmentGroups, IdAndHubIdDefaultToEachOther) {
  Config c =
      load("enrollmentGroups:\n" + group("5db6ccde-05e1-480b-a522-c1591ad7dfd2",
                                         "    hubs:\n" + hub("id", kHubA) + hub("hubID", kHubB)));
  ASSERT_EQ(c.hubs.size(), 2u);
  EXPECT_EQ(c.hubs[0].hub_id, kHubA);
  EXPECT_EQ(c.hubs[1].id, kHubB);
  EXPECT_EQ(c.enrollment_groups[0].hub_ids,
            (std::vector<std::string>{std::string(kHubA), std::string(kHubB)}));
}

TEST_F(EnrollmentGroups, NamesDefaultToIds) {
  Config c = load("enrollmentGroups:\n" + group("5db6ccde-05e1-480b-a522-c1591ad7dfd2",
                                                "    hubs:\n" + hub("hubID", kHubA)));
  EXPECT_EQ(c.enrollment_groups[0].name, "5db6ccde-05e1-480b-a522-c1591ad7dfd2");
  EXPECT_EQ(c.hubs[0].name, kHubA);
}

TEST_F(EnrollmentGroups, GatewaysGetCoapsTcpSchemeAndLoseDuplicates) {
  std::string body = "    hubs:\n" +
                     hub("hubID", kHubA,
                         "[hub.example.com:5684, coaps+tcp://hub.example.com:5684, "
                         "coap+tcp://10.0.0.1:5683, coaps://udp.example.com:5684]") +
                     "        coapGateway: \"first.example.com:5684\"\n";
  Config c = load("enrollmentGroups:\n" + group("5db6ccde-05e1-480b-a522-c1591ad7dfd2", body));
  ASSERT_EQ(c.hubs.size(), 1u);
  EXPECT_EQ(c.hubs[0].gateways,
            (std::vector<std::string>{"coaps+tcp://first.example.com:5684",
                                      "coaps+tcp://hub.example.com:5684",
                                      "coap+tcp://10.0.0.1:5683", "coaps://udp.example.com:5684"}));
}

TEST_F(EnrollmentGroups, HubSharedByGroupsIsStoredOnce) {
  Config c =
      load("enrollmentGroups:\n" +
           group("5db6ccde-05e1-480b-a522-c1591ad7dfd2", "    hubs:\n" + hub("hubID", kHubA)) +
           group("6db6ccde-05e1-480b-a522-c1591ad7dfd2",
                 "    hubs:\n" + hub("hubID", kHubB) + hub("hubID", kHubA)));
  ASSERT_EQ(c.enrollment_groups.size(), 2u);
  EXPECT_EQ(c.enrollment_groups[1].hub_ids,
            (std::vector<std::string>{std::string(kHubB), std::string(kHubA)}));
  ASSERT_EQ(c.hubs.size(), 2u);
  EXPECT_EQ(c.hubs[0].id, kHubA);
  EXPECT_EQ(c.hubs[1].id, kHubB);
}

TEST_F(EnrollmentGroups, HubListedTwiceInOneGroupCountsOnce) {
  Config c =
      load("enrollmentGroups:\n" + group("5db6ccde-05e1-480b-a522-c1591ad7dfd2",
                                         "    hubs:\n" + hub("hubID", kHubA) + hub("id", kHubA)));
  EXPECT_EQ(c.enrollment_groups[0].hub_ids, std::vector<std::string>{std::string(kHubA)});
  EXPECT_EQ(c.hubs.size(), 1u);
}

TEST_F(EnrollmentGroups, SecretsFromDataUrisInBothForms) {
  std::string body =
      "    preSharedKeyFile: \"data:;base64,MDEyMzQ1Njc4OWFiY2RlZg==\"\n"
      "    hubs:\n" +
      hub("hubID", kHubA) +
      "        certificateAuthority: {grpc: {address: ca:443, tls: {caPool: "
      "\"data:application/x-pem-file;base64,LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t\"}}}\n";
  std::string yaml = "enrollmentGroups:\n" + group("5db6ccde-05e1-480b-a522-c1591ad7dfd2", body);
  yaml.replace(yaml.find("{ownerClaim: https://plgd.dev/owner}"),
               std::string("{ownerClaim: https://plgd.dev/owner}").size(),
               "{ownerClaim: o, provider: {name: p, authority: https://a, clientID: c, "
               "clientSecretFile: \"data:,s3cr%2Ft%20x\"}}");
  Config c = load(yaml);
  ASSERT_EQ(c.enrollment_groups.size(), 1u);
  EXPECT_EQ(c.enrollment_groups[0].pre_shared_key, "0123456789abcdef");
  ASSERT_EQ(c.hubs.size(), 1u);
  EXPECT_EQ(c.hubs[0].authorization.provider.client_secret, "s3cr/t x");
  EXPECT_EQ(c.hubs[0].certificate_authority.ca_pool, "-----BEGIN CERTIFICATE-----");
}

TEST_F(EnrollmentGroups, ChainAsInlinePemOrDataUri) {
  const std::string pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  for (std::string chain : {std::string("|\n          -----BEGIN CERTIFICATE-----\n"
                                        "          MIIB\n"
                                        "          -----END CERTIFICATE-----\n"),
                            std::string("\"data:;base64,LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1J"
                                        "SUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=\"\n")}) {
    std::string yaml =
        "enrollmentGroups:\n  - id: 5db6ccde-05e1-480b-a522-c1591ad7dfd2\n"
        "    owner: \"1\"\n"
        "    attestationMechanism:\n      x509:\n        certificateChain: " +
        chain + "    hubs:\n" + hub("hubID", kHubA);
    Config c = load(yaml);
    ASSERT_EQ(c.enrollment_groups.size(), 1u) << yaml;
    EXPECT_EQ(c.enrollment_groups[0].x509.certificate_chain, pem);
  }
}

TEST_F(EnrollmentGroups, RelativeFilesResolveAgainstTheConfigDirectory) {
  dir_.write("conf/certs/chain.pem", kChainPem);
  dir_.write("conf/psk", "0123456789abcdef-and-more");
  std::string yaml =
      "enrollmentGroups:\n" + group("5db6ccde-05e1-480b-a522-c1591ad7dfd2",
                                    "    preSharedKeyFile: psk\n    hubs:\n" + hub("hubID", kHubA));
  yaml.replace(yaml.find("chain.pem"), 9, "certs/chain.pem");
  auto from_file = load_file(dir_.write("conf/dps.yaml", yaml));
  ASSERT_TRUE(from_file) << from_file.error().internal;
  EXPECT_EQ(from_file->config.enrollment_groups[0].x509.certificate_chain, kChainPem);
  // Longer keys are kept whole; consumers use the first 16 bytes.
  EXPECT_EQ(from_file->config.enrollment_groups[0].pre_shared_key, "0123456789abcdef-and-more");

  yaml.replace(yaml.find("certs/chain.pem"), 15, "file://" + (dir_.path() / "chain.pem").string());
  auto absolute = load_text(yaml, dir_.path() / "conf");
  ASSERT_TRUE(absolute) << absolute.error().internal;
  EXPECT_EQ(absolute->config.enrollment_groups[0].x509.certificate_chain, kChainPem);
}

TEST_F(EnrollmentGroups, ProviderWithoutAuthorityMeansBuiltInTokens) {
  Config c = load("enrollmentGroups:\n" + group("5db6ccde-05e1-480b-a522-c1591ad7dfd2",
                                                "    hubs:\n" + hub("hubID", kHubA)));
  ASSERT_EQ(c.hubs.size(), 1u);
  EXPECT_EQ(c.hubs[0].authorization.provider.authority, "");
  EXPECT_EQ(c.hubs[0].certificate_authority.address, "");
}

TEST_F(EnrollmentGroups, ReadsDpsExtensions) {
  dir_.write("crl.pem", "-----BEGIN X509 CRL-----\n-----END X509 CRL-----\n");
  std::string yaml =
      "enrollmentGroups:\n  - id: 5db6ccde-05e1-480b-a522-c1591ad7dfd2\n"
      "    owner: \"1\"\n    disabled: true\n"
      "    revokedCertificates: [\"0a1b\", \"ff00\"]\n    crl: crl.pem\n"
      "    attestationMechanism: {x509: {certificateChain: chain.pem, "
      "leadCertificateName: Mfg Intermediate, expiredCertificateEnabled: true}}\n"
      "    hubs:\n" +
      hub("hubID", kHubA);
  Config c = load(yaml);
  ASSERT_EQ(c.enrollment_groups.size(), 1u);
  const auto& eg = c.enrollment_groups[0];
  EXPECT_TRUE(eg.disabled);
  EXPECT_EQ(eg.revoked_certificates, (std::vector<std::string>{"0a1b", "ff00"}));
  EXPECT_EQ(eg.crl, "-----BEGIN X509 CRL-----\n-----END X509 CRL-----\n");
  EXPECT_EQ(eg.x509.lead_certificate_name, "Mfg Intermediate");
  EXPECT_TRUE(eg.x509.expired_certificate_enabled);
}

}  // namespace
}  // namespace dps::config
