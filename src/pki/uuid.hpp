// RFC 4122 UUIDs: the owner id (OwnerToUUID), the registration id of a device and device ids.
// Device-protocol §2 fixes the namespaces and gives the test vectors.
#pragma once

#include <openssl/x509.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace dps::pki {

struct Uuid {
  std::array<uint8_t, 16> bytes{};

  /// Canonical lowercase 8-4-4-4-12 form.
  std::string to_string() const;
  bool is_nil() const;
  /// Accepts only the canonical 36-character form, either case. Braces, "urn:uuid:" and the
  /// 32-digit form are refused: ids on the wire and in certificates are canonical, and accepting
  /// more would let two spellings of one id look different elsewhere.
  static std::optional<Uuid> parse(std::string_view text);
  /// The device id of an OCF certificate or CSR common name, "uuid:<canonical UUID>"; nullopt for
  /// any other name, and for the nil UUID (no device has it).
  static std::optional<Uuid> from_ocf_common_name(std::string_view cn);

  friend bool operator==(const Uuid&, const Uuid&) = default;
};

/// RFC 4122 §4.3 name-based UUID with SHA-1 (version 5).
Uuid uuid_v5(const Uuid& name_space, std::span<const uint8_t> name);

/// RFC 4122 §4.4 random UUID (version 4) from OpenSSL's CSPRNG. Aborts the process with a message
/// on stderr if the CSPRNG fails: there is no error path, and a predictable id is never returned.
Uuid random_uuid_v4();

/// RFC 4122 Appendix C namespaces.
inline constexpr Uuid kNamespaceUrl{{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4,
                                     0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}};
inline constexpr Uuid kNamespaceX500{{0x6b, 0xa7, 0xb8, 0x14, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4,
                                      0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}};

/// plgd's OwnerToUUID (device-protocol §2): the owner itself, in canonical lowercase, if it is a
/// non-nil UUID; otherwise UUIDv5(namespace URL, owner bytes).
std::string owner_to_uuid(std::string_view owner);

/// The provisioning record id of a device: UUIDv5(namespace X.500, DER SubjectPublicKeyInfo of
/// its leaf certificate). Stable across certificate renewals that keep the key.
/// @return empty string only if the certificate has no encodable public key (cannot happen for
///         a certificate that came through a TLS handshake).
std::string registration_id(X509* leaf);

}  // namespace dps::pki
