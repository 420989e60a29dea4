// Building trust groups and an index of them from PEM chains, for the matching tests.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "pki/chain_verifier.hpp"
#include "pki/trust_group.hpp"

namespace dps::pki::trust_fixture {

inline TrustGroupSpec spec(std::string id, std::string chain_pem) {
  TrustGroupSpec s;
  s.group_id = std::move(id);
  s.certificate_chain_pem = std::move(chain_pem);
  return s;
}

/// Throws std::runtime_error when a spec does not build (a test's own mistake).
inline TrustGroupIndex index_of(const std::vector<TrustGroupSpec>& specs) {
  std::vector<std::shared_ptr<const TrustGroup>> groups;
  for (const auto& s : specs) {
    auto group = build_trust_group(s);
    if (!group) throw std::runtime_error(group.error().internal);
    groups.push_back(std::move(*group));
  }
  return TrustGroupIndex(std::move(groups));
}

}  // namespace dps::pki::trust_fixture
