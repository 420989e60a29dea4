#include "provisioning/hub_certificate_authorities.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include "log/quoted.hpp"
#include "metrics/metrics.hpp"
#include "pki/pem.hpp"
#include "pki/x509_util.hpp"
#include "plgd_ca/client.hpp"

namespace dps::provisioning {
namespace {

plgd_ca::ClientOptions options_of(const store::GrpcClientConfig& config,
                                  std::chrono::milliseconds timeout) {
  plgd_ca::ClientOptions options;
  options.address = config.address;
  options.ca_pool_pem = config.ca_pool;
  options.use_system_ca_pool = config.use_system_ca_pool;
  options.cert_pem = config.cert_pem;
  options.key_pem = config.key_pem;
  options.timeout = timeout;
  options.keep_alive_time = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::nanoseconds(config.keep_alive_time_ns));
  options.keep_alive_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::nanoseconds(config.keep_alive_timeout_ns));
  options.keep_alive_permit_without_stream = config.keep_alive_permit_without_stream;
  return options;
}

Error unusable(const std::string& why) {
  return Error{ErrorCode::Internal, "certificate authority answered " + why,
               "certificate authority answered an unusable certificate"};
}

// plgd's DPS sends the device the answer's last certificate as its trust anchor and the others
// as its identity chain; the checks make sure that what goes to the device is what it asked for.
Result<pki::IssuedCertificate> to_issued(std::string_view chain_pem, const pki::ValidatedCsr& csr) {
  auto certs = pki::parse_certificates_pem(chain_pem);
  if (!certs) return tl::unexpected(unusable("no PEM certificates: " + certs.error().internal));
  if (certs->size() < 2) {
    return tl::unexpected(unusable("a certificate without its CA (one certificate)"));
  }
  X509* leaf = certs->front().get();
  if (EVP_PKEY_eq(X509_get0_pubkey(leaf), X509_REQ_get0_pubkey(csr.request.get())) != 1) {
    return tl::unexpected(unusable("a certificate for another key than the CSR's"));
  }
  const std::string expected_cn = "uuid:" + csr.device_id;
  if (const std::string cn = pki::common_name(X509_get_subject_name(leaf)); cn != expected_cn) {
    return tl::unexpected(
        unusable("a certificate for " + log::quoted(cn) + ", not " + expected_cn));
  }
  // The last certificate becomes the device's trust anchor for its hub: it must be a CA, and the
  // leaf must verify up to it through the certificates between (a chain that only looks like
  // one is refused).
  X509* anchor = certs->back().get();
  if (X509_check_ca(anchor) < 1) {
    return tl::unexpected(unusable("a last certificate that is no CA"));
  }
  pki::X509StorePtr store(X509_STORE_new());
  pki::StackOfX509ViewPtr between(sk_X509_new_null());
  pki::X509StoreCtxPtr context(X509_STORE_CTX_new());
  if (!store || !between || !context || X509_STORE_add_cert(store.get(), anchor) != 1) {
    return tl::unexpected(unusable("a chain that could not be checked (out of memory)"));
  }
  for (size_t i = 1; i + 1 < certs->size(); ++i) sk_X509_push(between.get(), (*certs)[i].get());
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);  // the anchor may be no root
  if (X509_STORE_CTX_init(context.get(), store.get(), leaf, between.get()) != 1 ||
      X509_verify_cert(context.get()) != 1) {
    return tl::unexpected(
        unusable(std::string("a certificate that does not verify up to its last one: ") +
                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(context.get()))));
  }
  std::vector<X509*> chain;
  for (size_t i = 0; i + 1 < certs->size(); ++i) chain.push_back((*certs)[i].get());
  auto chain_text = pki::to_pem(chain);
  auto root_text = pki::to_pem(certs->back().get());
  auto leaf_text = pki::to_pem(leaf);
  if (!chain_text || !root_text || !leaf_text)
    return tl::unexpected(unusable("unencodable certificates"));
  return pki::IssuedCertificate{std::move(*chain_text), std::move(*root_text),
                                std::move(*leaf_text)};
}

}  // namespace

