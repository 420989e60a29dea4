// The Store contract suite: behaviour every adapter must show, written against `Store&` only.
// An adapter runs it by instantiating StoreContract with a factory (see sqlite_store_test.cpp):
//   INSTANTIATE_TEST_SUITE_P(Postgres, StoreContract, ::testing::Values(StoreFactory{...}), name);
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace dps::store::testing {

struct StoreFactory {
  std::string name;
  /// Opens the store whose data lives in `dir` (a fresh, empty directory per test). Opening the
  /// same `dir` again after the previous store was destroyed must show the same data.
  std::function<Result<std::unique_ptr<Store>>(const std::filesystem::path& dir)> open;
};

inline void PrintTo(const StoreFactory& factory, std::ostream* os) { *os << factory.name; }

/// Test-name generator for INSTANTIATE_TEST_SUITE_P.
inline std::string factory_name(const ::testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

/// Prints the error's internal text when a Result fails.
template <class T>
::testing::AssertionResult ok(const Result<T>& result) {
  if (result) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << to_string(result.error().code) << ": " << result.error().internal;
}

/// The batch's error, or the first update's refusal: success when every update was applied.
inline Result<void> all_applied(const Result<Store::RecordOutcomes>& outcomes) {
  if (!outcomes) return tl::unexpected(outcomes.error());
  for (const Result<void>& outcome : *outcomes) {
    if (!outcome) return outcome;
  }
  return {};
}

/// A temporary directory removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Each test gets its own temporary directory and store; reopen() closes and reopens it.
class StoreContract : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;

  Store& store() { return *store_; }
  void reopen();

  TempDir dir_;
  std::unique_ptr<Store> store_;  // after dir_: closed before the directory is removed
};

/// Objects with every field set to a non-default value, so round trips prove each column.
EnrollmentGroup make_group(const std::string& id, const std::string& owner);
Hub make_hub(const std::string& id, const std::string& owner);
EnrollmentTemplate make_template(const std::string& id, const std::string& owner);
/// A record with every section present, all sections dated `date`.
ProvisioningRecord make_record(const std::string& id, const std::string& owner, int64_t date);

template <class T>
std::vector<std::string> ids_of(const std::vector<T>& objects) {
  std::vector<std::string> ids;
  for (const T& o : objects) ids.push_back(o.id);
  return ids;
}

}  // namespace dps::store::testing
