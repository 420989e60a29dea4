// plgd's apis.http.tls.clientCertificateRequired + caPool: the management API admits only callers
// whose certificate chains to the pool, in the TLS handshake, and still checks their token.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <variant>

#include "support/api_fixture.hpp"

namespace dps::itest {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;

// A caller's identity: its leaf and the intermediate it chains through.
struct Caller {
  std::string chain_pem;  // empty = no certificate
  std::string key_pem;
};

class ApiMutualTls : public ApiTest {
 protected:
  void configure(DpsConfigSpec& spec) override {
    ApiTest::configure(spec);
    callers_ = make_manufacturer("api callers");
    stranger_ = make_manufacturer("stranger");
    spec.api_client_ca_file = write("api-callers-ca.pem", callers_.root.cert_pem());
  }

  // GET <target> over TLS 1.2 or 1.3 presenting `caller`: the status, or why none came.
  std::variant<unsigned, std::string> get(const Caller& caller, const std::string& target,
                                          const std::string& token, bool tls12 = false) const {
    try {
      asio::io_context io;
      ssl::context context(ssl::context::tls_client);
      SSL_CTX_set_min_proto_version(context.native_handle(), tls12 ? TLS1_2_VERSION : 0);
      SSL_CTX_set_max_proto_version(context.native_handle(), tls12 ? TLS1_2_VERSION : 0);
      context.add_certificate_authority(asio::buffer(server_ca_pem_));
      context.set_verify_mode(ssl::verify_peer);
      if (!caller.chain_pem.empty()) {
        context.use_certificate_chain(asio::buffer(caller.chain_pem));
        context.use_private_key(asio::buffer(caller.key_pem), ssl::context::pem);
      }
      beast::ssl_stream<beast::tcp_stream> stream(io, context);
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
      beast::get_lowest_layer(stream).connect(
          asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), dps_->api_port()));
      stream.handshake(ssl::stream_base::client);
      // TLS 1.3: the client finishes first; a refused certificate shows at the first read.
      bhttp::request<bhttp::empty_body> request{bhttp::verb::get, target, 11};
      request.set(bhttp::field::host, "127.0.0.1");
      if (!token.empty()) request.set(bhttp::field::authorization, "Bearer " + token);
      bhttp::write(stream, request);
      beast::flat_buffer buffer;
      bhttp::response<bhttp::string_body> response;
      bhttp::read(stream, buffer, response);
      return response.result_int();
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
  }

  static Caller caller_of(const Manufacturer& m) {
    return {m.device.cert_pem() + m.intermediate.cert_pem(), m.device.key_pem()};
  }

  Manufacturer callers_;
  Manufacturer stranger_;
};

TEST_F(ApiMutualTls, RefusesCallersWithoutACertificate) {
  for (bool tls12 : {false, true}) {
    SCOPED_TRACE(tls12 ? "TLS 1.2" : "TLS 1.3");
    const auto answer = get(Caller{}, kHubsPath, token_of(kOwnerA), tls12);
    ASSERT_TRUE(std::holds_alternative<std::string>(answer))
        << "answered " << std::get<unsigned>(answer);
  }
}

TEST_F(ApiMutualTls, RefusesCertificatesOfAnotherCa) {
  for (bool tls12 : {false, true}) {
    SCOPED_TRACE(tls12 ? "TLS 1.2" : "TLS 1.3");
    const auto answer = get(caller_of(stranger_), kHubsPath, token_of(kOwnerA), tls12);
    ASSERT_TRUE(std::holds_alternative<std::string>(answer))
        << "answered " << std::get<unsigned>(answer);
  }
}

TEST_F(ApiMutualTls, ServesACertifiedCallerAndStillChecksItsToken) {
  for (bool tls12 : {false, true}) {
    SCOPED_TRACE(tls12 ? "TLS 1.2" : "TLS 1.3");
    const auto ok = get(caller_of(callers_), kHubsPath, token_of(kOwnerA), tls12);
    ASSERT_TRUE(std::holds_alternative<unsigned>(ok)) << std::get<std::string>(ok);
    EXPECT_EQ(std::get<unsigned>(ok), 200u);
    const auto anonymous = get(caller_of(callers_), kHubsPath, "", tls12);
    ASSERT_TRUE(std::holds_alternative<unsigned>(anonymous)) << std::get<std::string>(anonymous);
    EXPECT_EQ(std::get<unsigned>(anonymous), 401u);
  }
}

}  // namespace
}  // namespace dps::itest
