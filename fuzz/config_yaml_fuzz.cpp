// libFuzzer target for the YAML config loader (config::load_text: yaml-cpp behind the schema
// walker, value parsing, data: URIs, enrollment groups and hubs), from memory, with relative paths
// resolved against an empty temp dir.
//
// Checks: loading never throws (config.hpp); a refusal is BadRequest with a message; a loaded
// config keeps the promises docs/configuration.md makes about groups and hubs.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>

#include "config/config.hpp"
#include "fuzz_support.hpp"

namespace {

bool is_uuid(const std::string& text) {
  // Canonical 8-4-4-4-12 hex, the form config/values.cpp accepts.
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (text[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

void check_loaded(const dps::config::Config& config) {
  for (const auto& hub : config.hubs) {
    FUZZ_REQUIRE(is_uuid(hub.id) && is_uuid(hub.hub_id) && !hub.owner.empty());
    FUZZ_REQUIRE(!hub.name.empty() && !hub.gateways.empty());
    for (const auto& gateway : hub.gateways) {
      FUZZ_REQUIRE(gateway.find("://") != std::string::npos);
    }
    FUZZ_REQUIRE(!hub.authorization.owner_claim.empty());
    FUZZ_REQUIRE(std::count_if(config.hubs.begin(), config.hubs.end(),
                               [&](const auto& other) { return other.id == hub.id; }) == 1);
  }
  for (const auto& group : config.enrollment_groups) {
    FUZZ_REQUIRE(is_uuid(group.id) && !group.owner.empty() && !group.name.empty());
    FUZZ_REQUIRE(group.pre_shared_key.empty() || group.pre_shared_key.size() >= 16);
    FUZZ_REQUIRE(group.x509.certificate_chain.find("-----BEGIN CERTIFICATE-----") !=
                 std::string::npos);
    FUZZ_REQUIRE(!group.hub_ids.empty());
    for (const auto& hub_id : group.hub_ids) {
      // Every hub a group names is stored, with the group's owner.
      FUZZ_REQUIRE(std::any_of(config.hubs.begin(), config.hubs.end(), [&](const auto& hub) {
        return hub.hub_id == hub_id && hub.owner == group.owner;
      }));
    }
  }
}

// The base directory holds the files the config unit tests write, so their YAML (the seeds)
// loads here too. Their content is not parsed by the loader (pki checks chains later).
const dps::fuzz::TempDir& base_dir() {
  static const dps::fuzz::TempDir dir;
  static const bool populated = [] {
    constexpr std::string_view kPem =
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const std::pair<std::string_view, std::string_view> files[] = {
        {"chain.pem", kPem},
        {"conf/certs/chain.pem", kPem},
        {"conf/psk", "0123456789abcdef-and-more"},
        {"crl.pem", "-----BEGIN X509 CRL-----\n-----END X509 CRL-----\n"},
        {"file.pem", "x"},
        {"secrets/psk", "0123456789012345"},
        {"ca/ca.crt", "crt"},
        {"ca/ca.key", "key"},
        {"secrets/private/cert.key", "key"},
        {"secrets/public/cert.crt", kPem},
        {"secrets/public/rootca.crt", kPem},
        {"secrets/enrollmentgroups/psks/5db6ccde-05e1-480b-a522-c1591ad7dfd2/psk",
         "0123456789012345"},
        {"secrets/enrollmentgroups/x509/5db6ccde-05e1-480b-a522-c1591ad7dfd2/"
         "certificatechain.crt",
         kPem},
        {"secrets/enrollmentgroups/hubs/oauth/5db6ccde-05e1-480b-a522-c1591ad7dfd2/clientsecret",
         "secret"},
    };
    for (const auto& [name, content] : files) {
      const std::filesystem::path path = dir.path() / name;
      std::filesystem::create_directories(path.parent_path());
      std::ofstream(path, std::ios::binary) << content;
    }
    return true;
  }();
  (void)populated;
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  auto loaded = dps::config::load_text(yaml, base_dir().path());
  if (!loaded) {
    dps::fuzz::note("refused: " + loaded.error().internal);
    FUZZ_REQUIRE(loaded.error().code == dps::ErrorCode::BadRequest);
    FUZZ_REQUIRE(!loaded.error().internal.empty());
    return 0;
  }
  dps::fuzz::note("loaded: " + std::to_string(loaded->config.enrollment_groups.size()) +
                  " groups, " + std::to_string(loaded->config.hubs.size()) + " hubs, " +
                  std::to_string(loaded->warnings.size()) + " warnings");
  check_loaded(loaded->config);
  for (const auto& warning : loaded->warnings) FUZZ_REQUIRE(!warning.empty());
  return 0;
}
