// The JSON of POST /api/v1/explain (docs/openapi.yaml "explain"): the chain a request names and
// the certificate its answer describes. The decision itself is routes/explain.cpp's. Internal to
// src/api.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "pki/x509_ptr.hpp"

namespace dps::api {

/// The most certificates a chain to explain may hold: a device's leaf and the few intermediates
/// it sends. Bounds the verifications one request costs.
inline constexpr size_t kMaxExplainedCertificates = 10;

/// The body's `certificateChain` (PEM, or a data: URI holding it; never a file path), parsed:
/// the leaf first, then the intermediates, as a device sends them. BadRequest naming the field
/// for a body that is not JSON, an unknown field, a chain that is missing, empty, not PEM, holds
/// no certificate or more than kMaxExplainedCertificates (counted by their PEM blocks before any
/// is parsed).
[[nodiscard]] Result<std::vector<pki::X509Ptr>> explained_chain_from_json(std::string_view body);

/// What the answer shows of `cert`: subject and issuer (RFC 2253), serialNumber (lowercase hex,
/// the form revocation lists take), notBefore and notAfter (RFC 3339 UTC), publicKeySha256 (the
/// key individual enrollments name), commonName and extendedKeyUsage (short names such as
/// "clientAuth", dotted OIDs for the others; empty without the extension).
nlohmann::json certificate_json(X509* cert);

}  // namespace dps::api
