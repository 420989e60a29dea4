// JSON text encodings of the nested parts of entities, for SQL adapters that keep nested lists
// and provisioning-record sections in one text column each. Shared so that SQLite and PostgreSQL
// (jsonb) store byte-identical documents and a database can be moved between them.
//
// Encoding never fails: raw-byte secrets (pre-shared keys, client secrets) are hex-encoded, and
// any other string that is not valid UTF-8 has its bad bytes replaced by U+FFFD. Such a string
// could not be served through the JSON management API either, so nothing representable is lost,
// and one odd certificate CN can never fail a whole group-commit batch.
// Decoding fails (Internal) only on corrupt column text. Unknown keys are ignored and missing keys
// take defaults, so a newer dps can add fields without a migration.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "store/entities.hpp"

namespace dps::store::codec {

std::string encode(const std::vector<std::string>& strings);
std::string encode(const GrpcClientConfig& config);
std::string encode(const HubAuthorization& authorization);
std::string encode(const AttestationSection& section);
std::string encode(const PlgdTimeSection& section);
std::string encode(const OwnershipSection& section);
std::string encode(const CloudSection& section);
std::string encode(const CredentialSection& section);
std::string encode(const AclSection& section);
std::string encode(const PreConfigurationSection& section);
/// A template's pre-configuration: an array of {href, representation} (the JSON kept as a string).
std::string encode(const std::vector<ResourceUpdate>& updates);

/// Decodes text produced by encode() for the same T. Defined for exactly the types above.
/// @param column names the column in the error message.
template <class T>
Result<T> decode(std::string_view text, std::string_view column);

}  // namespace dps::store::codec
