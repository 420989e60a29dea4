// libFuzzer target for the PKI parsers fed by peers and API callers: the device's CSR
// (pki::validate_csr, PEM as sent, and arbitrary DER wrapped in a PEM block so the ASN.1 decoder
// sees every byte), and an enrollment group's trust material (pki::build_trust_group: chain PEM,
// lead name, revocation entries, CRL PEM), then a device chain matched against the group
// (pki::TrustGroupIndex::match, the handshake's verdict, and TrustGroup::revocation_reason).
//
// Input: byte 0 % 3 selects the mode.
//   0, 1  CSR: up to the first '\n' the expected device id (empty line: none), then the CSR as
//         PEM (0) or DER (1).
//   2     trust group: sections separated by "\n~~~\n": flags ('e' expiredCertificateEnabled,
//         'd' disabled), chain PEM, lead certificate name, revoked entries (one per line), CRL
//         PEM, the device's chain PEM (leaf first).
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "pki/chain_verifier.hpp"
#include "pki/csr.hpp"
#include "pki/pem.hpp"
#include "pki/trust_group.hpp"
#include "pki/uuid.hpp"

namespace {

using dps::ErrorCode;
namespace pki = dps::pki;

// A fixed verification time keeps runs reproducible (the seeds' certificates are valid then).
const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1796083200));

// `der` in a PEM block of `label` (64 base64 characters a line), also when `der` is empty.
std::string pem_block(std::string_view label, std::string_view der) {
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  unsigned char line[65];
  for (size_t at = 0; at < der.size(); at += 48) {
    const size_t n = std::min<size_t>(48, der.size() - at);
    const int written = EVP_EncodeBlock(
        line, reinterpret_cast<const unsigned char*>(der.data()) + at, static_cast<int>(n));
    out.append(reinterpret_cast<const char*>(line), static_cast<size_t>(written));
    out += '\n';
  }
  return out + "-----END " + std::string(label) + "-----\n";
}

void fuzz_csr(std::string_view input, bool der) {
  const size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return;
  const std::string_view expected_text = input.substr(0, newline);
  const std::string_view body = input.substr(newline + 1);
  std::optional<std::string_view> expected;
  if (!expected_text.empty()) expected = expected_text;
  const std::string pem = der ? pem_block("CERTIFICATE REQUEST", body) : std::string(body);

  auto csr = pki::validate_csr(pem, expected);
  if (!csr) {
    dps::fuzz::note("CSR refused: " + csr.error().internal);
    FUZZ_REQUIRE(csr.error().code == ErrorCode::BadRequest);
    FUZZ_REQUIRE(!csr.error().peer_message().empty());
    return;
  }
  // The device id is canonical and is the one the caller expected.
  dps::fuzz::note("CSR accepted: " + csr->device_id);
  const auto id = pki::Uuid::parse(csr->device_id);
  FUZZ_REQUIRE(id && !id->is_nil() && id->to_string() == csr->device_id);
  if (expected) FUZZ_REQUIRE(pki::Uuid::parse(*expected) == id);
  // The accepted request re-encodes, and the re-encoding passes the same checks with the same id.
  pki::BioPtr bio(BIO_new(BIO_s_mem()));
  FUZZ_REQUIRE(bio && PEM_write_bio_X509_REQ(bio.get(), csr->request.get()) == 1);
  char* text = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &text);
  auto again = pki::validate_csr(std::string_view(text, static_cast<size_t>(n)), expected);
  FUZZ_REQUIRE(again.has_value());
  FUZZ_REQUIRE(again->device_id == csr->device_id);
}

std::vector<std::string_view> split(std::string_view text, std::string_view separator) {
  std::vector<std::string_view> parts;
  for (size_t at = text.find(separator); at != std::string_view::npos; at = text.find(separator)) {
    parts.push_back(text.substr(0, at));
    text.remove_prefix(at + separator.size());
  }
  parts.push_back(text);
  return parts;
}

void fuzz_trust_group(std::string_view input) {
  auto sections = split(input, "\n~~~\n");
  sections.resize(6);
  pki::TrustGroupSpec spec;
  spec.group_id = "9f0e4f5a-7d45-4b7a-9c41-0f3a4c1d2e3f";
  spec.expired_certificate_enabled = sections[0].find('e') != std::string_view::npos;
  spec.disabled = sections[0].find('d') != std::string_view::npos;
  spec.certificate_chain_pem = sections[1];
  spec.lead_certificate_name = sections[2];
  for (auto line : split(sections[3], "\n")) {
    if (!line.empty()) spec.revoked.emplace_back(line);
  }
  spec.crl_pem = sections[4];

  auto group = pki::build_trust_group(spec);
  if (!group) {
    dps::fuzz::note("group refused: " + group.error().internal);
    FUZZ_REQUIRE(group.error().code == ErrorCode::BadRequest);
    FUZZ_REQUIRE(group.error().internal.starts_with("enrollment group " + spec.group_id + ": "));
    return;
  }
  const pki::TrustGroup& trust = **group;
  FUZZ_REQUIRE(!trust.lead_name().empty());
  FUZZ_REQUIRE(trust.disabled() == spec.disabled);
  // The chain's first certificate re-encodes and parses back to the same certificate.
  auto first_pem = pki::to_pem(trust.first_certificate());
  FUZZ_REQUIRE(first_pem.has_value());
  auto first = pki::parse_certificates_pem(*first_pem);
  FUZZ_REQUIRE(first && first->size() == 1);
  FUZZ_REQUIRE(X509_cmp(first->front().get(), trust.first_certificate()) == 0);

  // The device's side: its chain as presented at the handshake.
  if (sections[5].empty()) return;
  auto peer = pki::parse_certificates_pem(sections[5]);
  if (!peer) return;
  std::vector<X509*> chain;
  for (const auto& cert : *peer) chain.push_back(cert.get());
  if (auto reason = trust.revocation_reason(chain)) dps::fuzz::note("revoked: " + *reason);
  pki::TrustGroupIndex index({*group});
  pki::TrustGroupIndex::RefusalKind refusal = pki::TrustGroupIndex::RefusalKind::NoGroup;
  auto match = index.match(chain, kNow, &refusal);
  dps::fuzz::note(match ? "device admitted" : "device refused: " + match.error().internal);
  if (match) {
    FUZZ_REQUIRE(match->group_id == spec.group_id);
    FUZZ_REQUIRE(!spec.disabled);
  } else {
    FUZZ_REQUIRE(match.error().code == ErrorCode::Forbidden);
    FUZZ_REQUIRE(!match.error().peer_message().empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      fuzz_csr(input, /*der=*/false);
      break;
    case 1:
      fuzz_csr(input, /*der=*/true);
      break;
    default:
      fuzz_trust_group(input);
      break;
  }
  return 0;
}
