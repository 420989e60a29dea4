// TPM2B_PUBLIC parsing: what a created key looks like is accepted and keeps its exact bytes;
// every malformed or unsupported field is refused with a message naming it; Names, OpenSSL keys
// and key hashes agree with independent computations.
#include "tpm/public_area.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>

#include "support/tpm_tools.hpp"
#include "tpm/constants.hpp"
#include "tpm/hash_alg.hpp"
#include "tpm/public_key.hpp"
#include "tpm/software_keys.hpp"

namespace dps::tpm {
namespace {

using test::KeyKind;

class TpmPublicArea : public testing::TestWithParam<KeyKind> {
 protected:
  PublicArea ek() const { return *make_ek_public(test::shared_key(GetParam())); }
  Bytes ek_tpm2b() const { return wrap_tpm2b_public(ek().bytes); }
};

INSTANTIATE_TEST_SUITE_P(Keys, TpmPublicArea, testing::Values(KeyKind::Rsa2048, KeyKind::P256),
                         test::key_kind_name);

// Replaces the UINT16/UINT32 at `offset` of a TPMT_PUBLIC and returns the TPM2B_PUBLIC.
Bytes patched(Bytes tpmt, std::size_t offset, std::uint32_t value, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) {
    tpmt[offset + i] = static_cast<std::uint8_t>(value >> (8 * (width - 1 - i)));
  }
  return wrap_tpm2b_public(tpmt);
}

std::string parse_error(ByteView tpm2b) {
  const auto parsed = parse_tpm2b_public(tpm2b);
  return parsed ? std::string("accepted") : parsed.error().internal;
}

TEST_P(TpmPublicArea, ParsesTheEkTemplateAndKeepsItsExactBytes) {
  const auto parsed = parse_tpm2b_public(ek_tpm2b());
  ASSERT_TRUE(parsed) << parsed.error().internal;
  EXPECT_EQ(parsed->bytes, ek().bytes);
  EXPECT_EQ(parsed->name_alg, kAlgSha256);
  EXPECT_EQ(parsed->attributes, 0x000300b2u);
  EXPECT_TRUE(parsed->restricted() && parsed->decrypt() && parsed->fixed_tpm() &&
              parsed->fixed_parent() && parsed->sensitive_data_origin() && !parsed->sign());
  EXPECT_EQ(parsed->symmetric.algorithm, kAlgAes);
  EXPECT_EQ(parsed->symmetric.key_bits, 128);
  EXPECT_EQ(encode_tpmt_public(*parsed), parsed->bytes);
}

TEST_P(TpmPublicArea, NameIsNameAlgThenTheHashOfTheTpmtPublic) {
  const PublicArea area = ek();
  const Bytes name = area.name();
  ASSERT_EQ(name.size(), 34u);
  EXPECT_EQ(name[0], 0x00);
  EXPECT_EQ(name[1], 0x0b);
  unsigned char digest[32];
  SHA256(area.bytes.data(), area.bytes.size(), digest);
  EXPECT_EQ(Bytes(name.begin() + 2, name.end()), Bytes(std::begin(digest), std::end(digest)));
}

TEST_P(TpmPublicArea, KeyHashEqualsTheOpensslKeysSpkiHashAndThePemHash) {
  EVP_PKEY* key = test::shared_key(GetParam());
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key, &der);
  unsigned char digest[32];
  SHA256(der, static_cast<std::size_t>(size), digest);
  OPENSSL_free(der);
  const std::string expected = to_hex(ByteView(digest, 32));

