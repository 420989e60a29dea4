// TPM 2.0 wire constants used by dps (TPM 2.0 Part 2 "Structures", rev 1.59; section numbers
// beside each group). Only what dps parses or produces; anything else is refused by the parsers.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dps::tpm {

// TPM_ALG_ID (Part 2 §6.3, Table 9).
inline constexpr std::uint16_t kAlgRsa = 0x0001;
inline constexpr std::uint16_t kAlgSha1 = 0x0004;
inline constexpr std::uint16_t kAlgAes = 0x0006;
inline constexpr std::uint16_t kAlgSha256 = 0x000B;
inline constexpr std::uint16_t kAlgSha384 = 0x000C;
inline constexpr std::uint16_t kAlgNull = 0x0010;
inline constexpr std::uint16_t kAlgRsassa = 0x0014;
inline constexpr std::uint16_t kAlgRsaes = 0x0015;
inline constexpr std::uint16_t kAlgRsapss = 0x0016;
inline constexpr std::uint16_t kAlgOaep = 0x0017;
inline constexpr std::uint16_t kAlgEcdsa = 0x0018;
inline constexpr std::uint16_t kAlgEcdh = 0x0019;
inline constexpr std::uint16_t kAlgKdf1Sp800_56a = 0x0020;
inline constexpr std::uint16_t kAlgKdf2 = 0x0021;
inline constexpr std::uint16_t kAlgKdf1Sp800_108 = 0x0022;
inline constexpr std::uint16_t kAlgEcc = 0x0023;
inline constexpr std::uint16_t kAlgCfb = 0x0043;

// TPM_ECC_CURVE (Part 2 §6.4).
inline constexpr std::uint16_t kEccNistP256 = 0x0003;

// TPM_ST (Part 2 §6.9) and TPM_GENERATED_VALUE (§6.2): the magic that only the TPM puts at the
// start of the structures it signs.
inline constexpr std::uint32_t kGeneratedValue = 0xff544347;
inline constexpr std::uint16_t kStAttestCertify = 0x8017;

// TPMA_OBJECT bits (Part 2 §8.3).
inline constexpr std::uint32_t kAttrFixedTpm = 1u << 1;
inline constexpr std::uint32_t kAttrStClear = 1u << 2;
inline constexpr std::uint32_t kAttrFixedParent = 1u << 4;
inline constexpr std::uint32_t kAttrSensitiveDataOrigin = 1u << 5;
inline constexpr std::uint32_t kAttrUserWithAuth = 1u << 6;
inline constexpr std::uint32_t kAttrAdminWithPolicy = 1u << 7;
inline constexpr std::uint32_t kAttrNoDa = 1u << 10;
inline constexpr std::uint32_t kAttrEncryptedDuplication = 1u << 11;
inline constexpr std::uint32_t kAttrRestricted = 1u << 16;
inline constexpr std::uint32_t kAttrDecrypt = 1u << 17;
inline constexpr std::uint32_t kAttrSign = 1u << 18;
inline constexpr std::uint32_t kAttrX509Sign = 1u << 19;
// Bits 0, 3, 8, 9, 12-15 and 20-31 are reserved; the TPM refuses them (TPM_RC_RESERVED_BITS).
inline constexpr std::uint32_t kAttrReservedMask = 0xfff0f309u;

// Buffer bounds of the reference implementation's TPM2B types (Part 2 §10, Part 4
// "Implementation.h" with SHA-384 and RSA up to 4096 enabled): a size above these never comes
// from a TPM.
inline constexpr std::size_t kMaxDigestSize = 48;                // TPM2B_DIGEST (SHA-384)
inline constexpr std::size_t kMaxNameSize = 2 + kMaxDigestSize;  // TPM2B_NAME: alg id + digest
inline constexpr std::size_t kMaxDataSize = 2 + kMaxDigestSize;  // TPM2B_DATA: sizeof(TPMT_HA)
inline constexpr std::size_t kMaxRsaKeyBytes = 512;              // TPM2B_PUBLIC_KEY_RSA
inline constexpr std::size_t kMaxEccKeyBytes = 48;               // TPM2B_ECC_PARAMETER
inline constexpr std::size_t kMaxPublicSize =
    2 + 2 + 4 + (2 + kMaxDigestSize) + 16 + (2 + kMaxRsaKeyBytes);       // TPMT_PUBLIC, RSA bound
inline constexpr std::size_t kMaxEncryptedSecretSize = kMaxRsaKeyBytes;  // TPM2B_ENCRYPTED_SECRET
inline constexpr std::size_t kMaxIdObjectSize =
    2 + kMaxDigestSize + 2 + kMaxDigestSize;         // TPM2B_ID_OBJECT
inline constexpr std::size_t kMaxAttestSize = 1024;  // TPM2B_ATTEST (sizeof(TPMS_ATTEST))

}  // namespace dps::tpm
