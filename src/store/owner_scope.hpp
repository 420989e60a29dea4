// Whose objects a Store call addresses. Tenancy lives in the store's queries (design.md "Trust
// boundaries"), so the scope is a type of its own: one owner, for every call made on behalf of an
// API caller, or every owner, which only dps itself uses (loading the device-side catalog).
// There is no default and no conversion from a string, so a forgotten or empty owner can never
// widen a query to everybody's objects.
#pragma once

#include <string>
#include <utility>

namespace dps::store {

class OwnerScope {
 public:
  /// The objects of `owner`. An empty owner addresses nothing (no object has one).
  static OwnerScope of(std::string owner) { return OwnerScope(std::move(owner), false); }
  /// Every owner's objects: for dps's own loading, never for a caller.
  static OwnerScope every_owner() { return OwnerScope({}, true); }

  bool is_every_owner() const { return every_owner_; }
  /// The one owner addressed; empty for every_owner().
  const std::string& owner() const { return owner_; }
  /// True when an object of `owner` is in scope.
  bool includes(const std::string& owner) const { return every_owner_ || owner == owner_; }

  bool operator==(const OwnerScope&) const = default;

 private:
  OwnerScope(std::string owner, bool every_owner)
      : owner_(std::move(owner)), every_owner_(every_owner) {}

  std::string owner_;
  bool every_owner_;
};

}  // namespace dps::store
