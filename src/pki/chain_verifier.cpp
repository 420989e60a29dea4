#include "pki/chain_verifier.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <functional>
#include <optional>

#include "log/quoted.hpp"
#include "pki/x509_util.hpp"

namespace dps::pki {

namespace {

// Why a candidate did not admit the device. Higher severity wins the external message: a device
// that one group revokes is told "revoked" even if another group's chain did not verify.
enum class Severity { NotVerified, Disabled, Revoked };

using RefusalKind = TrustGroupIndex::RefusalKind;

struct Refusal {
  Refusal(Severity s, std::string why, std::string for_device, RefusalKind k,
          const TrustGroup* owner_group = nullptr)
      : severity(s),
        internal(std::move(why)),
        external(std::move(for_device)),
        kind(k),
        owned_by(owner_group) {}

  Severity severity;
  std::string internal;
  std::string external;
  RefusalKind kind;
  // Set when the chain verified through the group's lead (its device, authentically): the group's
  // own policy refused it, and its owner may see why (RefusedBy).
  const TrustGroup* owned_by = nullptr;
  std::string detail;
};

// Position on the verified chain of the group's lead certificate (by key), from 1; none when the
// chain does not pass through it.
std::optional<size_t> lead_rank(const TrustGroup& group, STACK_OF(X509) * chain) {
  const int n = chain ? sk_X509_num(chain) : 0;
  for (int i = 1; i < n; ++i) {
    if (group.is_lead(sk_X509_value(chain, i))) return static_cast<size_t>(i);
  }
  return std::nullopt;
}

struct Verified {
  size_t rank;  // position on the verified chain of the first cert signed by the group's first
};

std::chrono::system_clock::time_point verification_time(const TrustGroup& group, X509* leaf,
                                                        std::chrono::system_clock::time_point now) {
  if (!group.expired_certificate_enabled()) return now;
  const auto from = to_time_point(X509_get0_notBefore(leaf));
  const auto to = to_time_point(X509_get0_notAfter(leaf));
  if (!from || !to || *to < *from) return now;
  return *from + (*to - *from) / 2;
}

// Verifies against one group with a fresh X509_STORE_CTX (cheap) over the group's shared store.
tl::expected<Verified, Refusal> verify(const TrustGroup& group, std::span<X509* const> peer_chain,
                                       std::chrono::system_clock::time_point now) {
  X509* leaf = peer_chain.front();
  StackOfX509ViewPtr untrusted(sk_X509_new_null());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!untrusted || !ctx) {
    return tl::unexpected(Refusal{Severity::NotVerified, "out of memory", "internal error",
                                  RefusalKind::NotVerified});
  }
  // Only the trust path's certificates: one below the lead proves nothing (trust_group.hpp).
  for (X509* cert : group.path_intermediates()) sk_X509_push(untrusted.get(), cert);
  for (X509* cert : peer_chain.subspan(1)) sk_X509_push(untrusted.get(), cert);
  if (X509_STORE_CTX_init(ctx.get(), group.roots(), leaf, untrusted.get()) != 1) {
    ERR_clear_error();
    return tl::unexpected(Refusal{Severity::NotVerified, "X509_STORE_CTX_init", "internal error",
                                  RefusalKind::NotVerified});
  }
  // Without the purpose a server-only (or CA) certificate would pass as a device identity.
  if (X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT) != 1) {
    ERR_clear_error();
    return tl::unexpected(Refusal{Severity::NotVerified, "X509_STORE_CTX_set_purpose",
                                  "internal error", RefusalKind::NotVerified});
  }
  // Real manufacturer certificates often break RFC 5280 details that strict mode rejects.
  X509_VERIFY_PARAM_clear_flags(X509_STORE_CTX_get0_param(ctx.get()), X509_V_FLAG_X509_STRICT);
  X509_STORE_CTX_set_time(
      ctx.get(), 0, std::chrono::system_clock::to_time_t(verification_time(group, leaf, now)));
  if (X509_verify_cert(ctx.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    const char* reason = X509_verify_cert_error_string(error);
    ERR_clear_error();
    Refusal refusal{
        Severity::NotVerified,
        "certificate chain does not verify against enrollment group " + group.group_id() + ": " +
            reason,
        std::string("certificate chain does not verify: ") + reason,
        error == X509_V_ERR_CERT_HAS_EXPIRED ? RefusalKind::Expired : RefusalKind::NotVerified};
    // OpenSSL checks dates after building the whole path, so an expired chain is complete here:
    // expiry is the group's verdict only on a device of its own branch.
    if (refusal.kind == RefusalKind::Expired &&
        lead_rank(group, X509_STORE_CTX_get0_chain(ctx.get()))) {
      refusal.owned_by = &group;
      refusal.detail = reason;
    }
    return tl::unexpected(std::move(refusal));
  }
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  std::vector<X509*> verified(static_cast<size_t>(sk_X509_num(chain)));
  for (size_t i = 0; i < verified.size(); ++i)
    verified[i] = sk_X509_value(chain, static_cast<int>(i));
  // The device must descend from the group's lead key: OpenSSL may have built the path through
  // certificates the device sent, and a group trusting only a higher certificate under the same
  // issuer name must not admit devices of another branch. Its position ranks the group: the lower,
  // the more specific.
  const auto rank = lead_rank(group, chain);

  if (auto reason = group.revocation_reason(verified)) {
    Refusal refusal{Severity::Revoked,
                    "certificate revoked by enrollment group " + group.group_id() + ": " + *reason,
                    "certificate revoked", RefusalKind::Revoked};
    if (rank) {
      refusal.owned_by = &group;
      refusal.detail = std::move(*reason);
    }
    return tl::unexpected(std::move(refusal));
  }
  if (rank) return Verified{*rank};
  return tl::unexpected(Refusal{
      Severity::NotVerified,
      "certificate chain does not pass through the lead certificate of enrollment group " +
          group.group_id(),
      "certificate chain does not verify: not issued under the enrollment group's lead certificate",
      RefusalKind::NotVerified});
}

// Which group's own policy refused the device (TrustGroupIndex::RefusedBy): the one whose refusal
// the device is told when it qualifies, else the most severe one that does (the first of equals,
// in id order). A disabled group qualifies when the chain verifies through its lead; whether it
// also revokes the device or finds it expired, it stays "disabled", as the device is told.
TrustGroupIndex::RefusedBy refusing_group(std::vector<Refusal>& refusals, const Refusal& told,
                                          std::span<X509* const> peer_chain,
                                          std::chrono::system_clock::time_point now) {
  for (Refusal& r : refusals) {
    if (r.kind != RefusalKind::Disabled || r.owned_by == nullptr) continue;
    auto verified = verify(*r.owned_by, peer_chain, now);
    if (!verified && verified.error().owned_by == nullptr) r.owned_by = nullptr;
  }
  const Refusal* chosen = told.owned_by ? &told : nullptr;
  for (const Refusal& r : refusals) {
    if (r.owned_by && (!chosen || r.severity > chosen->severity)) chosen = &r;
  }
  if (!chosen) return {};
  return {chosen->owned_by->group_id(), chosen->kind, chosen->detail};
}

std::string join_issuer_cns(std::span<X509* const> peer_chain) {
  std::vector<std::string> names;
  for (X509* cert : peer_chain) {
    std::string cn = common_name(X509_get_issuer_name(cert));
    if (std::find(names.begin(), names.end(), cn) == names.end()) names.push_back(std::move(cn));
  }
  std::string out;
  // Quoted: issuer names are the peer's text and this message is logged.
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + log::quoted(name);
  return out;
}

}  // namespace

