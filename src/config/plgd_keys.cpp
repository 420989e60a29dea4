// plgd keys that need more than a schema row: the ones dps refuses in some of their values (with
// what to use instead), plgd's older single-authority form, the store choice between plgd's
// MongoDB section and dps's own, and the checks of mutual TLS on the API. An operator starting
// from plgd's config.yaml gets a working service or an error naming the key; never a setting
// that is accepted and silently does nothing (docs/deployment.md, "Migrating from plgd").
#include <algorithm>

#include "config/convert.hpp"

namespace dps::config {
namespace {

Result<void> refuse_enabled(const Node& doc, const std::string& key, const std::string& why) {
  if (!doc.get<bool>(key)) return {};
  return invalid(key, "true is not supported: " + why);
}

Result<void> refuse_unsupported(const Node& doc) {
  if (auto done = refuse_enabled(
          doc, "apis.coap.tls.crl.enabled",
          "dps does not fetch CRLs from the certificates' distribution points; put the CRLs in "
          "enrollmentGroups[].crl (PEM) or list revoked certificates in "
          "enrollmentGroups[].revokedCertificates, and set this to false");
      !done) {
    return done;
  }
  if (auto done = refuse_enabled(
          doc, "apis.http.tls.crl.enabled",
          "API callers' certificates are not checked against CRLs; revoke a caller's token with "
          "`dps revoke-token` or remove its CA from apis.http.tls.caPool, and set this to false");
      !done) {
    return done;
  }
  return refuse_enabled(doc, "clients.openTelemetryCollector.grpc.enabled",
                        "traces are not exported (dps serves Prometheus metrics at /metrics of "
                        "the management API); set this to false");
}

// plgd's older form (authorization.authority + audience) names one issuer without endpoints[].
void add_single_authority(const Node& doc, Config& config) {
  auto authority = doc.get<std::string>("apis.http.authorization.authority");
  auto& all = config.http.authorities;
  if (!authority.empty() && std::find(all.begin(), all.end(), authority) == all.end()) {
    all.push_back(std::move(authority));
  }
}

// MongoDB is plgd's store. Refusing it whenever the section is present would refuse plgd's own
// config.yaml (which carries the section with an empty uri); accepting a uri while no dps store
// is named would start on an empty SQLite store in place of the data the operator pointed at.
Result<void> choose_store(const Node& doc, const Config& config,
                          std::vector<std::string>& warnings) {
  const auto use = doc.get<std::string>("clients.storage.use");
  const bool postgres = !config.storage.postgres.uri.empty();
  if (use == "mongoDB" || use == "cqlDB") {
    return invalid("clients.storage.use",
                   use +
                       " is not supported: dps stores in SQLite or PostgreSQL; set sqlite (the "
                       "default, file clients.storage.sqlite.path) or postgres (with "
                       "clients.storage.postgres.uri)");
  }
  if (use == "postgres" && !postgres) {
    return invalid("clients.storage.postgres.uri", "required with clients.storage.use: postgres");
  }
  if (use == "sqlite" && postgres) {
    return invalid("clients.storage.use",
                   "sqlite, but clients.storage.postgres.uri is set: choose one store");
  }
  const Node* mongo = doc.at("clients.storage.mongoDB");
  if (!mongo) return {};
  const bool dps_store_named = !use.empty() || postgres || doc.at("clients.storage.sqlite.path");
  if (!doc.get<std::string>("clients.storage.mongoDB.uri").empty() && !dps_store_named) {
    return invalid("clients.storage.mongoDB.uri",
                   "dps does not use MongoDB: it stores in SQLite or PostgreSQL. Set "
                   "clients.storage.postgres.uri (a store shared by replicas) or "
                   "clients.storage.use: sqlite (file clients.storage.sqlite.path, default "
                   "<dataDirectory>/dps.db), and remove clients.storage.mongoDB; nothing is "
                   "copied from MongoDB (re-create enrollment groups and hubs through the "
                   "management API or enrollmentGroups)");
  }
  warnings.push_back(std::string(mongo->path) + ": ignored (dps stores in " +
                     (postgres ? "PostgreSQL, clients.storage.postgres.uri" : "SQLite") + ")");
  return {};
}

Result<void> check_mutual_tls(const Config& config) {
  const HttpApi& http = config.http;
  if (!http.enabled || !http.client_certificate_required) return {};
  if (!http.tls_enabled) {
    return invalid("apis.http.tls.clientCertificateRequired",
                   "true needs apis.http.tls.enabled: true (client certificates are a TLS "
                   "feature)");
  }
  if (http.client_ca_pool.empty()) {
    return invalid("apis.http.tls.caPool",
                   "required while clientCertificateRequired is true: the CAs that callers' "
                   "certificates must chain to");
  }
  return {};
}

}  // namespace

Result<void> apply_plgd_keys(const Node& doc, Config& config, std::vector<std::string>& warnings) {
  if (auto done = refuse_unsupported(doc); !done) return done;
  add_single_authority(doc, config);
  if (auto done = choose_store(doc, config, warnings); !done) return done;
  return check_mutual_tls(config);
}

}  // namespace dps::config