  const auto by_area = key_hash(ek());
  ASSERT_TRUE(by_area) << by_area.error().internal;
  EXPECT_EQ(*by_area, expected);

  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* text = nullptr;
  const long length = BIO_get_mem_data(bio, &text);
  const std::string pem(text, static_cast<std::size_t>(length));
  BIO_free(bio);
  const auto by_pem = key_hash_of_pem(pem);
  ASSERT_TRUE(by_pem) << by_pem.error().internal;
  EXPECT_EQ(*by_pem, expected);
  EXPECT_FALSE(key_hash_of_pem(pem + pem));
  EXPECT_FALSE(key_hash_of_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"));
}

TEST_P(TpmPublicArea, RefusesEveryTruncation) {
  const Bytes full = ek_tpm2b();
  for (std::size_t n = 0; n < full.size(); ++n) {
    // Truncated input with the original size: the TPM2B claims more than there is.
    const std::string error = parse_error(ByteView(full).first(n));
    EXPECT_NE(error.find("truncated"), std::string::npos) << n << ": " << error;
  }
  const Bytes tpmt = ek().bytes;
  for (std::size_t n = 0; n < tpmt.size(); ++n) {
    // A consistent size around a truncated TPMT_PUBLIC: the field that runs out is named.
    const auto parsed = parse_tpmt_public(ByteView(tpmt).first(n));
    ASSERT_FALSE(parsed) << n;
    EXPECT_EQ(parsed.error().code, ErrorCode::BadRequest);
    EXPECT_EQ(parsed.error().internal.rfind("TPMT_PUBLIC.", 0), 0u) << parsed.error().internal;
  }
}

TEST_P(TpmPublicArea, RefusesTrailingBytesInsideAndAfterTheSizedBuffer) {
  Bytes tpmt = ek().bytes;
  Bytes after = wrap_tpm2b_public(tpmt);
  after.push_back(0);
  EXPECT_EQ(parse_error(after), "TPM2B_PUBLIC: 1 trailing bytes");
  tpmt.push_back(0);
  EXPECT_EQ(parse_error(wrap_tpm2b_public(tpmt)), "TPMT_PUBLIC: 1 trailing bytes");
}

TEST_P(TpmPublicArea, RefusesOversizedAndEmptySizes) {
  EXPECT_EQ(parse_error(Bytes{0xff, 0xff}), "TPM2B_PUBLIC.size: 65535 above the maximum 588");
  EXPECT_EQ(parse_error(Bytes{0x00, 0x00}), "TPM2B_PUBLIC.size: empty public area");
  // authPolicy claiming more than a digest (offset 8: after type, nameAlg, attributes).
  EXPECT_EQ(parse_error(patched(ek().bytes, 8, 0x0100, 2)),
            "TPMT_PUBLIC.authPolicy: size 256 above the maximum 48");
}

TEST_P(TpmPublicArea, RefusesUnknownAlgorithmsNamingTheField) {
  const Bytes tpmt = ek().bytes;
  EXPECT_EQ(parse_error(patched(tpmt, 0, 0x0008, 2)),
            "TPMT_PUBLIC.type: unsupported key type 0x0008 (expected RSA 0x0001 or ECC 0x0023)");
  EXPECT_EQ(parse_error(patched(tpmt, 2, kAlgSha1, 2)),
            "TPMT_PUBLIC.nameAlg: hash algorithm 0x0004 (SHA-1) refused; use SHA-256");
  EXPECT_EQ(parse_error(patched(tpmt, 2, 0x0099, 2)),
            "TPMT_PUBLIC.nameAlg: unsupported hash algorithm 0x0099");
  // symmetric.algorithm follows the 32-byte authPolicy (offset 8 + 2 + 32).
  EXPECT_EQ(parse_error(patched(tpmt, 42, 0x0025, 2)),
            "TPMT_PUBLIC.parameters.symmetric.algorithm: unsupported 0x0025 (expected AES or "
            "NULL)");
  EXPECT_EQ(parse_error(patched(tpmt, 46, 0x0044, 2)),
            "TPMT_PUBLIC.parameters.symmetric.mode: 0x0044 unsupported (expected CFB 0x0043)");
  EXPECT_NE(parse_error(patched(tpmt, 48, 0x001a, 2)).find("parameters.scheme.scheme: unsupported"),
            std::string::npos);
}

TEST_P(TpmPublicArea, RefusesReservedAttributeBitsAndAWrongPolicySize) {
  const Bytes tpmt = ek().bytes;
  EXPECT_EQ(parse_error(patched(tpmt, 4, 0x000300b2 | 0x8, 4)),
            "TPMT_PUBLIC.objectAttributes: reserved bits 00000008 set");
  PublicArea area = ek();
  area.auth_policy.resize(20);
  EXPECT_EQ(parse_error(wrap_tpm2b_public(encode_tpmt_public(area))),
            "TPMT_PUBLIC.authPolicy: 20 bytes is neither empty nor a nameAlg digest");
}

TEST_P(TpmPublicArea, RefusesUnsupportedKeySizesAndCurves) {
  PublicArea area = ek();
  if (GetParam() == KeyKind::Rsa2048) {
    area.rsa_key_bits = 1024;
    EXPECT_EQ(parse_error(wrap_tpm2b_public(encode_tpmt_public(area))),
              "TPMT_PUBLIC.parameters.keyBits: 1024 unsupported (expected 2048)");
    area = ek();
    area.rsa_modulus.resize(128);
    EXPECT_NE(parse_error(wrap_tpm2b_public(encode_tpmt_public(area))).find("unique.rsa"),
              std::string::npos);
    area = ek();
    area.rsa_exponent = 4;
    EXPECT_NE(parse_error(wrap_tpm2b_public(encode_tpmt_public(area))).find("exponent"),
              std::string::npos);
  } else {
    area.ecc_curve = 0x0004;
    EXPECT_EQ(parse_error(wrap_tpm2b_public(encode_tpmt_public(area))),
              "TPMT_PUBLIC.parameters.curveID: 0x0004 unsupported (expected NIST P-256 0x0003)");
    area = ek();
    area.ecc_y.clear();  // a template's empty unique, not a created key
    EXPECT_NE(parse_error(wrap_tpm2b_public(encode_tpmt_public(area))).find("unique.ecc"),
              std::string::npos);
    area = ek();
    area.ecc_y[31] ^= 1;  // parses, but is no point of the curve
    const auto parsed = parse_tpm2b_public(wrap_tpm2b_public(encode_tpmt_public(area)));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(to_evp_pkey(*parsed).error().code, ErrorCode::BadRequest);
  }
}

TEST_P(TpmPublicArea, AttestationKeyCheckNamesTheWrongAttribute) {
  EVP_PKEY* key = test::shared_key(GetParam());
  const auto ak = make_ak_public(key);
  ASSERT_TRUE(ak) << ak.error().internal;
  EXPECT_TRUE(check_attestation_key(*ak));
  const std::uint32_t good = default_ak_attributes();
  const struct {
    std::uint32_t attributes;
    const char* message;
  } cases[] = {
      {good & ~kAttrRestricted, "AK: restricted is not set"},
      {good & ~kAttrSign, "AK: sign is not set"},
      {good | kAttrDecrypt, "AK: decrypt is set"},
      {good & ~kAttrFixedTpm, "AK: fixedTPM is not set"},
      {good & ~kAttrFixedParent, "AK: fixedParent is not set"},
      {good & ~kAttrSensitiveDataOrigin, "AK: sensitiveDataOrigin is not set"},
  };
  for (const auto& c : cases) {
    const auto bad = make_ak_public(key, c.attributes);
    ASSERT_TRUE(bad) << bad.error().internal;
    const auto checked = check_attestation_key(*bad);
    ASSERT_FALSE(checked) << c.message;
    EXPECT_EQ(checked.error().code, ErrorCode::Forbidden);
    EXPECT_EQ(checked.error().internal.rfind(c.message, 0), 0u) << checked.error().internal;
  }
  // The EK (a decryption key) is no AK.
  EXPECT_FALSE(check_attestation_key(ek()));
}

}  // namespace
}  // namespace dps::tpm
