// The configuration table. Rows for plgd's keys keep plgd's names and shape (spec/config.md) so an
// existing plgd config.yaml loads; rows marked "(new)" are dps additions.
#include "config/schema.hpp"

#include <algorithm>
#include <map>

namespace dps::config::schema {
namespace {

// A capture-less lambda converted to a plain function pointer: the variant alternative is chosen by
// the member's type, so a row cannot bind a key to a field of the wrong type.
#define DPS_CFG(member)      \
  +[](Config & c) -> auto& { \
    return c.member;         \
  }

Key bound(std::string_view path, Kind kind, Target target, std::string_view help,
          std::string_view choices = {}) {
  return Key{path, kind, target, {}, choices, {}, help, {}};
}

Key plain(std::string_view path, Kind kind, std::string_view default_text, std::string_view help,
          std::string_view choices = {}) {
  return Key{path, kind, {}, default_text, choices, {}, help, {}};
}

// `inert`: the values that change nothing in plgd either, so they earn no start-up warning
// (schema.hpp). By default every value warns.
Key ignored(std::string_view path, std::string_view why, std::string_view inert = {}) {
  return Key{path, Kind::Ignored, {}, {}, {}, {}, why, inert};
}

constexpr std::string_view kTlsCrl = "certificate revocation of this peer is not checked here";
constexpr std::string_view kNotConfigurable = "fixed in dps; not configurable yet";
constexpr std::string_view kOnlyWhenEnabled = "only read when enabled is true, which is refused";
constexpr std::string_view kMongoOnly = "only read when MongoDB is the store, which is refused";

const std::vector<Key>& table() {
  static const std::vector<Key> rows = {
      bound("dataDirectory", Kind::Dir, DPS_CFG(data_directory),
            "(new) Directory for the SQLite database, generated keys and certificates. Created if "
            "missing."),
      bound("workers", Kind::Uint, DPS_CFG(workers), "(new) I/O threads; 0 = one per core."),

      bound("log.level", Kind::String, DPS_CFG(log.level), "Lowest level logged.",
            "debug|info|warn|error"),
      bound("log.encoding", Kind::String, DPS_CFG(log.encoding), "Log line format.",
            "console|json"),
      bound("log.dumpBody", Kind::Bool, DPS_CFG(log.dump_body),
            "Must be false: dps never logs request or response bodies (they carry PSKs, tokens "
            "and private keys); true is refused."),
      ignored("log.stacktrace", "stack traces are not logged", "enabled=false"),
      ignored("log.encoderConfig", "the time format is fixed: RFC 3339",
              "timeEncoder=rfc3339nano|rfc3339"),

      bound("apis.coap.address", Kind::String, DPS_CFG(coap.address),
            "Listen address (host:port) for devices: TCP for CoAP over TLS, UDP for CoAP over "
            "DTLS."),
      plain("apis.coap.protocols", Kind::StringList, "[tcp]",
            "Transports: tcp (CoAP over TCP+TLS, RFC 8323), udp (CoAP over UDP+DTLS 1.2, "
            "RFC 7252) or both, on the same address."),
      bound("apis.coap.maxMessageSize", Kind::Uint, DPS_CFG(coap.max_message_size),
            "Largest inbound CoAP message in bytes; bigger ones close the connection."),
      ignored("apis.coap.messagePoolSize",
              "messages are not pooled; a connection's memory is bounded by maxMessageSize", "*"),
      ignored("apis.coap.messageQueueSize",
              "a connection's requests are answered one at a time, bounded by "
              "maxRequestsPerSession",
              "*"),
      ignored("apis.coap.ownerCacheExpiration", "no owner cache is kept (a coap-gateway key)", "*"),
      bound("apis.coap.inactivityMonitor.timeout", Kind::Duration, DPS_CFG(coap.inactivity_timeout),
            "Close a device connection idle this long."),
      bound("apis.coap.keepAlive.timeout", Kind::Duration, DPS_CFG(coap.inactivity_timeout),
            "plgd's alternative name for inactivityMonitor.timeout; wins when both are set."),
      ignored("apis.coap.blockwiseTransfer",
              "dps speaks CoAP over TCP, where one message carries up to the peers' "
              "Max-Message-Size (RFC 8323 §5.3.1, apis.coap.maxMessageSize here): dps's answers "
              "(a few KiB) are sent whole, so block-wise transfer (RFC 7959) has nothing to split, "
              "and requests are read whole (plgd's default enables it)",
              "enabled=false"),
      bound("apis.coap.tls.certFile", Kind::Path, DPS_CFG(coap.tls.cert_file),
            "Server certificate chain (PEM) shown to devices; empty = generated in the data "
            "directory, signed by the built-in CA."),
      bound("apis.coap.tls.keyFile", Kind::Path, DPS_CFG(coap.tls.key_file),
            "Private key of apis.coap.tls.certFile."),
      ignored("apis.coap.tls.caPool",
              "devices are verified against the enrollment groups' certificateChain, not this "
              "pool"),
      bound("apis.coap.tls.clientCertificateRequired", Kind::Bool,
            DPS_CFG(coap.client_certificate_required),
            "true (plgd's value): the TLS handshake fails without a client certificate. false: "
            "a device may connect without one to attest with its TPM (device-protocol §5); such "
            "a session reaches only the TPM resources and the time, everything else answers "
            "4.01."),
      ignored("apis.coap.tls.enabled", "TLS is always on (plgd's DPS forces true as well)", "*"),
      bound("apis.coap.tls.disconnectOnExpiredCertificate", Kind::Bool,
            DPS_CFG(coap.disconnect_on_expired_certificate),
            "Close a device connection when its certificate's notAfter passes (at once if it "
            "was already past, as a group with expiredCertificateEnabled admits); false = the "
            "connection lives until the device leaves or idles out."),
      plain("apis.coap.tls.crl.enabled", Kind::Bool, "false",
            "Must be false: dps does not fetch CRLs from the certificates' distribution points; "
            "true is refused. Revoke device certificates with the enrollment group's crl or "
            "revokedCertificates."),
      ignored("apis.coap.tls.crl.http", kOnlyWhenEnabled, "*"),
      bound("apis.coap.handshakeTimeout", Kind::Duration, DPS_CFG(coap.handshake_timeout),
            "(new) Deadline for the TLS handshake of a device."),
      bound("apis.coap.maxConnections", Kind::Uint, DPS_CFG(coap.max_connections),
            "(new) Device connections served at once; further connections are closed at once."),
      bound("apis.coap.maxRequestsPerSession", Kind::Uint, DPS_CFG(coap.max_requests_per_session),
            "(new) Messages (requests and signals such as pings) one device connection may send; "
            "the next one gets an Abort and the connection is closed. A device needs fewer than "
            "ten."),
      bound("apis.coap.connectionRate.perSource", Kind::Uint,
            DPS_CFG(coap.connection_rate_per_source),
            "(new) New device connections per second from one source IP address, on average; "
            "beyond it connections are closed at accept, before any TLS work. 0 = no limit (set 0 "
            "behind a load balancer that hides the devices' addresses)."),
      bound("apis.coap.connectionRate.burst", Kind::Uint, DPS_CFG(coap.connection_rate_burst),
            "(new) Connections one source address may open at once after a quiet period."),

      bound("apis.http.enabled", Kind::Bool, DPS_CFG(http.enabled),
            "Serve the management API (on by default here; plgd's default is off)."),
      bound("apis.http.address", Kind::String, DPS_CFG(http.address),
            "Listen address (host:port) of the management API."),
      bound("apis.http.publicUrl", Kind::String, DPS_CFG(http.public_url),
            "(new) URL at which hubs and operators reach this API (http(s)://host[:port][/path]), "
            "used in the documents dps serves about its tokens (the jwks_uri of "
            "/.well-known/openid-configuration); never taken from a request's Host header. Empty "
            "= derived from apis.http.address: https (http without TLS), a wildcard host named "
            "localhost, port 0 left out. Set it whenever hubs run on other machines."),
      bound("apis.http.tls.enabled", Kind::Bool, DPS_CFG(http.tls_enabled),
            "(new) HTTPS; false = plain HTTP, only behind a TLS-terminating proxy or on loopback: "
            "bearer tokens cross the network."),
      bound("apis.http.maxBodySize", Kind::Uint, DPS_CFG(http.max_body_size),
            "(new) Largest request body in bytes; larger ones are answered 413."),
      bound("apis.http.rateLimit.perToken", Kind::Uint, DPS_CFG(http.rate_per_token),
            "(new) Management API requests per second per bearer token, on average; beyond it "
            "429 with Retry-After. 0 = no limit."),
      bound("apis.http.rateLimit.burst", Kind::Uint, DPS_CFG(http.rate_burst),
            "(new) Requests one token may send at once after a quiet period."),
      bound("apis.http.maxConnections", Kind::Uint, DPS_CFG(http.max_connections),
            "(new) Management API connections served at once; further connections are closed at "
            "accept. Capped at one eighth of the process's descriptor limit (soft RLIMIT_NOFILE, "
            "at least 16) so API connections never take the descriptors devices need; the "
            "effective value is logged at start."),
      bound("apis.http.connectionRate.perSource", Kind::Uint,
            DPS_CFG(http.connection_rate_per_source),
            "(new) New API connections per second from one source IP address (IPv6: per /64), "
            "on average; beyond it connections are closed at accept, before any TLS work. 0 = no "
            "limit."),
      bound("apis.http.connectionRate.burst", Kind::Uint, DPS_CFG(http.connection_rate_burst),
            "(new) API connections one source address may open at once after a quiet period."),
      bound("apis.http.handshakeTimeout", Kind::Duration, DPS_CFG(http.handshake_timeout),
            "(new) Deadline from accept to the TLS handshake done (with TLS off, to the first "
            "byte). A connection that sends nothing costs no TLS state and is closed then."),
      bound("apis.http.authFailureLimit.perSource", Kind::Uint,
            DPS_CFG(http.auth_failures_per_source),
            "(new) Failed authentications (401) one source address (IPv6: per /64) may cause in "
            "one authFailureLimit.window; beyond them its API requests get 429 with Retry-After "
            "until the window ends, whatever token they carry, without verifying it. 0 = no "
            "limit (set 0 behind a proxy that hides the callers' addresses)."),
      bound("apis.http.authFailureLimit.window", Kind::Duration, DPS_CFG(http.auth_failure_window),
            "(new) Window of authFailureLimit.perSource, starting at a source's first failure."),
      bound("apis.http.requireProofOfPossession", Kind::Bool,
            DPS_CFG(http.require_proof_of_possession),
            "(new) Enrollment groups created through the API, and updates that change the "
            "certificates a group trusts, must prove possession of the CA's key (a certificate "
            "over a dps-issued verification code). false = plgd's API behaviour, for an operator "
            "serving a single owner: any owner could then enroll another owner's public chain. "
            "Groups in this file are the operator's and need no proof."),
      bound("apis.http.quotas.enrollmentGroups", Kind::Uint, DPS_CFG(http.quotas.enrollment_groups),
            "(new) Most enrollment groups one owner may have; beyond it, creates answer 409."),
      bound("apis.http.quotas.hubs", Kind::Uint, DPS_CFG(http.quotas.hubs),
            "(new) Most hubs one owner may have; beyond it, creates answer 409."),
      bound("apis.http.quotas.revokedCertificatesPerGroup", Kind::Uint,
            DPS_CFG(http.quotas.revoked_certificates_per_group),
            "(new) Most revokedCertificates entries in one enrollment group (a CRL scales "
            "further); beyond it, writes answer 409."),
      bound("apis.http.quotas.verificationCodes", Kind::Uint,
            DPS_CFG(http.quotas.verification_codes),
            "(new) Most unused, unexpired verification codes one owner may hold; beyond it, "
            "requests for a new one answer 409."),
      bound("apis.http.quotas.groupsPerLeadCertificateName", Kind::Uint,
            DPS_CFG(http.quotas.groups_per_lead_name),
            "(new) Most enrollment groups one owner may have with the same lead certificate "
            "name. Each group named like a device's issuer costs that device's handshake a chain "
            "verification, so this bounds what one owner's groups can cost another's devices."),
      bound("apis.http.quotas.individualEnrollments", Kind::Uint,
            DPS_CFG(http.quotas.individual_enrollments),
            "(new) Most individual enrollments one owner may have; beyond it, creates answer 409. "
            "A handshake finds its device's enrollment by an indexed read, so their number does "
            "not slow devices down."),
      bound("apis.http.quotas.templates", Kind::Uint, DPS_CFG(http.quotas.templates),
            "(new) Most enrollment templates one owner may have; beyond it, creates answer 409. "
            "Templates are configuration: every catalog rebuild reads them all."),
      bound("apis.http.adminToken.enabled", Kind::Bool, DPS_CFG(http.admin_token.enabled),
            "(new) Create <dataDirectory>/admin.token (0600), a management API token signed by "
            "dps's API key (api-token-signing.key, never the key of device tokens), and accept "
            "it; false = only tokens of the configured authorities."),
      bound("apis.http.adminToken.owner", Kind::String, DPS_CFG(http.admin_token.owner),
            "(new) Owner that admin.token acts for (the value of its ownerClaim)."),
      bound("apis.http.adminToken.validity", Kind::Duration, DPS_CFG(http.admin_token.validity),
            "(new) Lifetime of admin.token. dps mints a new one, at start and while it runs, once "
            "the file's token is past half of it (or lives longer than it, or is for another "
            "owner), and revokes the old one. A week: a leaked copy dies within days without "
            "anyone noticing the leak; revoke at once with `dps revoke-token`."),
      bound("apis.http.tls.certFile", Kind::Path, DPS_CFG(http.tls.cert_file),
            "Management API certificate chain (PEM); empty = generated in the data directory."),
      bound("apis.http.tls.keyFile", Kind::Path, DPS_CFG(http.tls.key_file),
            "Private key of apis.http.tls.certFile."),
      bound("apis.http.tls.caPool", Kind::SourceList, DPS_CFG(http.client_ca_pool),
            "CAs (PEM) that API callers' client certificates must chain to. Read at start (its "
            "files must exist), used only with clientCertificateRequired."),
      bound("apis.http.tls.clientCertificateRequired", Kind::Bool,
            DPS_CFG(http.client_certificate_required),
            "Mutual TLS on the management API: the TLS handshake refuses callers without a "
            "certificate chaining to caPool (required then), before any HTTP. The bearer token "
            "is still checked. Needs apis.http.tls.enabled. dps's default is false (plgd's "
            "config.yaml sets true)."),
      plain("apis.http.tls.crl.enabled", Kind::Bool, "false",
            "Must be false: callers' certificates are not checked against CRLs; true is "
            "refused. Revoke an API caller by its token (`dps revoke-token`) or by removing its "
            "CA from caPool."),
      ignored("apis.http.tls.crl.http", kOnlyWhenEnabled, "*"),
      bound("apis.http.authorization.ownerClaim", Kind::String, DPS_CFG(http.owner_claim),
            "JWT claim holding the owner; every API call is scoped to it."),
      bound("apis.http.authorization.audience", Kind::String, DPS_CFG(http.audience),
            "Required JWT audience; empty = not checked."),
      plain("apis.http.authorization.endpoints", Kind::ObjectList, "[]",
            "Token issuers trusted by the API; keys come from OIDC discovery."),
      plain("apis.http.authorization.endpoints[].authority", Kind::String, "",
            "Issuer URL; its /.well-known/openid-configuration names the JWKS."),
      ignored("apis.http.authorization.endpoints[].http", "the system CA pool reaches the issuer"),
      plain("apis.http.authorization.authority", Kind::String, "",
            "plgd's older single form: one more issuer, as if listed in endpoints (with "
            "authorization.audience)."),
      ignored("apis.http.authorization.http",
              "the system CA pool reaches the issuer (older form of endpoints[].http)"),
      ignored("apis.http.authorization.tokenTrustVerification",
              "tokens are verified locally; revoked tokens are refused from dps's own store", "*"),
      bound("apis.http.console.enabled", Kind::Bool, DPS_CFG(http.console_enabled),
            "(new) Serve the web console under /console on this port (docs/operator-guide.md). "
            "It signs in with a management API token and has no powers of its own."),
      bound("apis.http.console.oidc.clientId", Kind::String, DPS_CFG(http.console_oidc_client_id),
            "(new) Public OAuth2 client (no secret) registered at the first authorization "
            "authority for the console's sign-in (authorization code + PKCE). Its redirect URI "
            "is the address you open the console at, https://<host>:<port>/console/ (normally "
            "<publicUrl>/console/); empty = sign in by pasting a token."),
      bound("apis.http.console.oidc.scopes", Kind::String, DPS_CFG(http.console_oidc_scopes),
            "(new) Scopes the console asks the authority for, space-separated."),
      ignored("apis.http.readTimeout", kNotConfigurable, "=8s"),
      ignored("apis.http.readHeaderTimeout", kNotConfigurable, "=4s"),
      ignored("apis.http.writeTimeout", kNotConfigurable, "=16s"),
      ignored("apis.http.idleTimeout", kNotConfigurable, "=30s"),

      ignored("clients.storage.cacheExpiration", "changes are seen at once, nothing to expire",
              "*"),
      plain("clients.storage.use", Kind::String, "",
            "The store: sqlite (the default) or postgres (needs postgres.uri). plgd's mongoDB "
            "and cqlDB are refused: dps stores in SQLite or PostgreSQL.",
            "sqlite|postgres|mongoDB|cqlDB"),
      plain("clients.storage.mongoDB.uri", Kind::String, "",
            "plgd's store. dps does not speak MongoDB: a uri with neither use: sqlite/postgres "
            "nor postgres.uri / sqlite.path set is refused, since starting on an empty SQLite "
            "store instead of the data the operator pointed at would lose it silently. With "
            "dps's store chosen, or with an empty uri (plgd's config.yaml), the section is "
            "accepted and a warning at start names it. Move enrollment groups and hubs with "
            "the management API or the config file's enrollmentGroups."),
      ignored("clients.storage.mongoDB.database", kMongoOnly, "*"),
      ignored("clients.storage.mongoDB.maxPoolSize", kMongoOnly, "*"),
      ignored("clients.storage.mongoDB.maxConnIdleTime", kMongoOnly, "*"),
      ignored("clients.storage.mongoDB.tls", kMongoOnly, "*"),
      ignored("clients.storage.mongoDB.bulkWrite", kMongoOnly, "*"),
      ignored("clients.storage.cqlDB", "dps stores in SQLite or PostgreSQL"),
      bound("clients.storage.sqlite.path", Kind::Dir, DPS_CFG(storage.sqlite_path),
            "(new) SQLite database file; empty = <dataDirectory>/dps.db."),
      bound("clients.storage.postgres.uri", Kind::String, DPS_CFG(storage.postgres.uri),
            "(new) PostgreSQL connection URI (postgresql://user:password@host:port/db); set = "
            "the store is PostgreSQL, shared by every replica, instead of SQLite. Never logged. "
            "TLS to the database: add ?sslmode=verify-full&sslrootcert=/path/ca.pem; an unknown "
            "sslmode or an unreadable sslrootcert stops dps at start."),
      bound("clients.storage.postgres.maxConnections", Kind::Uint,
            DPS_CFG(storage.postgres.max_connections),
            "(new) Connections each replica keeps to PostgreSQL (record commits and API calls "
            "share them)."),
      plain("clients.openTelemetryCollector.grpc.enabled", Kind::Bool, "false",
            "Must be false: dps exports no traces (its metrics are at /metrics); true is refused."),
      ignored("clients.openTelemetryCollector.grpc.address", kOnlyWhenEnabled, "*"),
      ignored("clients.openTelemetryCollector.grpc.keepAlive", kOnlyWhenEnabled, "*"),
      ignored("clients.openTelemetryCollector.grpc.tls", kOnlyWhenEnabled, "*"),
      ignored("clients.eventBus", "dps publishes no events"),

      bound("certificateAuthority.certFile", Kind::Path,
            DPS_CFG(certificate_authority.signer.cert_file),
            "(new) Certificate of the built-in CA that signs device identities; empty = created "
            "in the data directory."),
      bound("certificateAuthority.keyFile", Kind::Path,
            DPS_CFG(certificate_authority.signer.key_file),
            "(new) Private key of certificateAuthority.certFile."),
      bound("certificateAuthority.identityValidity", Kind::Duration,
            DPS_CFG(certificate_authority.identity_validity),
            "(new) Validity of identity certificates issued by the built-in CA (whole seconds)."),
      bound("tokens.validity", Kind::Duration, DPS_CFG(tokens.validity),
            "(new) Lifetime of hub access tokens minted by dps (whole seconds)."),
      bound("tokens.issuer", Kind::String, DPS_CFG(tokens.issuer),
            "(new) `iss` of minted tokens; empty = \"dps\"."),

      plain(
          "enrollmentGroups", Kind::ObjectList, "[]",
          "Enrollment groups, upserted into the store at every start. The file owns them and their "
          "hubs: the management API refuses to change or delete them (409 naming this file) and "
          "marks them `managedBy: configFile`."),
      plain("enrollmentGroups[].id", Kind::String, "", "UUID of the group. Required."),
      plain("enrollmentGroups[].owner", Kind::String, "",
            "Owner of the group and of its hubs and devices. Required."),
      plain("enrollmentGroups[].name", Kind::String, "the id", "Display name."),
      plain("enrollmentGroups[].preSharedKeyFile", Kind::Source, "",
            "Pre-shared key given to devices: at least 16 bytes, the first 16 are used. Empty = "
            "none."),
      plain("enrollmentGroups[].attestationMechanism.x509.certificateChain", Kind::Source, "",
            "Manufacturer chain (PEM: intermediates ... self-signed root) devices are verified "
            "against. Required, unless the group is a TPM group (tpm.vendorCertificateChain)."),
      plain("enrollmentGroups[].attestationMechanism.x509.leadCertificateName", Kind::String,
            "CN of the first certificate", "Names the chain certificate that selects this group."),
      plain("enrollmentGroups[].attestationMechanism.x509.expiredCertificateEnabled", Kind::Bool,
            "false", "Accept device certificates outside their validity dates."),
      plain("enrollmentGroups[].attestationMechanism.tpm.vendorCertificateChain", Kind::Source, "",
            "(new) Instead of x509: a TPM group. The TPM vendor's CA that issues EK certificates, "
            "then its issuers up to the self-signed root (PEM); TPMs whose EK certificate it "
            "issued are admitted by TPM attestation (docs/device-protocol.md §5), never by a "
            "client certificate."),
      plain("enrollmentGroups[].attestationMechanism.tpm.expiredCertificateEnabled", Kind::Bool,
            "false", "(new) Accept EK certificates and vendor CAs outside their validity dates."),
      plain("enrollmentGroups[].disabled", Kind::Bool, "false", "(new) Admit no device."),
      plain("enrollmentGroups[].revokedCertificates", Kind::StringList, "[]",
            "(new) Denied device certificates: serial (hex) or SHA-256 of the SPKI (hex)."),
      plain("enrollmentGroups[].crl", Kind::Source, "", "(new) PEM CRLs checked at the handshake."),
      Key{"enrollmentGroups[].hub",
          Kind::Object,
          {},
          "",
          {},
          "enrollmentGroups[].hubs[]",
          "One hub (plgd's older form), same keys as hubs[]; listed before hubs[].",
          {}},
      plain("enrollmentGroups[].hubs", Kind::ObjectList, "[]",
            "Hubs devices of this group are provisioned to; order = priority. At least one hub "
            "or hubs[] entry is required."),
      plain("enrollmentGroups[].hubs[].id", Kind::String, "hubID", "UUID of the hub record."),
      plain("enrollmentGroups[].hubs[].hubID", Kind::String, "id",
            "UUID of the hub (CN of its certificate)."),
      plain("enrollmentGroups[].hubs[].name", Kind::String, "the id", "Display name."),
      plain("enrollmentGroups[].hubs[].coapGateway", Kind::String, "",
            "One gateway (older form), listed before gateways."),
      plain("enrollmentGroups[].hubs[].gateways", Kind::StringList, "[]",
            "Hub CoAP gateways; without a scheme coaps+tcp:// is assumed; duplicates removed."),
      ignored("enrollmentGroups[].hubs[].caPool",
              "plgd's DPS does not read it either (its chart renders it); the hub's CA reaches "
              "devices from certificateAuthority",
              "*"),
      plain("enrollmentGroups[].hubs[].certificateAuthority.grpc.address", Kind::String, "",
            "host:port of the hub's certificate authority (gRPC); empty = dps's built-in CA."),
      plain("enrollmentGroups[].hubs[].certificateAuthority.grpc.tls.caPool", Kind::SourceList, "",
            "CAs (PEM) that verify the certificate authority; empty = system CAs."),
      plain("enrollmentGroups[].hubs[].certificateAuthority.grpc.tls.certFile", Kind::Source, "",
            "Client certificate (PEM) dps shows the certificate authority (mutual TLS); empty = "
            "none. Read at start."),
      plain("enrollmentGroups[].hubs[].certificateAuthority.grpc.tls.keyFile", Kind::Source, "",
            "Private key of tls.certFile. Read at start."),
      plain("enrollmentGroups[].hubs[].certificateAuthority.grpc.tls.useSystemCAPool", Kind::Bool,
            "false", "Trust the system's CAs too, besides caPool (always when caPool is empty)."),
      ignored("enrollmentGroups[].hubs[].certificateAuthority.grpc.tls.crl", kTlsCrl),
      plain("enrollmentGroups[].hubs[].certificateAuthority.grpc.keepAlive.time", Kind::Duration,
            "0s", "Ping an idle connection to the certificate authority this often; 0 = never."),
      plain("enrollmentGroups[].hubs[].certificateAuthority.grpc.keepAlive.timeout", Kind::Duration,
            "0s", "Close the connection when a ping is not answered this fast."),
      plain("enrollmentGroups[].hubs[].certificateAuthority.grpc.keepAlive.permitWithoutStream",
            Kind::Bool, "false", "Ping even when no call is in flight."),
      ignored("enrollmentGroups[].hubs[].certificateAuthority.grpc.sendMsgSize",
              "dps sends one CSR of a few KiB per call"),
      ignored("enrollmentGroups[].hubs[].certificateAuthority.grpc.recvMsgSize",
              "answers above 64 KiB are refused (an identity chain is a few KiB)"),
      plain("enrollmentGroups[].hubs[].authorization.ownerClaim", Kind::String, "",
            "Claim of the hub's tokens holding the owner, e.g. https://plgd.dev/owner. Required."),
      plain("enrollmentGroups[].hubs[].authorization.deviceIDClaim", Kind::String, "",
            "Claim holding the device id; empty = none."),
      plain("enrollmentGroups[].hubs[].authorization.provider.name", Kind::String, "",
            "OAuth provider name sent to devices (apn). Required with authority."),
      plain("enrollmentGroups[].hubs[].authorization.provider.authority", Kind::String, "",
            "OAuth server issuing client-credentials tokens; empty = tokens minted by dps."),
      plain("enrollmentGroups[].hubs[].authorization.provider.clientID", Kind::String, "",
            "OAuth client id. Required with authority."),
      plain("enrollmentGroups[].hubs[].authorization.provider.clientSecretFile", Kind::Source, "",
            "OAuth client secret. Required with authority. A file is read again when it changes "
            "(the next token fetch uses the new secret; a file that disappears keeps the last "
            "secret read)."),
      plain("enrollmentGroups[].hubs[].authorization.provider.scopes", Kind::StringList, "[]",
            "Scopes requested."),
      plain("enrollmentGroups[].hubs[].authorization.provider.audience", Kind::String, "",
            "Audience requested; empty = none."),
      plain("enrollmentGroups[].hubs[].authorization.provider.http.tls.caPool", Kind::SourceList,
            "", "CAs (PEM) that verify the OAuth server; empty = system CAs."),
      plain("enrollmentGroups[].hubs[].authorization.provider.http.tls.useSystemCAPool", Kind::Bool,
            "false", "Trust the system's CAs too, besides caPool (always when caPool is empty)."),
      ignored("enrollmentGroups[].hubs[].authorization.provider.http.tls.certFile",
              "the client authenticates with its secret, not a certificate: an authority that "
              "requires client certificates refuses dps"),
      ignored("enrollmentGroups[].hubs[].authorization.provider.http.tls.keyFile",
              "the client authenticates with its secret, not a certificate: an authority that "
              "requires client certificates refuses dps"),
      ignored("enrollmentGroups[].hubs[].authorization.provider.http.tls.crl", kTlsCrl,
              "enabled=false"),
      ignored("enrollmentGroups[].hubs[].authorization.provider.http.maxIdleConns",
              "one connection per token fetch; tokens are cached", "*"),
      ignored("enrollmentGroups[].hubs[].authorization.provider.http.maxConnsPerHost",
              "one connection per token fetch; tokens are cached", "*"),
      ignored("enrollmentGroups[].hubs[].authorization.provider.http.maxIdleConnsPerHost",
              "one connection per token fetch; tokens are cached", "*"),
      ignored("enrollmentGroups[].hubs[].authorization.provider.http.idleConnTimeout",
              "one connection per token fetch; tokens are cached", "*"),
      ignored("enrollmentGroups[].hubs[].authorization.provider.http.timeout",
              "fixed: 5 s per request to the OAuth server", "=5s"),
  };
  return rows;
}

#undef DPS_CFG

struct Index {
  std::map<std::string_view, const Key*, std::less<>> by_path;
  std::map<std::string_view, std::vector<std::string_view>, std::less<>> children;
};

// "hubs[]" -> "hubs": the key as written in YAML.
std::string_view strip_list(std::string_view segment) {
  return segment.ends_with("[]") ? segment.substr(0, segment.size() - 2) : segment;
}

// Built once: every row, plus the implicit parent maps of every row ("apis", "apis.coap", ...).
const Index& index() {
  static const Index idx = [] {
    Index i;
    for (const Key& key : table()) {
      i.by_path.emplace(key.path, &key);
      std::string_view path = key.path;
      for (size_t dot = path.rfind('.'); dot != std::string_view::npos; dot = path.rfind('.')) {
        auto& names = i.children[path.substr(0, dot)];
        std::string_view name = strip_list(path.substr(dot + 1));
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
        path = path.substr(0, dot);
      }
      auto& top = i.children[""];
      std::string_view name = strip_list(path);
      if (std::find(top.begin(), top.end(), name) == top.end()) top.push_back(name);
    }
    return i;
  }();
  return idx;
}

}  // namespace

std::span<const Key> keys() { return table(); }

const Key* find(std::string_view pattern) {
  auto it = index().by_path.find(pattern);
  return it == index().by_path.end() ? nullptr : it->second;
}

std::vector<std::string_view> child_names(std::string_view pattern) {
  auto it = index().children.find(pattern);
  return it == index().children.end() ? std::vector<std::string_view>{} : it->second;
}

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::Object:
      return "map";
    case Kind::ObjectList:
      return "list of maps";
    case Kind::String:
      return "string";
    case Kind::Bool:
      return "bool";
    case Kind::Uint:
      return "unsigned integer";
    case Kind::Duration:
      return "duration";
    case Kind::StringList:
      return "list of strings";
    case Kind::Path:
      return "file path";
    case Kind::Dir:
      return "path";
    case Kind::Source:
      return "file, data: URI or PEM";
    case Kind::SourceList:
      return "list of files, data: URIs or PEM";
    case Kind::Ignored:
      return "ignored";
  }
  return "?";
}

}  // namespace dps::config::schema
