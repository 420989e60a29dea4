// POST /api/v1/provisioning/credentials (device-protocol §3.4): check the CSR, have it signed by
// the device's hub's certificate authority (plgd's, over gRPC) or dps's built-in CA, answer with
// the identity certificate, the trust CA and the group's PSK.
#include "pki/certificate_signer.hpp"
#include "pki/csr.hpp"
#include "pki/uuid.hpp"
#include "provisioning/content.hpp"
#include "provisioning/hub_certificate_authorities.hpp"
#include "provisioning/payloads.hpp"
#include "provisioning/steps.hpp"
#include "tpm/public_key.hpp"

namespace dps::provisioning {
namespace {

constexpr size_t kPreSharedKeySize = 16;
constexpr std::string_view kPemEncoding = "oic.sec.encoding.pem";

Result<std::string> csr_pem_of(const nlohmann::json& body) {
  auto csr = body.find("csr");
  if (csr == body.end() || !csr->is_object()) {
    return fail(ErrorCode::BadRequest, "missing \"csr\" map");
  }
  auto encoding = csr->find("encoding");
  if (encoding == csr->end() || !encoding->is_string() ||
      encoding->get_ref<const std::string&>() != kPemEncoding) {
    return fail(ErrorCode::BadRequest, "\"csr.encoding\" must be \"oic.sec.encoding.pem\"");
  }
  auto data = csr->find("data");
  if (data != csr->end() && data->is_string()) return data->get<std::string>();
  // Some stacks put PEM text in a byte string; the bytes are the same either way.
  if (data != csr->end() && data->is_binary()) {
    const auto& bytes = data->get_binary();
    return std::string(bytes.begin(), bytes.end());
  }
  return fail(ErrorCode::BadRequest, "missing \"csr.data\"");
}

// plgd's DPS authenticates to the hub's certificate authority with the hub's token for the
// group's owner (only the owner claim: the CA takes the device id from the CSR).
Result<pki::IssuedCertificate> sign_with_hub_ca(const StepInput& in, const store::Hub& hub,
                                                const std::string& csr_pem,
                                                const pki::ValidatedCsr& csr) {
  HubCertificateAuthorities* cas = in.context.services.hub_cas;
  if (cas == nullptr) {
    return fail(ErrorCode::Internal,
                "hub " + hub.hub_id + " names a certificate authority; this server has no client");
  }
  auth::TokenRequest token_request;
  token_request.owner = in.group.owner;
  token_request.owner_claim = hub.authorization.owner_claim;
  token_request.hub_id = hub.hub_id;
  token_request.audience = hub.authorization.provider.audience;
  auto token = hub_token(in, hub, token_request);
  if (!token) return tl::unexpected(token.error());
  return cas->sign(hub, csr_pem, csr, *token);
}

// A device whose TPM certified its identity key (device-protocol §5) renews with that key only: a
// CSR for any other key would move its identity out of the TPM.
Result<void> check_certified_key(const PeerIdentity& peer, const pki::ValidatedCsr& csr) {
  if (peer.certified_key_sha256.empty()) return {};
  auto key = tpm::spki_sha256_hex(X509_REQ_get0_pubkey(csr.request.get()));
  if (!key) return tl::unexpected(key.error());
  if (*key != peer.certified_key_sha256) {
    return fail(ErrorCode::Forbidden,
                "csr: not the key this device's TPM certified (a TPM device renews with it)");
  }
  return {};
}

}  // namespace

Result<StepBody> run_credentials(const StepInput& in, store::ProvisioningRecord& record) {
  const auto format = in.request.content_format();
  if (format && *format != coap::content_format::kCbor &&
      *format != coap::content_format::kOcfCbor) {
    return fail(ErrorCode::BadRequest,
                "credentials body must be CBOR (content format 60 or "
                "10000), got " +
                    std::to_string(*format));
  }
  auto body = decode_body(in.request);
  if (!body) return tl::unexpected(body.error());
  // Required (plgd lets it be absent, and then signs whatever UUID the CSR names): the id is
  // checked against the hubs and the server here, and pinned to the device's record by the store.
  auto device_id = device_id_of(in, *body);
  if (!device_id) return tl::unexpected(device_id.error());
  auto pem = csr_pem_of(*body);
  if (!pem) return tl::unexpected(pem.error());

  auto csr = pki::validate_csr(*pem, std::string_view(*device_id));
  if (!csr) return tl::unexpected(csr.error());
  if (auto kept = check_certified_key(in.context.peer, *csr); !kept) {
    return tl::unexpected(kept.error());
  }
  // The hub as cloud configuration chooses it (plgd's DPS does the same, findLinkedHub).
  auto choice = hub_for_device(in, *body);
  if (!choice) return tl::unexpected(choice.error());
  const store::Hub& hub = *choice->hub;
  const auto* t = template_of(in);
  const std::chrono::seconds validity(t ? t->identity_certificate_validity_seconds : 0);
  // A hub's own CA decides its certificates' validity; the template's applies to dps's CA.
  auto issued = hub.certificate_authority.address.empty()
                    ? in.context.services.signer->sign(*csr, validity)
                    : sign_with_hub_ca(in, hub, *pem, *csr);
  if (!issued) return tl::unexpected(issued.error());

  IssuedCredentials creds;
  creds.owner_uuid = in.owner_uuid;
  creds.device_uuid = csr->device_id;
  creds.chain_pem = issued->chain_pem;
  creds.trust_ca_pem = issued->root_pem;
  if (in.group.pre_shared_key.size() >= kPreSharedKeySize) {
    creds.pre_shared_key = in.group.pre_shared_key.substr(0, kPreSharedKeySize);
  }
  auto payload = credentials_payload(creds);

  record.device_id = csr->device_id;
  record.credential.emplace();
  auto& section = *record.credential;
  // plgd records the chain the device was sent without its root (identityCertificatePem).
  section.identity_certificate_pem = issued->chain_pem;
  if (!creds.pre_shared_key.empty()) {
    section.pre_shared_key_subject_id = creds.owner_uuid;
    section.pre_shared_key = creds.pre_shared_key;
  }
  // The record keeps what was sent, except the PSK bytes, which live in preSharedKey already.
  auto recorded = payload["creds"];
  for (auto& cred : recorded) cred.erase("privatedata");
  section.credentials_json = recorded.dump();
  return payload;
}

}  // namespace dps::provisioning