namespace {

bool by_group_id(const std::shared_ptr<const TrustGroup>& a,
                 const std::shared_ptr<const TrustGroup>& b) {
  return a->group_id() < b->group_id();
}

}  // namespace

size_t TrustGroupIndex::shard_of(const std::string& lead_name) {
  return std::hash<std::string>{}(lead_name) % kShards;
}

TrustGroupIndex::TrustGroupIndex(std::vector<std::shared_ptr<const TrustGroup>> groups) {
  std::array<std::shared_ptr<Shard>, kShards> shards;
  for (auto& shard : shards) shard = std::make_shared<Shard>();
  for (auto& group : groups) {
    if (!group) continue;
    const std::string& name = group->lead_name();
    (*shards[shard_of(name)])[name].push_back(std::move(group));
    ++size_;
  }
  for (size_t i = 0; i < kShards; ++i) {
    for (auto& [name, list] : *shards[i]) std::sort(list.begin(), list.end(), by_group_id);
    shards_[i] = std::move(shards[i]);
  }
}

std::shared_ptr<const TrustGroupIndex> TrustGroupIndex::updated(
    std::span<const TrustGroup* const> removed,
    std::span<const std::shared_ptr<const TrustGroup>> added) const {
  std::shared_ptr<TrustGroupIndex> next(new TrustGroupIndex());
  next->shards_ = shards_;
  next->size_ = size_;
  std::array<std::shared_ptr<Shard>, kShards> copied;  // the shards `next` owns alone
  const auto writable = [&](const std::string& name) -> Shard& {
    const size_t i = shard_of(name);
    if (!copied[i]) {
      copied[i] = std::make_shared<Shard>(*shards_[i]);
      next->shards_[i] = copied[i];
    }
    return *copied[i];
  };
  for (const TrustGroup* group : removed) {
    if (group == nullptr) continue;
    Shard& shard = writable(group->lead_name());
    auto it = shard.find(group->lead_name());
    if (it == shard.end()) continue;
    auto& list = it->second;
    const auto gone = std::find_if(list.begin(), list.end(),
                                   [&](const auto& held) { return held.get() == group; });
    if (gone == list.end()) continue;
    list.erase(gone);
    --next->size_;
    if (list.empty()) shard.erase(it);
  }
  for (const auto& group : added) {
    if (!group) continue;
    auto& list = writable(group->lead_name())[group->lead_name()];
    list.insert(std::upper_bound(list.begin(), list.end(), group, by_group_id), group);
    ++next->size_;
  }
  return next;
}

