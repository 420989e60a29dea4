#include "support/tpm_ek_certificate.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "tpm/public_area.hpp"
#include "tpm/public_key.hpp"

namespace dps::tpm::test {
namespace {

std::string text_of(const std::string& path) {
  const Bytes bytes = read_file(path);
  return std::string(bytes.begin(), bytes.end());
}

std::string handle_text(std::uint32_t handle) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", handle);
  return text;
}

}  // namespace

Bytes issue_ek_certificate(const dps::test::TestCa& ca, ByteView ek_tpm2b,
                           const dps::test::EkCertificateOptions& options) {
  auto area = parse_tpm2b_public(ek_tpm2b);
  if (!area) throw std::runtime_error("issue_ek_certificate: " + area.error().internal);
  auto key = to_evp_pkey(*area);
  if (!key) throw std::runtime_error("issue_ek_certificate: " + key.error().internal);
  const auto cert = dps::test::make_ek_certificate(ca, key->get(), options);
  const auto der = dps::test::to_der(cert.get());
  return Bytes(der.begin(), der.end());
}

testing::AssertionResult store_in_nv(const Swtpm& tpm, std::uint32_t index, ByteView data) {
  const std::string handle = handle_text(index);
  const std::string file = "nv-" + handle + ".bin";
  write_file(tpm.file(file), data);
  const auto stored =
      tpm.tools("tpm2_nvdefine " + handle + " -C p -s " + std::to_string(data.size()) +
                " -a 'ppwrite|writedefine|ppread|ownerread|authread|no_da|platformcreate' && "
                "tpm2_nvwrite " +
                handle + " -C p -i " + file);
  if (stored.exit_code != 0) {
    return testing::AssertionFailure()
           << "storing " << data.size() << " bytes at NV " << handle << ": " << stored.output;
  }
  return testing::AssertionSuccess();
}

ManufacturedTpmState::ManufacturedTpmState() {
  const auto localca = run("command -v swtpm_localca");
  if (localca.exit_code != 0 || run("command -v swtpm_setup").exit_code != 0) {
    error_ = "swtpm_setup and swtpm_localca are not installed: run scripts/install-deps.sh";
    return;
  }
  const std::string ca = dir_.file("ca");
  std::filesystem::create_directories(ca);
  std::filesystem::create_directories(state_dir());
  // swtpm_localca's state (root key, issuing key, serial) in the temp dir instead of
  // /var/lib/swtpm-localca (root-owned), and swtpm_setup told to use it instead of /etc's.
  std::ofstream(localca_config_file())
      << "statedir = " << ca << "\nsigningkey = " << ca << "/signkey.pem\nissuercert = " << ca
      << "/issuercert.pem\ncertserial = " << ca << "/certserial\n";
  std::ofstream(localca_options_file())
      << "--platform-manufacturer dps-test\n--platform-version 2.1\n--platform-model dps-test\n";
  std::ofstream(dir_.file("swtpm_setup.conf"))
      << "create_certs_tool = " << localca.output.substr(0, localca.output.find('\n'))
      << "\ncreate_certs_tool_config = " << localca_config_file()
      << "\ncreate_certs_tool_options = " << localca_options_file()
      << "\nactive_pcr_banks = sha256\n";
  const auto made =
      run("swtpm_setup --tpm2 --tpmstate " + state_dir() + " --create-ek-cert --config " +
          dir_.file("swtpm_setup.conf") + " --logfile " + dir_.file("setup.log"));
  if (made.exit_code != 0) {
    error_ = "swtpm_setup failed: " + made.output + text_of(dir_.file("setup.log"));
    return;
  }
  vendor_chain_pem_ = text_of(issuer_certificate_file()) + text_of(root_certificate_file());
}

}  // namespace dps::tpm::test
