#include "options.hpp"

#include <CLI/CLI.hpp>

#include "version_flag.hpp"

namespace dps::bench {
namespace {

constexpr const char* kDescription =
    "dps-bench: load generator and meter for dps. Simulates devices with the real device flow\n"
    "(time session, then ownership, cloud-configuration, credentials with a fresh P-256 key and\n"
    "CSR, and acls on a second session, every answer checked as a device does), one manufacturer\n"
    "certificate per device, and reports provisionings/s, latency percentiles per step, errors by\n"
    "code, the server's CPU and peak RSS, and this machine's crypto floor. With --idle it holds\n"
    "idle device connections instead and reports the server's RSS per connection; with\n"
    "--connections it makes short connections (handshake, one request, its answer, close) and\n"
    "reports the server's CPU per connection.";

constexpr const char* kExamples = R"EXAMPLES(
Examples:
  # dps started by dps-bench (temp dir, port 0, SQLite, its own manufacturer PKI):
  dps-bench --start-dps build/tools/dps/dps --devices 2000 --concurrency 32

  # servers already running (devices spread over them as behind a load balancer); the
  # manufacturer from `dps-device demo-pki --out mfg` (intermediate.key issues one certificate
  # per device), mfg/chain.pem enrolled in a group; --server-pid for CPU and RSS from /proc:
  dps-bench --server 127.0.0.1:15684 --server 127.0.0.1:15685 --mfg-dir mfg \
            --ca dps-data/ca.pem --server-pid "$(pidof dps)" --devices 5000

  # dps started by dps-bench on your config (its groups must enrol --mfg-dir's chain.pem; the
  # server CA is read from dps's "devices trust" line unless --ca is given):
  dps-bench --start-dps build/tools/dps/dps --dps-config config.yaml --mfg-dir mfg --devices 1000

  # latency at a chosen load (here 50 devices/s) rather than at saturation:
  dps-bench --start-dps build/tools/dps/dps --devices 3000 --rate 50 --concurrency 64

  # memory per connection: 10000 idle device connections (handshake done, then silent) held
  # 30 s; an external server needs apis.coap.inactivityMonitor.timeout above --hold:
  dps-bench --start-dps build/tools/dps/dps --idle 10000 --hold 30

  # set-up: a million individual enrollments in a stopped dps's data directory (then start it):
  dps-bench --preload-individual-enrollments 1000000 --data-dir dps-data

  # devices without a certificate that prove themselves by TPM attestation (a software TPM
  # each, its EK enrolled as an individual enrollment before dps starts):
  dps-bench --start-dps build/tools/dps/dps --devices 200 --tpm --tpm-ek ecc

  # server CPU per connection: 2000 short connections (handshake, CoAP GET /x.plgd.dev/time,
  # its answer, close), 16 at once; --http-get makes the request HTTP for a web server on the
  # same certificates (bench/nginx-side-by-side.sh runs both):
  dps-bench --start-dps build/tools/dps/dps --connections 2000
  # (nginx's worker does the work, not its master):
  dps-bench --server 127.0.0.1:8443 --mfg-dir mfg --ca dps-data/ca.pem --connections 2000 \
            --http-get / --server-pid "$(pgrep -P "$(cat nginx.pid)")"

  # one JSON document instead of the text report:
  dps-bench --start-dps build/tools/dps/dps --devices 50 --concurrency 8 --json

Exit codes: 0 every device succeeded (every idle connection opened, every short connection
served), 1 some failed (the first errors are printed), 2 usage error.)EXAMPLES";

}  // namespace

