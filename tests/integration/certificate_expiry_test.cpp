// plgd's apis.coap.tls.disconnectOnExpiredCertificate: a device session ends when the device's
// certificate expires (at once when it had already expired and its group admits expired
// certificates); without the key, sessions live until the device leaves or idles out.
#include <boost/asio/steady_timer.hpp>

#include "device/requests.hpp"
#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

using namespace std::chrono_literals;

class CertificateExpiry : public DpsTest {
 protected:
  void configure(DpsConfigSpec& spec) override {
    spec.inactivity_timeout = "20s";  // the pause below must not idle the session out
    spec.disconnect_on_expired_certificate = disconnect_;
    spec.groups[0].expired_certificate_enabled = true;
  }

  // A device certificate of mfg_ valid from an hour ago for `left` more.
  test::TestCert leaf_expiring_in(std::chrono::seconds left) const {
    test::LeafOptions options;
    options.validity.not_after = left;
    return test::make_leaf(mfg_.intermediate, options);
  }

  // Two time requests on one session, `pause` apart; the second's answer or why none came.
  std::pair<Result<coap::Message>, Result<coap::Message>> two_requests(
      const test::TestCert& leaf, std::chrono::milliseconds pause) {
    auto ctx = device::ClientTls::create(tls_for(leaf, &mfg_.intermediate));
    if (!ctx) throw std::runtime_error(ctx.error().internal);
    device::Provisioner device(device_config(), *ctx);
    using Answers = std::pair<Result<coap::Message>, Result<coap::Message>>;
    return run_coro<Answers>([&]() -> awaitable<Answers> {
      auto session = co_await device.connect(device::Step::Ownership);
      if (!session)
        co_return Answers{tl::unexpected(session.error()), tl::unexpected(session.error())};
      auto first = co_await (*session)->request(device::make_time_request());
      boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, pause);
      co_await timer.async_wait(boost::asio::use_awaitable);
      auto second = co_await (*session)->request(device::make_time_request());
      co_await (*session)->close();
      co_return Answers{std::move(first), std::move(second)};
    });
  }

  bool disconnect_ = true;
};

TEST_F(CertificateExpiry, ClosesTheSessionWhenTheCertificateExpires) {
  const auto [first, second] = two_requests(leaf_expiring_in(3s), 4s);
  ASSERT_TRUE(first) << first.error().internal;  // served while valid
  EXPECT_FALSE(second) << "answered " << coap::to_string(second->code) << " after expiry";
  EXPECT_NE(dps_->log().find("client certificate expired: closing"), std::string::npos);
}

TEST_F(CertificateExpiry, ClosesAtOnceWhenTheCertificateHadExpired) {
  const auto [first, second] = two_requests(leaf_expiring_in(-60s), 0ms);
  EXPECT_FALSE(first) << "answered " << coap::to_string(first->code);
}

class CertificateExpiryIgnored : public CertificateExpiry {
 protected:
  CertificateExpiryIgnored() { disconnect_ = false; }
};

TEST_F(CertificateExpiryIgnored, KeepsServingPastNotAfterWithoutTheKey) {
  const auto [first, second] = two_requests(leaf_expiring_in(3s), 4s);
  ASSERT_TRUE(first) << first.error().internal;
  EXPECT_TRUE(second) << second.error().internal;
}

}  // namespace
}  // namespace dps::itest
