// Writes the seed inputs of the fuzz targets into <dir>/<target>/ (normally fuzz/seeds): the
// frames and bodies the real device client sends (src/device/requests.cpp), CSRs, chains and CRLs
// of the test PKI (tests/support/test_pki.hpp), the API bodies of the integration tests
// (ApiTest::hub_body / group_body) and config files rendered as the integration tests render them
// (render_config), in the input format each target documents at its top. Keys and certificates
// are fresh at every run, so re-running changes the seed files; commit the result.
//
//   ninja -C build-dev fuzz_make_seeds && build-dev/fuzz/fuzz_make_seeds fuzz/seeds
#include <openssl/pem.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auth/base64url.hpp"
#include "auth/embedded_token_minter.hpp"
#include "coap/block.hpp"
#include "coap/signaling.hpp"
#include "coap/tcp_framing.hpp"
#include "coap/udp_message.hpp"
#include "common/data_uri.hpp"
#include "device/requests.hpp"
#include "pki/x509_util.hpp"
#include "support/api_fixture.hpp"
#include "support/dps_config.hpp"
#include "support/jwt_test_tokens.hpp"
#include "support/test_pki.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace dps;

// As in cbor_step_body_fuzz.cpp.
constexpr const char* kHubId = "11111111-2222-3333-4444-555555555555";
constexpr const char* kGateway = "coaps+tcp://hub.example.com:5684";
constexpr const char* kDeviceId = "9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d";
constexpr const char* kNilId = "00000000-0000-0000-0000-000000000000";

fs::path g_root;

void write(const std::string& target, const std::string& name, const std::string& bytes) {
  const fs::path dir = g_root / target;
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + (dir / name).string());
}

std::string bytes_of(const std::vector<uint8_t>& v) { return {v.begin(), v.end()}; }
std::string frame(const coap::Message& m) { return bytes_of(coap::encode_frame(m)); }

// Access to the integration tests' request bodies (protected statics of the fixture).
struct Bodies : itest::ApiTest {
  using ApiTest::group_body;
  using ApiTest::hub_body;
};

