// Every cipher suite a device may be limited to (device-protocol §1) works on TLS 1.2, with either
// curve preferred. (Both curves are always offered: in TLS 1.2 the list also bounds the curve of
// the server's ECDSA certificate.)
#include "support/dps_fixture.hpp"

namespace dps::itest {
namespace {

struct TlsParameters {
  const char* cipher;
  const char* curve;
};

class DeviceTlsParameters : public DpsTest, public ::testing::WithParamInterface<TlsParameters> {};

TEST_P(DeviceTlsParameters, DeviceOfferingOnlyThisSuiteProvisions) {
  auto tls = default_tls(/*tls12=*/true);
  tls.cipher_list = GetParam().cipher;
  tls.curves = GetParam().curve;
  const auto result = provision(tls);
  EXPECT_TRUE(result.ok) << GetParam().cipher << " " << GetParam().curve << ": " << result.error;
}

INSTANTIATE_TEST_SUITE_P(Tls12, DeviceTlsParameters,
                         ::testing::Values(TlsParameters{"ECDHE-ECDSA-AES128-GCM-SHA256", "P-256"},
                                           TlsParameters{"ECDHE-ECDSA-AES128-SHA256", "P-256"},
                                           TlsParameters{"ECDHE-ECDSA-AES256-GCM-SHA384", "P-256"},
                                           TlsParameters{"ECDHE-ECDSA-AES256-SHA384", "P-256"},
                                           TlsParameters{"ECDHE-ECDSA-AES128-GCM-SHA256",
                                                         "P-384:P-256"}),
                         [](const ::testing::TestParamInfo<TlsParameters>& p) {
                           std::string name = std::string(p.param.cipher) + "_" + p.param.curve;
                           std::erase(name, '-');
                           std::erase(name, ':');
                           return name;
                         });

}  // namespace
}  // namespace dps::itest