std::vector<const TrustGroup*> TrustGroupIndex::led_by(const std::string& lead_name) const {
  std::vector<const TrustGroup*> groups;
  const Shard& shard = *shards_[shard_of(lead_name)];
  if (auto it = shard.find(lead_name); it != shard.end()) {
    for (const auto& group : it->second) groups.push_back(group.get());
  }
  return groups;
}

Result<TrustGroupIndex::Match> TrustGroupIndex::match(std::span<X509* const> peer_chain,
                                                      std::chrono::system_clock::time_point now,
                                                      RefusalKind* refusal,
                                                      RefusedBy* refused_by) const {
  RefusalKind ignored{};
  RefusalKind& kind = refusal ? *refusal : ignored;  // written on refusal only
  RefusedBy no_one;
  RefusedBy& by = refused_by ? *refused_by : no_one;  // the same
  if (peer_chain.empty() || peer_chain.front() == nullptr) {
    kind = RefusalKind::NotVerified;
    by = {};
    return fail(ErrorCode::Forbidden, "device presented no certificate");
  }
  if (!allows_client_auth(peer_chain.front())) {
    kind = RefusalKind::NotVerified;
    by = {};
    return fail(ErrorCode::Forbidden, "leaf lacks extended key usage clientAuth");
  }

  std::vector<const TrustGroup*> candidates;
  for (X509* cert : peer_chain) {
    const std::string issuer = common_name(X509_get_issuer_name(cert));
    const Shard& shard = *shards_[shard_of(issuer)];
    const auto it = shard.find(issuer);
    if (it == shard.end()) continue;
    for (const auto& group : it->second) candidates.push_back(group.get());
  }
  if (candidates.empty()) {
    kind = RefusalKind::NoGroup;
    by = {};
    return fail(ErrorCode::Forbidden,
                "no enrollment group for issuer CN " + join_issuer_cns(peer_chain),
                "no enrollment group for the certificate issuer");
  }
  // Sorted by id, so the first strictly better rank wins ties deterministically.
  std::sort(candidates.begin(), candidates.end(),
            [](const TrustGroup* a, const TrustGroup* b) { return a->group_id() < b->group_id(); });
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());

  const TrustGroup* best = nullptr;
  const TrustGroup* tied_owner = nullptr;  // an equally specific group of another owner
  size_t best_rank = 0;
  std::vector<Refusal> refusals;
  for (const TrustGroup* group : candidates) {
    if (group->disabled()) {
      // Not verified now: a disabled group admits no one, and most devices another group admits
      // never need it (refusing_group() verifies it on a refusal).
      refusals.push_back({Severity::Disabled,
                          "enrollment group " + group->group_id() + " is disabled",
                          "enrollment group disabled", RefusalKind::Disabled, group});
      continue;
    }
    auto verified = verify(*group, peer_chain, now);
    if (!verified) {
      refusals.push_back(std::move(verified.error()));
    } else if (best == nullptr || verified->rank < best_rank) {
      best = group;
      best_rank = verified->rank;
      tied_owner = nullptr;
    } else if (verified->rank == best_rank && group->owner() != best->owner() && !tied_owner) {
      tied_owner = group;
    }
  }
  if (best != nullptr && tied_owner != nullptr) {
    // Two owners hold the same trust (data written before the store refused overlaps): neither
    // gets the device by an accident of ids; an operator resolves it.
    kind = RefusalKind::NotVerified;
    by = {};
    return fail(ErrorCode::Forbidden,
                "enrollment groups " + best->group_id() + " (owner " + best->owner() + ") and " +
                    tied_owner->group_id() + " (owner " + tied_owner->owner() +
                    ") trust this device equally: refused until one of them changes",
                "enrollment is ambiguous");
  }
  if (best != nullptr) return Match{best->group_id()};

  std::string internal;
  const Refusal* worst = &refusals.front();
  for (const Refusal& r : refusals) {
    internal += (internal.empty() ? "" : "; ") + r.internal;
    if (r.severity > worst->severity) worst = &r;
  }
  kind = worst->kind;
  if (refused_by != nullptr) by = refusing_group(refusals, *worst, peer_chain, now);
  return fail(ErrorCode::Forbidden, std::move(internal), worst->external);
}

}  // namespace dps::pki
