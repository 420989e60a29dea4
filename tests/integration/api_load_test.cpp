// "None of these disturbs device provisioning running at the same time": a thread fires bad
// requests at the management API (bad tokens, malformed bodies, bodies over the limit) without
// pause while devices provision through real TLS. Every device must succeed, every bad request
// must get its precise answer, and none of them may change the store.
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <mutex>
#include <thread>

#include "auth/admin_token.hpp"
#include "auth/base64url.hpp"
#include "support/api_fixture.hpp"
#include "support/jwt_test_tokens.hpp"

namespace dps::itest {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

struct Probe {
  HttpRequest request;
  unsigned status;
};

class ApiLoad : public ApiTest {
 protected:
  std::vector<Probe> bad_requests() const {
    const std::string token = "Bearer " + token_of(kOwnerA);
    const auto key = load_dps_signing_key(spec_.data_dir);
    json expired = test::valid_claims(kOwnerA);
    expired["aud"] = std::string(auth::kAdminTokenAudience);
    expired["exp"] = test::unix_now() - 3600;
    const std::string expired_token =
        "Bearer " + test::sign_token(key.key.get(), "ES256", {{"kid", key.kid}}, expired);
    json none_header = {{"alg", "none"}, {"kid", key.kid}};
    const std::string none_token = "Bearer " + auth::base64url_encode(none_header.dump()) + "." +
                                   auth::base64url_encode(expired.dump()) + ".";
    json path_secret = group_body(kApiHub);
    path_secret["preSharedKey"] = "/etc/dps/psk.bin";
    json broken_chain = group_body(kApiHub);
    broken_chain["attestationMechanism"]["x509"]["certificateChain"] =
        api_mfg_.intermediate.cert_pem();
    const std::string oversized = "{" + std::string(kBodyLimit, ' ') + "}";
    return {
        {{Verb::get, kGroupsPath, std::nullopt, "", false}, 401},
        {{Verb::post, kHubsPath, expired_token, hub_body(kApiHub2).dump(), false}, 401},
        {{Verb::post, kGroupsPath, none_token, group_body(kApiHub).dump(), false}, 401},
        {{Verb::post, kGroupsPath, token, R"({"hubIds": [)", false}, 400},
        {{Verb::post, kGroupsPath, token, path_secret.dump(), false}, 400},
        {{Verb::post, kGroupsPath, token, broken_chain.dump(), false}, 400},
        {{Verb::post, kHubsPath, token, hub_body(kApiHub).dump(), false}, 409},
        {{Verb::delete_, kGroupsPath, token, "", false}, 400},
        {{Verb::post, kGroupsPath, token, oversized, false}, 413},
        {{Verb::post, kHubsPath, std::nullopt, oversized, true}, 413},
    };
  }
};

TEST_F(ApiLoad, BadRequestsDoNotDisturbDevicesProvisioningAtTheSameTime) {
  enroll_api_mfg(kOwnerA);
  const std::string before = call(Verb::get, kGroupsPath, token_of(kOwnerA)).body +
                             call(Verb::get, kHubsPath, token_of(kOwnerA)).body;

  // Half the devices come from the group created through the API, half from the config file.
  constexpr int kDevicesPerWave = 4;
  std::vector<std::shared_ptr<device::ClientTls>> waves[2];
  for (int i = 0; i < 2 * kDevicesPerWave; ++i) {
    const bool api_group = i % 2 == 0;
    test::LeafOptions options;
    options.common_name = "itest load device " + std::to_string(i);
    const Manufacturer& mfg = api_group ? api_mfg_ : mfg_;
    auto tls = device::ClientTls::create(tls_for(test::make_leaf(mfg.intermediate, options),
                                                 &mfg.intermediate, /*tls12=*/i % 4 == 1));
    ASSERT_TRUE(tls) << tls.error().internal;
    waves[i / kDevicesPerWave].push_back(*tls);
  }

  const auto probes = bad_requests();
  const ApiClient client = api();
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::vector<device::ProvisionResult> results;
  int finished = 0;
  auto spawn_wave = [&](int wave) {
    for (const auto& tls : waves[wave]) {
      asio::co_spawn(io, device::provision(device_config(), tls),
                     [&](std::exception_ptr e, device::ProvisionResult result) {
                       if (e) result.error = "exception";
                       results.push_back(std::move(result));
                       if (++finished == 2 * kDevicesPerWave) work.reset();
                     });
    }
  };

  spawn_wave(0);  // starts when io runs
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::vector<std::string> wrong;  // answers that were not the expected ones
  int rounds = 0;
  bool second_wave_started = false;
  std::thread attacker([&] {
    while (!stop) {
      for (const auto& probe : probes) {
        std::string problem;
        try {
          const auto answer = client.send(probe.request);
          if (answer.status != probe.status) {
            problem = "got " + std::to_string(answer.status) + " " + answer.body;
          } else if (answer.connection_end != HttpAnswer::kClosedCleanly) {
            problem = "connection ended by " + answer.connection_end;
          }
        } catch (const std::exception& e) {
          problem = e.what();
        }
        if (!problem.empty()) {
          std::lock_guard lock(mutex);
          wrong.push_back(probe.request.target + " expected " + std::to_string(probe.status) +
                          ": " + problem);
        }
      }
      // The second wave starts once a full round of bad requests has been answered, and the
      // attacker goes on until every device is done: the second wave provisions with bad
      // requests in flight whatever the timing, and the first one almost surely does too.
      asio::post(io, [&] {
        ++rounds;
        if (!second_wave_started) {
          second_wave_started = true;
          spawn_wave(1);
        }
      });
    }
  });
  io.run_for(std::chrono::seconds(45));
  stop = true;
  attacker.join();

  ASSERT_EQ(results.size(), size_t{2 * kDevicesPerWave}) << "devices did not finish in time";
  for (const auto& result : results)
    EXPECT_TRUE(result.ok) << result.device_id << ": " << result.error;
  EXPECT_GE(rounds, 1);
  std::lock_guard lock(mutex);
  EXPECT_TRUE(wrong.empty()) << wrong.size()
                             << " bad answers, first: " << (wrong.empty() ? "" : wrong.front());
  EXPECT_EQ(call(Verb::get, kGroupsPath, token_of(kOwnerA)).body +
                call(Verb::get, kHubsPath, token_of(kOwnerA)).body,
            before)
      << "a bad request changed the store";
  EXPECT_EQ(list(kRecordsPath, token_of(kOwnerA)).size(), size_t{kDevicesPerWave});
  EXPECT_EQ(list(kRecordsPath, token_of("1")).size(), size_t{kDevicesPerWave});
}

}  // namespace
}  // namespace dps::itest