HubCertificateAuthorities::HubCertificateAuthorities(metrics::Metrics* metrics,
                                                     std::chrono::milliseconds timeout,
                                                     KeyedConcurrencyLimit* calls)
    : metrics_(metrics), timeout_(timeout), calls_(calls) {}

HubCertificateAuthorities::~HubCertificateAuthorities() = default;

Result<std::shared_ptr<plgd_ca::Client>> HubCertificateAuthorities::client_for(
    const store::Hub& hub) {
  const store::GrpcClientConfig& config = hub.certificate_authority;
  return clients_.get(hub.id, config, [&]() -> Result<std::shared_ptr<plgd_ca::Client>> {
    auto made = plgd_ca::Client::create(options_of(config, timeout_));
    if (!made) {
      // The hub's settings, not the device, are wrong: 5.00, the owner reads why in the record.
      return fail(ErrorCode::Internal,
                  "hub " + hub.hub_id + ": certificateAuthority.grpc: " + made.error().internal,
                  "the hub's certificate authority settings are unusable");
    }
    return std::shared_ptr<plgd_ca::Client>(std::move(*made));
  });
}

Result<pki::IssuedCertificate> HubCertificateAuthorities::sign(const store::Hub& hub,
                                                               std::string_view csr_pem,
                                                               const pki::ValidatedCsr& csr,
                                                               std::string_view bearer_token) {
  auto client = client_for(hub);
  if (!client) {
    note_failure(hub, client.error());
    return tl::unexpected(client.error());
  }
  const std::optional<KeyedConcurrencyLimit::Slot> slot =
      calls_ != nullptr ? calls_->try_acquire(hub.owner) : std::nullopt;
  if (calls_ != nullptr && !slot) {
    Error busy{ErrorCode::Unavailable,
               "hub " + hub.hub_id + ": its owner's hubs have too many calls in flight",
               "too many requests to this hub's certificate authority in flight, retry"};
    note_failure(hub, busy);
    return tl::unexpected(std::move(busy));
  }
  auto chain = (*client)->sign_identity_certificate(csr_pem, bearer_token);
  if (!chain) {
    note_failure(hub, chain.error());
    if (chain.error().code != ErrorCode::Unavailable) return tl::unexpected(chain.error());
    // The address is the hub owner's choice and the record is theirs to read: gRPC's connection
    // detail ("connection refused", "handshake failed") would make dps a scanner of its own
    // network for them. The detail stays in dps's log.
    return fail(ErrorCode::Unavailable,
                "certificate authority " + hub.certificate_authority.address +
                    " unavailable (no usable answer within the deadline); dps's log has the detail",
                chain.error().external);
  }
  auto issued = to_issued(*chain, csr);
  if (!issued) note_failure(hub, issued.error());
  return issued;
}

void HubCertificateAuthorities::note_failure(const store::Hub& hub, const Error& error) {
  using Kind = metrics::Metrics::HubCaFailure;
  const Kind kind = error.code == ErrorCode::Unavailable ? Kind::Unavailable
                    : error.code == ErrorCode::Internal  ? Kind::Failed
                                                         : Kind::Refused;
  if (metrics_) metrics_->on_hub_ca_failure(kind);
  if (const auto line = failure_lines_.next(); line.write) {
    spdlog::warn("hub {} certificate authority {} {}: {}{}", hub.hub_id,
                 log::quoted(hub.certificate_authority.address),
                 kind == Kind::Unavailable ? "unavailable"
                 : kind == Kind::Failed    ? "failed"
                                           : "refused",
                 error.internal, line.note());
  }
}

void HubCertificateAuthorities::retain(const std::set<std::string, std::less<>>& hub_ids) {
  clients_.retain(hub_ids);
}

size_t HubCertificateAuthorities::size() const { return clients_.size(); }

}  // namespace dps::provisioning
