// A hung database holds up the management API calls that wait on it, and only them: dps's HTTP
// I/O thread keeps accepting connections and answering /healthz and /metrics (which never touch
// the store), so a probe does not restart a replica that is merely waiting for its database, and
// the held calls end with a proper answer once the database is back. The database is a real
// PostgreSQL 15 frozen with SIGSTOP (test::PostgresPause): its connections stay open and nothing
// answers on them, as on a hung host, unlike a stopped server that refuses at once.
#include <future>
#include <iostream>
#include <thread>

#include "support/api_fixture.hpp"
#include "support/postgres_server.hpp"

namespace dps::itest {
namespace {

using namespace std::chrono_literals;

class ApiStoreStall : public ApiTest {
 protected:
  void configure(DpsConfigSpec& spec) override {
    ApiTest::configure(spec);
    spec.postgres_uri = postgres_.create_database("api_store_stall");
  }

  /// A server of its own: freezing the shared one would stall every test using it. A member, so
  /// it outlives dps (DpsTest::TearDown stops dps).
  test::PostgresServer postgres_;
};

/// How a call made in the background ended: its status, or why there was none (status 0).
struct Outcome {
  unsigned status = 0;
  std::string detail;
};

TEST_F(ApiStoreStall, HealthAndMetricsAnswerWhileApiCallsWaitOnAHungDatabase) {
  const std::string token = token_of(kOwnerA);
  // Sessions in dps's connection pool before the freeze: the held calls then wait on a query that
  // never gets an answer, not on a connection attempt that connect_timeout (5 s) would end.
  for (int i = 0; i < 2; ++i) ASSERT_EQ(call(Verb::get, kGroupsPath, token).status, 200u);

  // Declared before the pause, so on every way out the database resumes before they are waited on.
  std::vector<std::future<Outcome>> held;
  test::PostgresPause pause(postgres_);
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::async(std::launch::async, [this, token] {
      try {
        const HttpAnswer answer = api().call(Verb::get, kGroupsPath, token);  // deadline 20 s
        return Outcome{answer.status, answer.body};
      } catch (const std::exception& e) {
        return Outcome{0, e.what()};
      }
    }));
  }
  // Still running after a second (ample for a loopback TLS handshake and request): they wait on
  // the frozen database, and with the store calls on the I/O thread that thread waits with them.
  ASSERT_EQ(held[0].wait_for(1s), std::future_status::timeout)
      << "an API call ended while the database was frozen: " << held[0].get().detail;
  ASSERT_EQ(held[1].wait_for(0s), std::future_status::timeout)
      << "an API call ended while the database was frozen: " << held[1].get().detail;

  // A liveness bound, not a benchmark: were the API calls run on the I/O thread, neither would
  // get even its TLS handshake done before the database came back.
  const ApiClient probe(dps_->api_port(), server_ca_pem_, 2s);
  for (const char* path : {"/healthz", "/metrics"}) {
    HttpAnswer answer;
    std::string error;
    try {
      answer = probe.call(Verb::get, path, "");
    } catch (const std::exception& e) {
      error = e.what();
    }
    EXPECT_EQ(answer.status, 200u)
        << path << " while API calls wait on a frozen database: " << error;
  }
  for (auto& pending : held) {
    EXPECT_EQ(pending.wait_for(0s), std::future_status::timeout)
        << "the API call ended before the probes: they did not run while it was held";
  }

  postgres_.resume();  // the guard's resume() is then a no-op
  std::cout << "[          ] held API calls ended with";
  for (auto& pending : held) {
    const Outcome outcome = pending.get();
    std::cout << " " << outcome.status;
    EXPECT_TRUE(outcome.status == 200 || outcome.status == 503)
        << "a held API call ended with " << outcome.status << ": " << outcome.detail;
  }
  std::cout << "\n";
  EXPECT_EQ(call(Verb::get, kGroupsPath, token).status, 200u) << "the API did not recover";
}

}  // namespace
}  // namespace dps::itest