void add_options(CLI::App& app, BenchOptions& o) {
  app.description(kDescription);
  app.footer(kExamples);
  app.get_formatter()->column_width(34);
  dps::cli::add_version_flag(app, "dps-bench");

  auto* devices = app.add_option("-n,--devices", o.devices,
                                 "Provision N devices (each with its own certificate)");
  devices->check(CLI::PositiveNumber);
  auto* idle = app.add_option("--idle", o.idle, "Open and hold K idle device connections instead");
  idle->check(CLI::PositiveNumber);
  devices->excludes(idle);
  auto* connections = app.add_option(
      "--connections", o.connections,
      "Make N short connections instead (handshake, one request, its answer, close) and report "
      "the server's CPU per connection");
  connections->check(CLI::PositiveNumber)->excludes(devices)->excludes(idle);
  app.add_option("--http-get", o.http_get,
                 "--connections: the request is HTTP/1.1 GET PATH, and the answer must be 200 (a "
                 "web server on the same certificates), instead of CoAP GET /x.plgd.dev/time")
      ->needs(connections);
  app.add_option("-c,--concurrency", o.concurrency,
                 "Devices in flight at once (idle: connections opened at once)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--rate", o.rate,
                 "Start R devices per second (open loop, still capped by --concurrency): "
                 "latency at a chosen load instead of at saturation")
      ->check(CLI::PositiveNumber);
  app.add_option("--hold", o.hold_seconds, "Idle mode: seconds to hold the connections")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);

  auto* server = app.add_option("-s,--server", o.servers,
                                "Running server HOST:PORT (repeat to spread devices over several)");
  auto* start = app.add_option("--start-dps", o.start_dps,
                               "Start this dps binary (generated config: temp dir, port 0, SQLite)")
                    ->check(CLI::ExistingFile);
  auto* config = app.add_option("--dps-config", o.dps_config,
                                "Start dps on this config instead of a generated one")
                     ->check(CLI::ExistingFile);
  server->excludes(start)->excludes(config);
  app.add_option("--mfg-dir", o.mfg_dir,
                 "Manufacturer PKI from `dps-device demo-pki` (needs intermediate.key)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--ca", o.ca_file, "PEM trust anchor of the server certificate (dps's ca.pem)")
      ->check(CLI::ExistingFile);
  app.add_option("--server-pid", o.server_pid,
                 "Pid of the external server, for its CPU and RSS from /proc")
      ->check(CLI::PositiveNumber);

  app.add_option("--client-threads", o.client_threads, "Device I/O threads (0 = one per core)")
      ->capture_default_str();
  app.add_option("--floor-seconds", o.floor_seconds, "Seconds to measure each crypto floor op")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--timeout-ms", o.timeout_ms, "Device connect and per-step deadline")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--retry-delay-ms", o.retry_delay_ms,
                 "Base of a device's back-off before a retry (real devices: 10 s)")
      ->capture_default_str();
  app.add_option("--max-restarts", o.max_restarts,
                 "Whole-flow restarts before a device gives up (retries of a step: 3)")
      ->capture_default_str();
  app.add_flag("--tls12", o.tls12, "Devices offer TLS 1.2 only, as iotivity-lite does");
  app.add_flag("--udp", o.udp,
               "Devices speak CoAP over UDP+DTLS 1.2 (coaps://) to the same HOST:PORT; a started "
               "dps listens on both (apis.coap.protocols: [tcp, udp]); --devices only");
  auto* tpm = app.add_flag(
      "--tpm", o.tpm,
      "Devices prove themselves by TPM attestation (docs/device-protocol.md §5) with a software "
      "TPM each, enrolled by EK before the started dps opens its database: time, tpm challenge, "
      "tpm activation, ownership without a client certificate, then cloud-configuration and "
      "acls on the identity session (only with --start-dps and its generated config)");
  app.add_option("--tpm-ek", o.tpm_ek, "--tpm: the EKs' kind, rsa (RSA 2048) or ecc (P-256)")
      ->capture_default_str()
      ->check(CLI::IsMember({"rsa", "ecc"}))
      ->needs(tpm);
  app.add_flag("--json", o.json, "Print one JSON document instead of the text report");
  app.add_flag("--keep-temp", o.keep_temp, "Keep the temp dir of a started dps (config, log)");

  // Set-up for bench/individual-enrollments.sh, not a measurement: its own group in --help.
  const std::string preload_group = "Preload (writes a dps database while dps is stopped)";
  auto* preload =
      app.add_option("--preload-individual-enrollments", o.preload,
                     "Write N individual enrollments (random key hashes) into --data-dir's "
                     "dps.db or --postgres-uri, in batches of 10000, and exit")
          ->group(preload_group)
          ->check(CLI::PositiveNumber);
  preload->excludes(devices)->excludes(idle)->excludes(connections);
  app.add_option("--data-dir", o.data_dir, "dps data directory (dataDirectory) to preload")
      ->group(preload_group)
      ->check(CLI::ExistingDirectory);
  app.add_option("--postgres-uri", o.postgres_uri,
                 "Preload this PostgreSQL database instead (clients.storage.postgres.uri)")
      ->group(preload_group);
  app.add_option("--preload-owner", o.preload_owner, "Owner of the preloaded enrollments")
      ->group(preload_group)
      ->capture_default_str();
  app.add_option("--preload-hub-id", o.preload_hub_id, "Hub id of the preloaded enrollments")
      ->group(preload_group)
      ->capture_default_str();
}

