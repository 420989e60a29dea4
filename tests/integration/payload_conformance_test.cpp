// What the real dps answers, checked field by field against device-protocol §3 (beyond what a
// device itself checks): ACL entries, the token's owner claim, the identity certificate profile
// and the record's sections.
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <set>

#include "pki/uuid.hpp"
#include "pki/x509_util.hpp"
#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

using nlohmann::json;

std::string base64url_decode(std::string in) {
  for (auto& c : in) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (in.size() % 4) in += '=';
  std::string out(in.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  while (!out.empty() && out.back() == '\0') out.pop_back();
  return out;
}

std::set<std::string> hrefs(const json& ace) {
  std::set<std::string> out;
  for (const auto& r : ace["resources"])
    out.insert(r.contains("wc") ? "wc:" + r["wc"].get<std::string>() : r.value("href", ""));
  return out;
}

std::vector<pki::X509Ptr> certs_of(const std::string& pem) {
  std::vector<pki::X509Ptr> out;
  pki::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(c);
  return out;
}

class PayloadConformance : public DpsTest {
 protected:
  void SetUp() override {
    DpsTest::SetUp();
    result_ = provision(default_tls());
    ASSERT_TRUE(result_.ok) << result_.error;
    owner_uuid_ = pki::owner_to_uuid("1");
  }
  json payload(device::Step step) const {
    for (const auto& s : result_.steps) {
      if (s.step == step) return json::parse(s.payload);
    }
    return {};
  }
  device::ProvisionResult result_;
  std::string owner_uuid_;
};

TEST_F(PayloadConformance, AclsGrantOwnerAnonymousAndHubAsSpecified) {
  const json acl = payload(device::Step::Acls);
  const auto& list = acl["aclist2"];
  ASSERT_EQ(list.size(), 3u) << acl.dump();
  EXPECT_EQ(list[0]["subject"], json({{"uuid", owner_uuid_}}));
  EXPECT_EQ(list[0]["permission"], 31);
  EXPECT_EQ(hrefs(list[0]),
            (std::set<std::string>{"/CoapCloudConfResURI", "/oic/sec/sp", "/x.plgd.dev/time",
                                   "/oc/con", "/oc/swu", "/oic/mnt", "wc:*"}));
  EXPECT_EQ(list[1]["subject"], json({{"conntype", "anon-clear"}}));
  EXPECT_EQ(list[1]["permission"], 2);
  EXPECT_EQ(hrefs(list[1]), (std::set<std::string>{"/oic/d", "/oic/p", "/oic/res", "/oic/sec/sdi",
                                                   "/oic/sec/doxm"}));
  EXPECT_EQ(list[2]["subject"], json({{"uuid", kHubA}}));
  EXPECT_EQ(list[2]["permission"], 31);
  EXPECT_EQ(hrefs(list[2]),
            (std::set<std::string>{"/oc/con", "/oc/swu", "/oic/mnt", "/x.plgd.dev/time", "wc:*"}));
  for (const auto& ace : list) {
    for (const auto& r : ace["resources"]) EXPECT_EQ(r["if"], json({"*"})) << r.dump();
  }
}

TEST_F(PayloadConformance, AccessTokenCarriesTheOwnerClaim) {
  const std::string& at = result_.hub.at;
  const auto first = at.find('.');
  const auto second = at.find('.', first + 1);
  ASSERT_NE(second, std::string::npos) << "not a JWT: " << at;
  const auto claims =
      json::parse(base64url_decode(at.substr(first + 1, second - first - 1)), nullptr, false);
  ASSERT_TRUE(claims.is_object()) << at;
  EXPECT_EQ(claims.value("https://plgd.dev/owner", ""), "1") << claims.dump();
  EXPECT_GT(claims.value("exp", 0LL), static_cast<long long>(std::time(nullptr)));
}

TEST_F(PayloadConformance, IdentityCertificateFollowsTheProfile) {
  const auto chain = certs_of(result_.credentials.cert_chain_pem);
  ASSERT_FALSE(chain.empty());
  X509* leaf = chain[0].get();
  EXPECT_EQ(pki::common_name(X509_get_subject_name(leaf)), "uuid:" + result_.device_id);
  const uint32_t ku = X509_get_key_usage(leaf);
  EXPECT_TRUE(ku & KU_DIGITAL_SIGNATURE);
  EXPECT_TRUE(ku & KU_KEY_AGREEMENT);
  const uint32_t eku = X509_get_extended_key_usage(leaf);
  EXPECT_TRUE(eku & XKU_SSL_CLIENT);
  EXPECT_TRUE(eku & XKU_SSL_SERVER);
  bool ocf_identity = false;
  if (auto* ext = static_cast<EXTENDED_KEY_USAGE*>(
          X509_get_ext_d2i(leaf, NID_ext_key_usage, nullptr, nullptr))) {
    for (int i = 0; i < sk_ASN1_OBJECT_num(ext); ++i) {
      char oid[64];
      OBJ_obj2txt(oid, sizeof oid, sk_ASN1_OBJECT_value(ext, i), 1);
      ocf_identity = ocf_identity || std::string(oid) == "1.3.6.1.4.1.44924.1.6";
    }
    EXTENDED_KEY_USAGE_free(ext);
  }
  EXPECT_TRUE(ocf_identity) << "no OCF identity EKU 1.3.6.1.4.1.44924.1.6";
  EXPECT_GE(pki::serial_hex(leaf).size(), 16u) << "serial under 64 bits";
  const auto not_before = pki::to_time_point(X509_get0_notBefore(leaf));
  ASSERT_TRUE(not_before);
  const auto skew = std::chrono::system_clock::now() - std::chrono::hours(1) - *not_before;
  EXPECT_LT(std::chrono::abs(skew), std::chrono::minutes(5)) << "validity should start now - 1 h";
  for (const auto& c : chain) EXPECT_FALSE(pki::is_self_signed(c.get())) << "root in the chain";
  const auto trust = certs_of(result_.credentials.trust_ca_pem);
  ASSERT_EQ(trust.size(), 1u);
  EXPECT_TRUE(pki::is_self_signed(trust[0].get())) << "trustca is not the root";
}

TEST_F(PayloadConformance, RecordHoldsEverySectionsContent) {
  const auto record = record_of(result_.device_id);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->value("id", ""), pki::registration_id(mfg_.device.get()));
  EXPECT_EQ((*record)["attestation"]["x509"].value("commonName", ""), "itest mfg device");
  EXPECT_EQ((*record)["ownership"].value("owner", ""), owner_uuid_);
  EXPECT_EQ((*record)["cloud"].value("providerName", ""), "plgd");
  // plgd's shape: the index of the gateway the device was sent to.
  EXPECT_EQ((*record)["cloud"]["gateways"], json::array({{{"uri", kGatewayA}, {"id", kHubA}}}));
  EXPECT_EQ((*record)["cloud"]["selectedGateway"], 0);
  EXPECT_NE((*record)["credential"].value("identityCertificatePem", "").find("BEGIN CERTIFICATE"),
            std::string::npos);
  EXPECT_EQ((*record)["acl"]["accessControlList"].size(), 3u);
  EXPECT_FALSE(record->dump().find("rowneruuid") != std::string::npos);
}

}  // namespace
}  // namespace dps::itest
