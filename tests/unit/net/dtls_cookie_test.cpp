// DtlsCookieSecret: a cookie is good for the peer it was made for, from one rotation to the next,
// and for nothing else.
#include "net/dtls_cookie.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace dps::net {
namespace {

using namespace std::chrono_literals;
using Clock = DtlsCookieSecret::Clock;

const std::vector<uint8_t> kPeer = {4, 0x16, 0x34, 192, 0, 2, 1};
const std::vector<uint8_t> kOtherPort = {4, 0x16, 0x35, 192, 0, 2, 1};

TEST(DtlsCookie, GoodForItsPeerOnly) {
  DtlsCookieSecret secret;
  const auto cookie = secret.cookie_for(kPeer);
  EXPECT_TRUE(secret.verify(kPeer, cookie));
  EXPECT_FALSE(secret.verify(kOtherPort, cookie));
  auto flipped = cookie;
  flipped[5] ^= 0x80;
  EXPECT_FALSE(secret.verify(kPeer, flipped));
  EXPECT_FALSE(secret.verify(kPeer, std::span(cookie).first(8))) << "a truncated cookie";
  EXPECT_FALSE(secret.verify(kPeer, {})) << "no cookie";
}

TEST(DtlsCookie, SurvivesOneRotationNotTwo) {
  const auto start = Clock::now();
  DtlsCookieSecret secret(60s);
  const auto cookie = secret.cookie_for(kPeer, start);
  EXPECT_TRUE(secret.verify(kPeer, cookie, start + 61s)) << "made under the previous secret";
  EXPECT_FALSE(secret.verify(kPeer, cookie, start + 122s)) << "two rotations later";
}

TEST(DtlsCookie, TwoSecretsMakeDifferentCookies) {
  DtlsCookieSecret one;
  DtlsCookieSecret two;
  EXPECT_NE(one.cookie_for(kPeer), two.cookie_for(kPeer));
  EXPECT_FALSE(two.verify(kPeer, one.cookie_for(kPeer)));
}

}  // namespace
}  // namespace dps::net