std::optional<std::string> check_options(BenchOptions& o) {
  if (o.preload > 0) {
    o.mode = Mode::Preload;
    if (o.data_dir.empty() == o.postgres_uri.empty()) {
      return "--preload-individual-enrollments needs one of --data-dir DIR and --postgres-uri URI";
    }
    if (!o.servers.empty() || o.starts_dps()) {
      return "--preload-individual-enrollments writes the database of a stopped dps: no "
             "--server or --start-dps";
    }
    return std::nullopt;
  }
  if (!o.data_dir.empty() || !o.postgres_uri.empty()) {
    return "--data-dir and --postgres-uri go with --preload-individual-enrollments";
  }
  if (o.devices == 0 && o.idle == 0 && o.connections == 0) {
    return "give --devices N (provision), --idle K (hold) or --connections N";
  }
  o.mode = o.idle > 0 ? Mode::Idle : o.connections > 0 ? Mode::Connections : Mode::Provision;
  if (o.mode != Mode::Provision && o.rate > 0) return "--rate is for provisioning (--devices)";
  if (!o.http_get.empty() && (o.starts_dps() || o.http_get.front() != '/')) {
    return "--http-get /PATH is for a web server given with --server (dps speaks CoAP)";
  }
  if (o.servers.empty() && !o.starts_dps()) {
    return "give --server HOST:PORT (running servers) or --start-dps PATH (dps-bench starts one)";
  }
  if (!o.dps_config.empty() && o.mfg_dir.empty()) {
    return "--dps-config needs --mfg-dir: the manufacturer whose chain the config's group enrols";
  }
  if (!o.servers.empty()) {
    if (o.mfg_dir.empty()) return "--server needs --mfg-dir (the devices' manufacturer PKI)";
    if (o.ca_file.empty()) return "--server needs --ca (the server certificate's trust anchor)";
    if (o.mode == Mode::Idle && o.server_pid == 0) {
      return "--idle against --server needs --server-pid (the point is the server's RSS)";
    }
  }
  if (o.tpm && (o.mode != Mode::Provision || !o.servers.empty() || !o.dps_config.empty())) {
    return "--tpm provisions --devices on a dps it starts with --start-dps on its generated "
           "config (the EKs are enrolled in its database before it starts): no --idle, --server "
           "or --dps-config";
  }
  if (o.udp && (o.mode != Mode::Provision || o.tpm)) {
    return "--udp provisions --devices over CoAP over UDP+DTLS: no --idle, --connections or "
           "--tpm";
  }
  if (o.starts_dps() && o.server_pid != 0) {
    return "--server-pid is for an external server; a started dps is measured by itself";
  }
  return std::nullopt;
}

}  // namespace dps::bench