std::string csr_der(const std::string& pem) {
  pki::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  pki::X509ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  unsigned char* der = nullptr;
  const int n = i2d_X509_REQ(req.get(), &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

void coap_seeds(const std::string& csr) {
  const std::string t = "coap_tcp_framing_fuzz";
  // RFC 8323 ping example; our CSM; a device GET of the ownership resource.
  write(t, "rfc8323_ping", std::string("\x01\xe2\x42", 3));
  write(t, "csm_literal", std::string("\x50\xe1\x23\x00\x04\x80\x20", 7));
  write(t, "csm", frame(coap::make_csm(262144, true)));
  write(t, "ping", frame(coap::make_ping({1, 2, 3, 4, 5})));
  write(t, "abort", frame(coap::make_abort("bad CSM option 4")));
  write(t, "time", frame(device::make_time_request()));
  write(t, "ownership", frame(device::make_ownership_request()));
  write(t, "acls", frame(device::make_acls_request()));
  write(t, "cloud_configuration",
        frame(device::make_cloud_configuration_request(kDeviceId,
                                                       device::Gateway{kGateway, kHubId})));
  write(t, "credentials", frame(device::make_credentials_request(kDeviceId, csr)));
  coap::Message get_res;
  get_res.code = coap::Code::Get;
  get_res.token = {9, 9, 9, 9, 9, 9, 9, 9};
  get_res.set_uri_path("/oic/res");
  get_res.add_string_option(coap::option::kUriQuery, "if=oic.if.ll");
  get_res.add_string_option(coap::option::kUriQuery, "rt=oic.wk.d");
  write(t, "reverse_get_oic_res", frame(get_res));
  write(t, "oic_res_answer",
        frame(device::answer_server_request(get_res, "coaps+tcp://127.0.0.1:5684")));
  // A stream: CSM, then the whole flow's GETs back to back.
  write(t, "stream",
        frame(coap::make_csm(1152, false)) + frame(device::make_time_request()) +
            frame(device::make_ownership_request()));
}

// coap_udp_fuzz.cpp: pass 1 reads the whole input as one datagram, pass 2 as datagrams each
// preceded by a one-byte length.
void coap_udp_seeds(const std::string& csr) {
  const std::string t = "coap_udp_fuzz";
  const auto datagram = [](coap::MessageType type, uint16_t message_id, coap::Message m) {
    return bytes_of(coap::encode_datagram(coap::Datagram{type, message_id, std::move(m)}));
  };
  using coap::MessageType;
  // RFC 7252 Appendix A: CON [0x7d34] GET /temperature and its piggybacked 2.05 "22.3 C".
  coap::Message get;
  get.code = coap::Code::Get;
  get.set_uri_path("/temperature");
  write(t, "rfc7252_get", datagram(MessageType::Confirmable, 0x7d34, get));
  coap::Message content;
  content.code = coap::Code::Content;
  content.payload = {'2', '2', '.', '3', ' ', 'C'};
  write(t, "rfc7252_answer", datagram(MessageType::Acknowledgement, 0x7d34, content));
  write(t, "empty_ack", bytes_of(coap::encode_datagram(coap::make_ack(0x1234))));
  write(t, "reset", bytes_of(coap::encode_datagram(coap::make_reset(0x1234))));
  write(t, "ping", datagram(MessageType::Confirmable, 0x0101, coap::Message{}));
  write(t, "time", datagram(MessageType::Confirmable, 1, device::make_time_request()));
  write(t, "ownership", datagram(MessageType::NonConfirmable, 2, device::make_ownership_request()));
  const coap::Message credentials = device::make_credentials_request(kDeviceId, csr);
  write(t, "credentials", datagram(MessageType::Confirmable, 3, credentials));

  // A large answer sliced for Block2, and the request for its second block.
  coap::Message answer;
  answer.code = coap::Code::Changed;
  answer.token = credentials.token;
  answer.add_uint_option(coap::option::kContentFormat, coap::content_format::kOcfCbor);
  answer.payload.assign(2500, 0xa5);
  write(t, "block2_first",
        datagram(MessageType::Acknowledgement, 3, *coap::block2_slice(answer, 0, 6)));
  coap::Message next = credentials;
  next.payload.clear();
  coap::set_block(next, coap::option::kBlock2, {1, false, 6});
  write(t, "block2_request", datagram(MessageType::Confirmable, 4, next));

  // The credentials request in 64-byte Block1 blocks with Size1, one datagram each, the second
  // one retransmitted (same Message ID), as a session input for pass 2.
  std::string session;
  const size_t blocks = (credentials.payload.size() + 63) / 64;
  for (uint32_t num = 0; num < blocks; ++num) {
    coap::Message block = credentials;
    block.token = {0x42, static_cast<uint8_t>(num)};
    const size_t begin = size_t{num} * 64;
    const size_t end = std::min(begin + 64, credentials.payload.size());
    block.payload.assign(credentials.payload.begin() + static_cast<long>(begin),
                         credentials.payload.begin() + static_cast<long>(end));
    coap::set_block(block, coap::option::kBlock1, {num, end < credentials.payload.size(), 2});
    if (num == 0) {
      block.add_uint_option(coap::option::kSize1,
                            static_cast<uint32_t>(credentials.payload.size()));
    }
    const std::string bytes =
        datagram(MessageType::Confirmable, static_cast<uint16_t>(100 + num), block);
    if (bytes.size() > 255) throw std::runtime_error("block datagram longer than its length byte");
    if (num == 0) write(t, "block1_first", bytes);
    session += static_cast<char>(bytes.size()) + bytes;
    if (num == 1) session += static_cast<char>(bytes.size()) + bytes;
  }
  write(t, "block1_session", session);
}

void cbor_step_seeds(const std::string& csr) {
  const std::string t = "cbor_step_body_fuzz";
  const auto cloud = [](const std::string& di, std::optional<device::Gateway> gateway) {
    return bytes_of(device::make_cloud_configuration_request(di, gateway).payload);
  };
  // Selector: bit 0 step, bits 1-2 Content-Format (10000, 60, 50, none), bits 3-4 Accept, bit 5
  // first request of the session (cbor_step_body_fuzz.cpp).
  write(t, "cloud_configuration", std::string(1, '\x00') + cloud(kDeviceId, std::nullopt));
  write(t, "cloud_configuration_selected",
        std::string(1, '\x20') + cloud(kDeviceId, device::Gateway{kGateway, kHubId}));
  write(t, "cloud_configuration_fresh_device",
        std::string(1, '\x00') + cloud(kDeviceId, device::Gateway{"", kNilId}));
  write(t, "cloud_configuration_cbor60_accept_json",
        std::string(1, '\x12') + cloud(kDeviceId, std::nullopt));
  write(
      t, "cloud_configuration_json",
      std::string(1, '\x04') +
          json{{"di", kDeviceId}, {"selectedGateway", {{"uri", kGateway}, {"id", kHubId}}}}.dump());
  write(
      t, "credentials",
      std::string(1, '\x21') + bytes_of(device::make_credentials_request(kDeviceId, csr).payload));
  write(t, "credentials_no_di",
        std::string(1, '\x01') +
            bytes_of(json::to_cbor(
                json{{"csr", {{"data", csr}, {"encoding", "oic.sec.encoding.pem"}}}})));
  write(t, "credentials_binary_csr",
        std::string(1, '\x0b') +
            bytes_of(json::to_cbor(
                json{{"di", kDeviceId},
                     {"csr",
                      {{"data", json::binary(std::vector<uint8_t>(csr.begin(), csr.end()))},
                       {"encoding", "oic.sec.encoding.pem"}}}})));
}

void pki_seeds() {
  const std::string t = "pki_fuzz";
  const std::string cn = std::string("uuid:") + kDeviceId;
  auto p256 = test::make_key(test::KeyType::P256);
  const std::string csr = test::make_csr_pem(p256.get(), cn);
  // Mode byte, expected device id line, CSR (pki_fuzz.cpp).
  write(t, "csr_pem", std::string(1, '\x00') + kDeviceId + "\n" + csr);
  write(t, "csr_pem_no_expected_id", std::string(1, '\x00') + "\n" + csr);
  write(t, "csr_pem_other_id",
        std::string(1, '\x00') + "0e8a57b2-67b3-4c4b-9c5f-0e1d2c3b4a59\n" + csr);
  auto p384 = test::make_key(test::KeyType::P384);
  write(t, "csr_p384_sha384",
        std::string(1, '\x00') + "\n" + test::make_csr_pem(p384.get(), cn, {EVP_sha384()}));
  write(t, "csr_sha1",
        std::string(1, '\x00') + "\n" + test::make_csr_pem(p256.get(), cn, {EVP_sha1()}));
  auto rsa = test::make_key(test::KeyType::Rsa2048);
  write(t, "csr_rsa", std::string(1, '\x00') + "\n" + test::make_csr_pem(rsa.get(), cn));
  auto ed = test::make_key(test::KeyType::Ed25519);
  write(t, "csr_ed25519",
        std::string(1, '\x00') + "\n" + test::make_csr_pem(ed.get(), cn, {nullptr}));
  auto k1 = test::make_key(test::KeyType::Secp256k1);
  write(t, "csr_secp256k1", std::string(1, '\x00') + "\n" + test::make_csr_pem(k1.get(), cn));
  write(t, "csr_bad_signature",
        std::string(1, '\x00') + "\n" + test::make_csr_pem_with_bad_signature(p256.get(), cn));
  write(t, "csr_bad_cn",
        std::string(1, '\x00') + "\n" + test::make_csr_pem(p256.get(), "device-1234"));
  write(t, "csr_der", std::string(1, '\x01') + kDeviceId + "\n" + csr_der(csr));
  write(t, "csr_der_p384",
        std::string(1, '\x01') + "\n" + csr_der(test::make_csr_pem(p384.get(), cn)));

  // Trust group: flags, chain, lead name, revoked, CRL, device chain (pki_fuzz.cpp).
  const auto mfg = itest::make_manufacturer("fuzz mfg");
  const std::string sep = "\n~~~\n";
  const std::string device_chain = mfg.device.cert_pem() + mfg.intermediate.cert_pem();
  const auto group = [&](const std::string& flags, const std::string& lead,
                         const std::string& revoked, const std::string& crl,
                         const std::string& peer) {
    return std::string(1, '\x02') + flags + sep + mfg.chain_pem() + sep + lead + sep + revoked +
           sep + crl + sep + peer;
  };
  write(t, "group_device", group("", "", "", "", device_chain));
  write(t, "group_leaf_only", group("", "", "", "", mfg.device.cert_pem()));
  write(t, "group_lead_root", group("e", "fuzz mfg root", "", "", device_chain));
  write(t, "group_disabled", group("d", "", "", "", device_chain));
  write(t, "group_revoked_serial",
        group("", "", pki::serial_hex(mfg.device.get()) + "\n00:ff\n", "", device_chain));
  write(t, "group_revoked_spki",
        group("", "", pki::spki_sha256_hex(mfg.device.get()), "", device_chain));
  X509* leaf[] = {mfg.device.get()};
  write(t, "group_crl_leaf",
        group("", "", "", test::make_crl_pem(mfg.intermediate, leaf), device_chain));
  X509* intermediate[] = {mfg.intermediate.get()};
  const std::string both =
      test::make_crl_pem(mfg.root, intermediate) + test::make_crl_pem(mfg.intermediate, {});
  write(t, "group_crls_root_and_intermediate", group("", "", "", both, device_chain));
  const auto other = test::make_root_ca("fuzz other root");
  write(
      t, "group_crl_wrong_key",
      group("", "", "", test::make_crl_pem(mfg.intermediate, leaf, other.key.get()), device_chain));
  test::LeafOptions self_signed;
  self_signed.common_name = "fuzz mfg intermediate";
  write(t, "group_root_only_self_signed_device",
        std::string(1, '\x02') + sep + other.cert_pem() + sep + sep + sep + sep +
            test::make_self_signed_leaf(self_signed).cert_pem());
}

void api_seeds() {
  const std::string t = "api_json_fuzz";
  const char* kHubA = itest::kApiHub;
  const char* kHubB = itest::kApiHub2;
  const auto mfg = itest::make_manufacturer("itest api mfg");
  // Selector: 0 group POST, 1 group PUT, 2 hub POST, 3 hub PUT, 4 request target.
  const auto put = [&](char mode, const json& body) { return std::string(1, mode) + body.dump(); };
  json group = Bodies::group_body(mfg, {kHubA, kHubB});
  write(t, "group_post", put('\x00', group));
  json full = group;
  full["name"] = "factory line 1";
  full["id"] = "e9e9e9e9-0000-4000-8000-000000000009";
  full["owner"] = itest::kOwnerA;
  full["preSharedKey"] = "data:;base64,MDEyMzQ1Njc4OTAxMjM0NQ==";
  full["disabled"] = false;
  full["attestationMechanism"]["x509"]["leadCertificateName"] = "itest api mfg root";
  full["attestationMechanism"]["x509"]["expiredCertificateEnabled"] = true;
  full["revokedCertificates"] = {pki::serial_hex(mfg.device.get()),
                                 pki::spki_sha256_hex(mfg.device.get())};
  X509* leaf[] = {mfg.device.get()};
  full["crl"] = test::make_crl_pem(mfg.intermediate, leaf);
  write(t, "group_put_full", put('\x01', full));
  json uri_chain = group;
  uri_chain["attestationMechanism"]["x509"]["certificateChain"] = encode_data_uri(mfg.chain_pem());
  uri_chain["hub_ids"] = uri_chain["hubIds"];
  uri_chain.erase("hubIds");
  write(t, "group_post_data_uri_snake_case", put('\x00', uri_chain));

  write(t, "hub_post", put('\x02', Bodies::hub_body(kHubA)));
  json hub = Bodies::hub_body("");
  hub.erase("hubId");
  hub["gateways"] = {"127.0.0.1:5684", itest::kLocalGateway, "coap+tcp://hub.example.com:5683"};
  write(t, "hub_post_gateways", put('\x02', hub));
  json change = Bodies::hub_body(kHubA);
  change["id"] = "e9e9e9e9-0000-4000-8000-000000000009";
  change["name"] = "hub one";
  change["certificateAuthority"] = {
      {"grpc",
       {{"address", "ca.example.com:443"},
        {"keepAlive", {{"time", "10s"}}},
        {"tls",
         {{"caPool", {mfg.root.cert_pem(), encode_data_uri(mfg.intermediate.cert_pem())}},
          {"useSystemCaPool", true}}}}}};
  change["authorization"] = {{"ownerClaim", "sub"},
                             {"deviceIdClaim", "https://plgd.dev/deviceId"},
                             {"provider",
                              {{"name", "oauth"},
                               {"authority", "https://auth.example.com"},
                               {"clientId", "dps"},
                               {"clientSecret", "data:,/looks/like/a/path"},
                               {"scopes", {"a", "b"}},
                               {"audience", "https://hub.example.com"},
                               {"http", {{"timeout", "0"}}}}}};
  write(t, "hub_put_full", put('\x03', change));

  const std::string uuid = "5DB6CCDE-05E1-480B-A522-C1591AD7DFD2";
  for (const auto& [name, target] : std::vector<std::pair<std::string, std::string>>{
           {"target_groups",
            "/api/v1/enrollment-groups?idFilter=" + uuid + "&hubIdFilter=" + std::string(kHubA)},
           {"target_groups_names",
            "/api/v1/enrollment-groups?attestationMechanismX509CertificateNames=itest+api+mfg%20"
            "intermediate"},
           {"target_hubs_plgd_prefix",
            "/device-provisioning-service/api/v1/hubs?id_filter=a&idFilter=b&hub_id_filter=c"},
           {"target_records",
            "/api/v1/"
            "provisioning-records?deviceIdFilter=d2&idFilter=r3&enrollmentGroupIdFilter=g1"},
           {"target_hub_id", "/api/v1/hubs/" + uuid},
           {"target_escapes", "/a%20b+c?na%6De=v%26w+x&flag&&=empty-key#frag"},
           {"target_bad_escape", "/api/v1/hubs?idFilter=%zz"},
       }) {
    write(t, name, std::string(1, '\x04') + target);
  }
}

void config_seeds() {
  const std::string t = "config_yaml_fuzz";
  const auto mfg = itest::make_manufacturer("itest config mfg");
  X509* leaf[] = {mfg.device.get()};
  itest::DpsConfigSpec spec;
  spec.data_dir = "dps-data";
  spec.http_enabled = true;
  spec.log_encoding = "json";
  spec.handshake_timeout = "2.5s";
  spec.max_connections = 5000;
  spec.max_requests_per_session = 16;
  spec.api_rate_per_token = 10;
  itest::GroupSpec g;
  g.id = "5db6ccde-05e1-480b-a522-c1591ad7dfd2";
  g.chain_file = encode_data_uri(mfg.chain_pem());  // a data: URI is a file value too
  g.psk_file = "data:,0123456789abcdef";
  g.revoked_certificates = {pki::serial_hex(mfg.device.get())};
  g.crl_file = encode_data_uri(test::make_crl_pem(mfg.intermediate, leaf));
  g.hubs = {{itest::kHubA, {itest::kGatewayA, "127.0.0.1:5684"}},
            {itest::kHubB, {itest::kGatewayB}, "sub", "oauth"}};
  spec.groups.push_back(g);
  itest::GroupSpec second = g;
  second.id = "6e3a0c1d-9b8a-4f7e-8d6c-5b4a39281706";
  second.owner = "2";
  second.disabled = true;
  second.expired_certificate_enabled = true;
  second.hubs = {{"c3c3c3c3-0000-4000-8000-000000000003", {"coap+tcp://hub-c.example.com:5683"}}};
  spec.groups.push_back(second);
  write(t, "integration_render_config.yaml", itest::render_config(spec));
  spec.http_tls = false;
  spec.postgres_uri = "postgresql://dps@127.0.0.1:5432/dps";
  spec.groups.resize(1);
  spec.groups[0].chain_file = "chain.pem";  // a file of the target's base dir
  write(t, "integration_render_config_postgres.yaml", itest::render_config(spec));
}

void jwt_seeds() {
  const std::string t = "jwt_fuzz";
  constexpr int64_t kNow = 1796083200;  // jwt_fuzz.cpp's verification time
  const std::string sep = "\n~~~\n";
  const std::string plgd_owner = "https://plgd.dev/owner";
  const json claims = {{"sub", "owner-1"},           {plgd_owner, "owner-1"},
                       {"iss", "https://auth.test"}, {"aud", {"https://api.example.com", "dps"}},
                       {"iat", kNow - 60},           {"exp", kNow + 10LL * 365 * 24 * 3600}};
  auto p256 = test::make_key(test::KeyType::P256);
  auto p384 = test::make_key(test::KeyType::P384);
  auto rsa = test::make_key(test::KeyType::Rsa2048);
  const std::string keys = test::jwks(json::array({test::public_jwk(p256.get(), "ec-1", "ES256"),
                                                   test::public_jwk(p384.get(), "ec-2", ""),
                                                   test::public_jwk(rsa.get(), "rsa-1", "")}));
  // Selector: bit 0 owner claim https://plgd.dev/owner, bit 1 audience required (jwt_fuzz.cpp).
  const auto seed = [&](char options, const std::string& jwks, const std::string& header_value) {
    return std::string(1, options) + jwks + sep + header_value;
  };
  const auto bearer = [](const std::string& token) { return "Bearer " + token; };
  write(
      t, "es256",
      seed('\x00', keys, bearer(test::sign_token(p256.get(), "ES256", {{"kid", "ec-1"}}, claims))));
  write(t, "es256_plgd_owner_audience",
        seed('\x03', keys,
             bearer(test::sign_token(p256.get(), "ES256", {{"kid", "ec-1"}, {"typ", "JWT"}},
                                     claims))));
  write(t, "es384_lowercase_scheme",
        seed('\x00', keys,
             "bearer   " + test::sign_token(p384.get(), "ES384", {{"kid", "ec-2"}}, claims)));
  write(
      t, "rs256",
      seed('\x01', keys, bearer(test::sign_token(rsa.get(), "RS256", {{"kid", "rsa-1"}}, claims))));
  write(t, "ps256_bare_token",
        seed('\x00', keys, test::sign_token(rsa.get(), "PS256", {{"kid", "rsa-1"}}, claims)));
  write(t, "es256_der_signature",
        seed('\x00', keys,
             bearer(test::sign_token(p256.get(), "ES256", {{"kid", "ec-1"}}, claims,
                                     {/*der_ecdsa=*/true}))));
  json expired = claims;
  expired["exp"] = kNow - 3600;
  expired["nbf"] = 1.5e9;
  write(t, "expired",
        seed('\x00', keys,
             bearer(test::sign_token(p256.get(), "ES256", {{"kid", "ec-1"}}, expired))));
  write(t, "hs256_confusion",
        seed('\x00', keys,
             bearer(test::hmac_token(test::public_key_pem(p256.get()), "HS256", {{"kid", "ec-1"}},
                                     claims))));
  write(t, "alg_none",
        seed('\x00', keys,
             bearer(auth::base64url_encode(std::string(R"({"alg":"none"})")) + "." +
                    auth::base64url_encode(claims.dump()) + ".")));
  const std::string mixed = test::jwks(
      json::array({test::public_jwk(p256.get(), "", ""),
                   {{"kty", "oct"}, {"k", "c2VjcmV0"}, {"kid", "hmac"}},
                   {{"kty", "EC"}, {"crv", "P-256"}, {"use", "enc"}, {"x", "AA"}, {"y", "AA"}}}));
  write(t, "kid_less_key_in_mixed_set",
        seed('\x00', mixed, bearer(test::sign_token(p256.get(), "ES256", json::object(), claims))));

  // The admin token dps mints for itself, with the JWKS it publishes (auth/admin_token.cpp).
  test::TempDir dir;
  auto minter =
      auth::EmbeddedTokenMinter::load_or_create(dir.path(), "dps", std::chrono::hours(1)).value();
  const std::string admin =
      minter->mint({{"sub", "1"}}, {"dps-admin"}, std::chrono::hours(24 * 365 * 20)).value();
  write(t, "embedded_admin_token", seed('\x00', minter->jwks_json(), bearer(admin)));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s SEED_DIR (fuzz/seeds)\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  try {
    auto key = test::make_key(test::KeyType::P256);
    const std::string csr = test::make_csr_pem(key.get(), std::string("uuid:") + kDeviceId);
    coap_seeds(csr);
    coap_udp_seeds(csr);
    cbor_step_seeds(csr);
    pki_seeds();
    api_seeds();
    config_seeds();
    jwt_seeds();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
