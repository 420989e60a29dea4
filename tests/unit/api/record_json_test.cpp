// Provisioning records as JSON. The default view is checked against plgd's contract field by
// field: every key must be a field of plgd's message at that place with protobuf JSON's type for
// it (device-provisioning-service/pb/provisioningRecords.proto, transcribed below), nothing may
// be null, "", {} or [] (plgd's HTTP gateway drops those), and a full record built from the real
// credentials and ACL payloads must equal what plgd's converters (pb/provisioningRecords.go)
// make of them.
#include "api/record_json.hpp"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>

#include "common/data_uri.hpp"
#include "provisioning/payloads.hpp"
#include "support/test_pki.hpp"

namespace dps::api {
namespace {

using nlohmann::json;

// --- plgd's proto, transcribed ------------------------------------------------------------------

enum class Kind { String, Int64, Int32, Bool, Bytes, Enum, Message };
struct Field {
  Kind kind;
  bool repeated = false;
  std::string type = "";  // the enum's or message's name
};
using Message = std::map<std::string, Field>;

// JSON names are protoc's lowerCamelCase of the proto field names.
const std::map<std::string, Message>& messages() {
  static const std::map<std::string, Message> kMessages{
      {"ProvisioningRecord",
       {{"id", {Kind::String}},
        {"deviceId", {Kind::String}},
        {"enrollmentGroupId", {Kind::String}},
        {"creationDate", {Kind::Int64}},
        {"attestation", {Kind::Message, false, "Attestation"}},
        {"credential", {Kind::Message, false, "CredentialStatus"}},
        {"acl", {Kind::Message, false, "ACLStatus"}},
        {"cloud", {Kind::Message, false, "CloudStatus"}},
        {"ownership", {Kind::Message, false, "OwnershipStatus"}},
        {"plgdTime", {Kind::Message, false, "ProvisionStatus"}},
        {"localEndpoints", {Kind::String, true}},
        {"owner", {Kind::String}}}},
      {"Attestation",
       {{"date", {Kind::Int64}}, {"x509", {Kind::Message, false, "X509Attestation"}}}},
      {"X509Attestation", {{"certificatePem", {Kind::String}}, {"commonName", {Kind::String}}}},
      {"ProvisionStatus",
       {{"date", {Kind::Int64}}, {"coapCode", {Kind::Int32}}, {"errorMessage", {Kind::String}}}},
      {"PreSharedKey", {{"subjectId", {Kind::String}}, {"key", {Kind::String}}}},
      {"CredentialOptionalData",
       {{"data", {Kind::Bytes}},
        {"encoding", {Kind::Enum, false, "CredentialOptionalData.Encoding"}},
        {"isRevoked", {Kind::Bool}}}},
      {"CredentialPrivateData",
       {{"data", {Kind::Bytes}},
        {"encoding", {Kind::Enum, false, "CredentialPrivateData.Encoding"}},
        {"handle", {Kind::Int64}}}},
      {"CredentialPublicData",
       {{"data", {Kind::Bytes}},
        {"encoding", {Kind::Enum, false, "CredentialPublicData.Encoding"}}}},
      {"CredentialRoleID", {{"authority", {Kind::String}}, {"role", {Kind::String}}}},
      {"Credential",
       {{"id", {Kind::Int64}},
        {"type", {Kind::Enum, true, "Credential.CredentialType"}},
        {"subject", {Kind::String}},
        {"usage", {Kind::Enum, false, "Credential.CredentialUsage"}},
        {"supportedRefreshMethods", {Kind::Enum, true, "Credential.CredentialRefreshMethod"}},
        {"optionalData", {Kind::Message, false, "CredentialOptionalData"}},
        {"period", {Kind::String}},
        {"privateData", {Kind::Message, false, "CredentialPrivateData"}},
        {"publicData", {Kind::Message, false, "CredentialPublicData"}},
        {"roleId", {Kind::Message, false, "CredentialRoleID"}}}},
      {"CredentialStatus",
       {{"status", {Kind::Message, false, "ProvisionStatus"}},
        {"identityCertificatePem", {Kind::String}},
        {"preSharedKey", {Kind::Message, false, "PreSharedKey"}},
        {"credentials", {Kind::Message, true, "Credential"}}}},
      {"OwnershipStatus",
       {{"status", {Kind::Message, false, "ProvisionStatus"}}, {"owner", {Kind::String}}}},
      {"AccessControlDeviceSubject", {{"deviceId", {Kind::String}}}},
      {"AccessControlRoleSubject", {{"authority", {Kind::String}}, {"role", {Kind::String}}}},
      {"AccessControlConnectionSubject",
       {{"type", {Kind::Enum, false, "AccessControlConnectionSubject.ConnectionType"}}}},
      {"AccessControlResource",
       {{"href", {Kind::String}},
        {"resourceTypes", {Kind::String, true}},
        {"interfaces", {Kind::String, true}},
        {"wildcard", {Kind::Enum, false, "AccessControlResource.Wildcard"}}}},
      {"AccessControl",
       {{"deviceSubject", {Kind::Message, false, "AccessControlDeviceSubject"}},
        {"roleSubject", {Kind::Message, false, "AccessControlRoleSubject"}},
        {"connectionSubject", {Kind::Message, false, "AccessControlConnectionSubject"}},
        {"permissions", {Kind::Enum, true, "AccessControl.Permission"}},
        {"resources", {Kind::Message, true, "AccessControlResource"}}}},
      {"ACLStatus",
       {{"status", {Kind::Message, false, "ProvisionStatus"}},
        {"accessControlList", {Kind::Message, true, "AccessControl"}}}},
      {"CloudStatus.Gateway", {{"uri", {Kind::String}}, {"id", {Kind::String}}}},
      {"CloudStatus",
       {{"status", {Kind::Message, false, "ProvisionStatus"}},
        {"providerName", {Kind::String}},
        {"gateways", {Kind::Message, true, "CloudStatus.Gateway"}},
        {"selectedGateway", {Kind::Int32}}}},
  };
  return kMessages;
}

const std::map<std::string, std::set<std::string>>& enums() {
  static const std::map<std::string, std::set<std::string>> kEnums{
      {"CredentialOptionalData.Encoding", {"UNKNOWN", "RAW", "JWT", "CWT", "BASE64", "PEM", "DER"}},
      {"CredentialPrivateData.Encoding",
       {"UNKNOWN", "RAW", "JWT", "CWT", "BASE64", "URI", "HANDLE"}},
      {"CredentialPublicData.Encoding",
       {"UNKNOWN", "RAW", "JWT", "CWT", "BASE64", "URI", "PEM", "DER"}},
      {"Credential.CredentialType",
       {"EMPTY", "SYMMETRIC_PAIR_WISE", "SYMMETRIC_GROUP", "ASYMMETRIC_SIGNING",
        "ASYMMETRIC_SIGNING_WITH_CERTIFICATE", "PIN_OR_PASSWORD", "ASYMMETRIC_ENCRYPTION_KEY"}},
      {"Credential.CredentialUsage",
       {"NONE", "TRUST_CA", "CERT", "ROLE_CERT", "MFG_TRUST_CA", "MFG_CERT"}},
      {"Credential.CredentialRefreshMethod",
       {"UNKNOWN", "PROVISION_SERVICE", "KEY_AGREEMENT_PROTOCOL_AND_RANDOM_PIN",
        "KEY_AGREEMENT_PROTOCOL", "KEY_DISTRIBUTION_SERVICE", "PKCS10_REQUEST_TO_CA"}},
      {"AccessControlConnectionSubject.ConnectionType", {"ANON_CLEAR", "AUTH_CRYPT"}},
      {"AccessControlResource.Wildcard",
       {"NONE", "NONCFG_SEC_ENDPOINT", "NONCFG_NONSEC_ENDPOINT", "NONCFG_ALL"}},
      {"AccessControl.Permission", {"CREATE", "READ", "WRITE", "DELETE", "NOTIFY"}},
  };
  return kEnums;
}

std::string conforms(const json& value, const std::string& message, const std::string& where);

// One value of a field (an element, when repeated).
std::string value_conforms(const json& value, const Field& field, const std::string& where) {
  static const std::regex kInt64("-?[0-9]+");
  static const std::regex kBase64("([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?");
  switch (field.kind) {
    case Kind::String:
      return value.is_string() ? "" : where + ": not a string";
    case Kind::Int64:  // protobuf JSON: a decimal string
      return value.is_string() && std::regex_match(value.get<std::string>(), kInt64)
                 ? ""
                 : where + ": int64 not as a decimal string";
    case Kind::Int32:
      return value.is_number_integer() ? "" : where + ": int32 not a JSON integer";
    case Kind::Bool:
      return value.is_boolean() ? "" : where + ": not a boolean";
    case Kind::Bytes:
      return value.is_string() && std::regex_match(value.get<std::string>(), kBase64)
                 ? ""
                 : where + ": bytes not as padded standard base64";
    case Kind::Enum:
      return value.is_string() && enums().at(field.type).contains(value.get<std::string>())
                 ? ""
                 : where + ": not a name of enum " + field.type;
    case Kind::Message:
      return conforms(value, field.type, where);
  }
  return where + ": unknown kind";
}

std::string conforms(const json& value, const std::string& message, const std::string& where) {
  if (!value.is_object()) return where + ": " + message + " not an object";
  if (value.empty()) return where + ": {} (plgd drops empty objects)";
  const Message& fields = messages().at(message);
  for (const auto& [key, item] : value.items()) {
    const std::string at = where + "." + key;
    auto field = fields.find(key);
    if (field == fields.end()) return at + ": no such field in plgd's " + message;
    if (item.is_null() || (item.is_string() && item.get<std::string>().empty()) ||
        (item.is_array() && item.empty())) {
      return at + ": null, \"\" or [] (plgd drops those)";
    }
    if (field->second.repeated != item.is_array()) return at + ": repeated-ness differs";
    if (!item.is_array()) {
      if (auto why = value_conforms(item, field->second, at); !why.empty()) return why;
      continue;
    }
    for (size_t i = 0; i < item.size(); ++i) {
      const std::string element = at + "[" + std::to_string(i) + "]";
      if (auto why = value_conforms(item[i], field->second, element); !why.empty()) return why;
    }
  }
  return {};
}

// --- records ------------------------------------------------------------------------------------

constexpr const char* kOwner = "44444444-4444-4444-8444-444444444444";
constexpr const char* kDevice = "55555555-5555-4555-8555-555555555555";
constexpr const char* kHub = "11111111-1111-4111-8111-111111111111";
constexpr const char* kPsk = "0123456789abcdef";

struct Pems {
  test::TestCa root = test::make_root_ca("Record Root");
  test::TestCa intermediate = test::make_intermediate_ca(root, "Record Intermediate");
  static const Pems& get() {
    static const Pems pems;
    return pems;
  }
};

std::string base64(const std::string& text) {
  return encode_data_uri(text).substr(std::string("data:;base64,").size());
}

// Every section, with the credentials and ACEs the real steps send and record.
store::ProvisioningRecord full_record() {
  const Pems& pems = Pems::get();
  store::ProvisioningRecord record{.id = "66666666-6666-4666-8666-666666666666",
                                   .device_id = kDevice,
                                   .enrollment_group_id = "77777777-7777-4777-8777-777777777777",
                                   .owner = "alice",
                                   .creation_date = 1700000000000000000,
                                   .local_endpoints = {"coaps+tcp://[fe80::1]:5684"}};
  record.attestation = store::AttestationSection{{1, 0, ""}, pems.root.cert_pem(), "dev", {}};
  record.plgd_time = store::PlgdTimeSection{{2, 69, ""}};
  record.ownership = store::OwnershipSection{{3, 69, ""}, kOwner};
  const store::Gateway first{"coaps+tcp://a.example.com:5684", kHub};
  const store::Gateway second{"coaps+tcp://b.example.com:5684", kHub};
  record.cloud = store::CloudSection{{4, 68, ""}, "plgd", {first, second}, second};
  json creds = provisioning::credentials_payload(
      {kOwner, kDevice, pems.intermediate.cert_pem(), pems.root.cert_pem(), kPsk})["creds"];
  for (auto& cred : creds) cred.erase("privatedata");  // as the credentials step records them
  record.credential = store::CredentialSection{
      {5, 68, ""}, "-----BEGIN CERTIFICATE-----", kOwner, kPsk, creds.dump()};
  record.acl = store::AclSection{{6, 132, "not now"},
                                 provisioning::acls_payload(kOwner, {kHub})["aclist2"].dump()};
  return record;
}

json resource(const char* href) {
  return {{"href", href}, {"interfaces", {"*"}}, {"wildcard", "NONE"}};
}
const json kAllResources{{"interfaces", {"*"}}, {"wildcard", "NONCFG_ALL"}};
const json kAllPermissions{"CREATE", "READ", "WRITE", "DELETE", "NOTIFY"};

TEST(RecordJson, FullRecordIsPlgdsProvisioningRecordFieldByField) {
  const json shown = to_json(full_record());
  ASSERT_EQ(conforms(shown, "ProvisioningRecord", "record"), "");
  const Pems& pems = Pems::get();
  const json status4{{"date", "4"}, {"coapCode", 68}};
  const json expected{
      {"id", "66666666-6666-4666-8666-666666666666"},
      {"deviceId", kDevice},
      {"enrollmentGroupId", "77777777-7777-4777-8777-777777777777"},
      {"owner", "alice"},
      {"creationDate", "1700000000000000000"},
      {"localEndpoints", {"coaps+tcp://[fe80::1]:5684"}},
      // plgd's Attestation has no status: the handshake either passed or left no record.
      {"attestation",
       {{"date", "1"},
        {"x509", {{"certificatePem", pems.root.cert_pem()}, {"commonName", "dev"}}}}},
      {"plgdTime", {{"date", "2"}, {"coapCode", 69}}},  // flat: a ProvisionStatus
      {"ownership", {{"status", {{"date", "3"}, {"coapCode", 69}}}, {"owner", kOwner}}},
      {"cloud",
       {{"status", status4},
        {"providerName", "plgd"},
        {"gateways",
         {{{"uri", "coaps+tcp://a.example.com:5684"}, {"id", kHub}},
          {{"uri", "coaps+tcp://b.example.com:5684"}, {"id", kHub}}}},
        {"selectedGateway", 1}}},
      {"credential",
       {{"status", {{"date", "5"}, {"coapCode", 68}}},
        {"identityCertificatePem", "-----BEGIN CERTIFICATE-----"},
        {"preSharedKey", {{"subjectId", kOwner}, {"key", kPsk}}},
        {"credentials",
         {{{"id", "0"}, {"type", {"SYMMETRIC_PAIR_WISE"}}, {"subject", kOwner}, {"usage", "NONE"}},
          {{"id", "0"},
           {"type", {"ASYMMETRIC_SIGNING_WITH_CERTIFICATE"}},
           {"subject", kDevice},
           {"usage", "CERT"},
           {"publicData", {{"data", base64(pems.intermediate.cert_pem())}, {"encoding", "PEM"}}}},
          {{"id", "0"},
           {"type", {"ASYMMETRIC_SIGNING_WITH_CERTIFICATE"}},
           {"subject", kOwner},
           {"usage", "TRUST_CA"},
           {"publicData", {{"data", base64(pems.root.cert_pem())}, {"encoding", "PEM"}}}}}}}},
      {"acl",
       {{"status", {{"date", "6"}, {"coapCode", 132}, {"errorMessage", "not now"}}},
        {"accessControlList",
         {{{"deviceSubject", {{"deviceId", kOwner}}},
           {"permissions", kAllPermissions},
           {"resources",
            {resource("/CoapCloudConfResURI"), resource("/oic/sec/sp"),
             resource("/x.plgd.dev/time"), resource("/oc/con"), resource("/oc/swu"),
             resource("/oic/mnt"), kAllResources}}},
          {{"connectionSubject", {{"type", "ANON_CLEAR"}}},
           {"permissions", {"READ"}},
           {"resources",
            {resource("/oic/d"), resource("/oic/p"), resource("/oic/res"), resource("/oic/sec/sdi"),
             resource("/oic/sec/doxm")}}},
          {{"deviceSubject", {{"deviceId", kHub}}},
           {"permissions", kAllPermissions},
           {"resources",
            {resource("/oc/con"), resource("/oc/swu"), resource("/oic/mnt"),
             resource("/x.plgd.dev/time"), kAllResources}}}}}}},
  };
  EXPECT_EQ(shown, expected) << shown.dump(2);
  // bytes fields read back as the PEM (independent of the encoder: the data: URI decoder).
  const auto chain = decode_data_uri(
      "data:;base64," +
      shown["credential"]["credentials"][1]["publicData"]["data"].get<std::string>());
  ASSERT_TRUE(chain);
  EXPECT_EQ(*chain, pems.intermediate.cert_pem());
}

TEST(RecordJson, SelectedGatewayIsTheIndexOfTheGatewayTheDeviceWasSentToOrMinusOne) {
  store::ProvisioningRecord record = full_record();
  auto& cloud = *record.cloud;
  cloud.selected_gateway = cloud.gateways[0];
  EXPECT_EQ(to_json(record)["cloud"]["selectedGateway"], 0);  // plgd prints the zero too
  cloud.selected_gateway = store::Gateway{"coaps+tcp://gone.example.com:5684", kHub};
  EXPECT_EQ(to_json(record)["cloud"]["selectedGateway"], -1);
  cloud.selected_gateway.reset();
  cloud.gateways.clear();
  cloud.status = {9, 0, "cannot get token"};
  const json shown = to_json(record)["cloud"];
  EXPECT_EQ(
      shown,
      (json{{"status", {{"date", "9"}, {"coapCode", 0}, {"errorMessage", "cannot get token"}}},
            {"providerName", "plgd"},
            {"selectedGateway", -1}}));
}

TEST(RecordJson, EveryOcfCredentialFieldMapsToPlgdsCredentialAndPrivateDataNeverShows) {
  const json ocf = json::array(
      {{{"credid", 3},
        {"credtype", 9},
        {"subjectuuid", kDevice},
        {"credusage", "oic.sec.cred.rolecert"},
        {"crms", {"oic.sec.crm.pk10", "oic.sec.crm.psk", "x.bogus"}},
        {"optionaldata",
         {{"data", "rev"}, {"encoding", "oic.sec.encoding.der"}, {"revstat", true}}},
        {"period", "20240101T000000Z/P1D"},
        {"privatedata", {{"data", "TOPSECRETBYTES"}, {"encoding", "oic.sec.encoding.raw"}}},
        {"publicdata",
         {{"data", {{"bytes", {1, 2, 255}}, {"subtype", nullptr}}},
          {"encoding", "oic.sec.encoding.raw"}}},
        {"roleid", {{"authority", "corp"}, {"role", "admin"}}},
        {"tag", "dps"}},
       {{"credtype", 0}, {"credusage", "oic.sec.cred.weird"}, {"publicdata", {{"encoding", "x"}}}},
       "not an object"});
  store::ProvisioningRecord record{.id = "r", .creation_date = 1};
  record.credential = store::CredentialSection{{1, 68, ""}, "", "", "", ocf.dump()};
  const json shown = to_json(record);
  ASSERT_EQ(conforms(shown, "ProvisioningRecord", "record"), "");
  EXPECT_EQ(shown["credential"]["credentials"],
            (json{{{"id", "3"},
                   {"type", {"SYMMETRIC_PAIR_WISE", "ASYMMETRIC_SIGNING_WITH_CERTIFICATE"}},
                   {"subject", kDevice},
                   {"usage", "ROLE_CERT"},
                   {"supportedRefreshMethods",
                    {"PKCS10_REQUEST_TO_CA", "KEY_AGREEMENT_PROTOCOL_AND_RANDOM_PIN", "UNKNOWN"}},
                   {"optionalData", {{"data", "cmV2"}, {"encoding", "DER"}, {"isRevoked", true}}},
                   {"period", "20240101T000000Z/P1D"},
                   {"publicData", {{"data", "AQL/"}, {"encoding", "RAW"}}},
                   {"roleId", {{"authority", "corp"}, {"role", "admin"}}}},
                  {{"id", "0"}, {"usage", "NONE"}, {"publicData", {{"encoding", "UNKNOWN"}}}}}));
  const std::string text = shown.dump();
  EXPECT_EQ(text.find("privateData"), std::string::npos);
  EXPECT_EQ(text.find("TOPSECRETBYTES"), std::string::npos);
  EXPECT_EQ(text.find(base64("TOPSECRETBYTES")), std::string::npos);
}

TEST(RecordJson, EveryOcfAceFieldMapsToPlgdsAccessControl) {
  const json ocf = json::array(
      {{{"aceid", 7},
        {"subject", {{"role", "admin"}, {"authority", "corp"}}},
        {"resources",
         {{{"wc", "+"}},
          {{"wc", "-"}, {"if", {"oic.if.baseline"}}},
          {{"href", "/light"}, {"rt", {"oic.r.switch.binary"}}, {"if", {"oic.if.a", ""}}}}},
        {"permission", 6},
        {"tag", "dps"}},
       {{"subject", {{"conntype", "auth-crypt"}}}, {"permission", 0}}});
  store::ProvisioningRecord record{.id = "r", .creation_date = 1};
  record.acl = store::AclSection{{1, 68, ""}, ocf.dump()};
  const json shown = to_json(record);
  ASSERT_EQ(conforms(shown, "ProvisioningRecord", "record"), "");
  EXPECT_EQ(shown["acl"]["accessControlList"],
            (json{{{"roleSubject", {{"authority", "corp"}, {"role", "admin"}}},
                   {"permissions", {"READ", "WRITE"}},
                   {"resources",
                    {{{"wildcard", "NONCFG_SEC_ENDPOINT"}},
                     {{"interfaces", {"oic.if.baseline"}}, {"wildcard", "NONCFG_NONSEC_ENDPOINT"}},
                     {{"href", "/light"},
                      {"resourceTypes", {"oic.r.switch.binary"}},
                      {"interfaces", {"oic.if.a"}},
                      {"wildcard", "NONE"}}}}},
                  {{"connectionSubject", {{"type", "AUTH_CRYPT"}}}}}));
}

TEST(RecordJson, CorruptStoredListsAreLeftOutNotFatal) {
  store::ProvisioningRecord record{.id = "r", .creation_date = 0};
  record.credential = store::CredentialSection{{1, 68, ""}, "", "", "", "{not json"};
  record.acl = store::AclSection{{1, 68, ""}, R"({"an":"object"})"};
  const json shown = to_json(record);
  ASSERT_EQ(conforms(shown, "ProvisioningRecord", "record"), "");
  EXPECT_EQ(shown["creationDate"], "0");  // an int64 zero is printed by plgd's gateway
  EXPECT_FALSE(shown["credential"].contains("credentials"));
  EXPECT_FALSE(shown["acl"].contains("accessControlList"));
}

TEST(RecordJson, OcfViewKeepsDpsShapeWithWhatWasSentToTheDevice) {
  const store::ProvisioningRecord record = full_record();
  const json shown = to_json(record, RecordView::Ocf);
  EXPECT_EQ(shown["plgdTime"], (json{{"status", {{"date", "2"}, {"coapCode", 69}}}}));
  EXPECT_EQ(shown["attestation"]["status"], (json{{"date", "1"}, {"coapCode", 0}}));
  EXPECT_EQ(shown["cloud"]["selectedGateway"],
            (json{{"uri", "coaps+tcp://b.example.com:5684"}, {"id", kHub}}));
  EXPECT_EQ(shown["credential"]["credentials"], json::parse(record.credential->credentials_json));
  EXPECT_EQ(shown["acl"]["accessControlList"], json::parse(record.acl->access_control_list_json));
  EXPECT_EQ(shown["credential"]["preSharedKey"], (json{{"subjectId", kOwner}, {"key", kPsk}}));
  EXPECT_NE(conforms(shown, "ProvisioningRecord", "record"), "");  // not plgd's shape
}

}  // namespace
}  // namespace dps::api
