#include "device/requests.hpp"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace dps::device {

using coap::Code;
using coap::Message;
using nlohmann::json;
namespace opt = coap::option;
namespace cf = coap::content_format;

std::vector<uint8_t> random_token() {
  std::vector<uint8_t> token(8);
  if (RAND_bytes(token.data(), static_cast<int>(token.size())) != 1) {
    // The DRBG never fails once seeded; a counter would be overkill for a test client.
    for (size_t i = 0; i < token.size(); ++i) token[i] = static_cast<uint8_t>(rand());
  }
  return token;
}

Message make_get(std::string_view path) {
  Message m;
  m.code = Code::Get;
  m.token = random_token();
  m.set_uri_path(path);
  m.add_uint_option(opt::kAccept, cf::kOcfCbor);
  m.add_uint_option(opt::kOcfAcceptContentFormatVersion, kOcfVersion);
  return m;
}

Message make_post(std::string_view path, std::vector<uint8_t> cbor_body) {
  Message m = make_get(path);
  m.code = Code::Post;
  m.add_uint_option(opt::kContentFormat, cf::kOcfCbor);
  m.add_uint_option(opt::kOcfContentFormatVersion, kOcfVersion);
  m.payload = std::move(cbor_body);
  return m;
}

Message make_tpm_post(std::string_view path, std::vector<uint8_t> cbor_body) {
  Message m;
  m.code = Code::Post;
  m.token = random_token();
  m.set_uri_path(path);
  m.add_uint_option(opt::kAccept, cf::kCbor);
  m.add_uint_option(opt::kContentFormat, cf::kCbor);
  m.payload = std::move(cbor_body);
  return m;
}

Message make_time_request() { return make_get(uri::kTime); }
Message make_ownership_request() { return make_get(uri::kOwnership); }
Message make_acls_request() { return make_get(uri::kAcls); }

Message make_cloud_configuration_request(std::string_view di,
                                         const std::optional<Gateway>& selected_gateway) {
  json body = {{"di", di}};
  if (selected_gateway) {
    body["selectedGateway"] = {{"uri", selected_gateway->uri}, {"id", selected_gateway->id}};
  }
  return make_post(uri::kCloudConfiguration, json::to_cbor(body));
}

Message make_credentials_request(std::string_view di, std::string_view csr_pem) {
  const json body = {{"di", di}, {"csr", {{"data", csr_pem}, {"encoding", kPemEncoding}}}};
  return make_post(uri::kCredentials, json::to_cbor(body));
}

Message make_pre_configuration_request(std::string_view di) {
  Message m = make_get(uri::kPreConfiguration);
  m.add_string_option(opt::kUriQuery, "di=" + std::string(di));
  return m;
}

Message make_pre_configuration_report(std::string_view di,
                                      const std::vector<ResourceUpdateResult>& results) {
  json list = json::array();
  for (const auto& result : results) {
    json entry = {{"href", result.href}, {"ok", result.ok}};
    if (!result.ok) entry["error"] = result.error;
    list.push_back(std::move(entry));
  }
  return make_post(uri::kPreConfiguration, json::to_cbor(json{{"di", di}, {"results", list}}));
}

Message answer_server_request(const Message& request, std::string_view endpoint) {
  Message answer;
  answer.token = request.token;
  if (request.code != Code::Get || request.uri_path() != uri::kOicRes) {
    answer.code = Code::NotFound;
    return answer;
  }
  const json links = json::array({{{"href", "/oic/d"},
                                   {"rt", {"oic.wk.d"}},
                                   {"if", {"oic.if.baseline"}},
                                   {"eps", {{{"ep", endpoint}}}}}});
  answer.code = Code::Content;
  answer.add_uint_option(opt::kContentFormat, cf::kOcfCbor);
  answer.payload = json::to_cbor(links);
  return answer;
}

std::string coaps_tcp_endpoint(std::string_view address, uint16_t port) {
  const bool v6 = address.find(':') != std::string_view::npos;
  std::string out = "coaps+tcp://";
  if (v6) out += '[';
  out += address;
  if (v6) out += ']';
  out += ':' + std::to_string(port);
  return out;
}

std::string random_uuid() {
  uint8_t b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    for (auto& x : b) x = static_cast<uint8_t>(rand());
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return std::string(out, 36);
}

}  // namespace dps::device
