// Cross-check of make_credential / activate_credential against an independent implementation:
// tpm2-tools' tpm2_makecredential in its software mode (TCTI "none"), which wraps a secret with
// its own OpenSSL code. tpm2-tools 5.4 takes the Name as hex (-n), whatever its manual says. Our
// activate_credential must recover what it made.
#include <gtest/gtest.h>

#include "support/tpm_tools.hpp"
#include "tpm/credential.hpp"
#include "tpm/software_keys.hpp"

namespace dps::tpm {
namespace {

using test::KeyKind;

class TpmToolsSoftware : public testing::TestWithParam<KeyKind> {};

INSTANTIATE_TEST_SUITE_P(Keys, TpmToolsSoftware, testing::Values(KeyKind::Rsa2048, KeyKind::P256),
                         test::ek_kind_name);

TEST_P(TpmToolsSoftware, OurActivateRecoversTpm2MakecredentialsSecret) {
  ASSERT_TRUE(test::have_programs({"tpm2_makecredential"}));
  EVP_PKEY* ek_key = test::shared_key(GetParam());
  const auto ek = make_ek_public(ek_key);
  ASSERT_TRUE(ek) << ek.error().internal;
  const Bytes ak_name = make_ak_public(test::shared_key(KeyKind::P256, 1))->name();
  const Bytes secret = {'t', 'o', 'o', 'l', 's', '-', 'm', 'a', 'd', 'e', '!'};

  test::TempDir dir;
  test::write_file(dir.file("ek.pub"), wrap_tpm2b_public(ek->bytes));
  test::write_file(dir.file("secret"), secret);
  const auto made =
      test::run("tpm2_makecredential -T none -u " + dir.file("ek.pub") + " -s " +
                dir.file("secret") + " -n " + to_hex(ak_name) + " -o " + dir.file("cred.out"));
  ASSERT_EQ(made.exit_code, 0) << made.output;

  const auto credential = test::from_tools_credential_file(test::read_file(dir.file("cred.out")));
  ASSERT_TRUE(credential) << credential.error().internal;
  const auto recovered = activate_credential(ek_key, *ek, ak_name, credential->id_object,
                                             credential->encrypted_secret);
  ASSERT_TRUE(recovered) << recovered.error().internal;
  EXPECT_EQ(*recovered, secret);

  // Bound to the Name it was made for.
  Bytes other = ak_name;
  other[5] ^= 0x80;
  EXPECT_FALSE(
      activate_credential(ek_key, *ek, other, credential->id_object, credential->encrypted_secret));
}

}  // namespace
}  // namespace dps::tpm
