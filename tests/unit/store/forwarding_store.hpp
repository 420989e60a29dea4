// A Store that forwards to a real one; tests override single methods to observe or hold calls
// (e.g. keep the RecordWriter's first commit open until every submitter has queued).
#pragma once

#include "store/store.hpp"

namespace dps::store::testing {

class ForwardingStore : public Store {
 public:
  explicit ForwardingStore(Store& inner) : inner_(inner) {}

  Result<void> upsert_enrollment_groups(std::span<const EnrollmentGroup> groups) override {
    return inner_.upsert_enrollment_groups(groups);
  }
  Result<void> create_enrollment_group(const EnrollmentGroup& group) override {
    return inner_.create_enrollment_group(group);
  }
  Result<void> update_enrollment_group(const EnrollmentGroup& group) override {
    return inner_.update_enrollment_group(group);
  }
  Result<std::vector<EnrollmentGroup>> list_enrollment_groups(
      const EnrollmentGroupFilter& filter) override {
    return inner_.list_enrollment_groups(filter);
  }
  Result<size_t> delete_enrollment_groups(const EnrollmentGroupFilter& filter) override {
    return inner_.delete_enrollment_groups(filter);
  }
  Result<std::vector<GroupRevision>> list_enrollment_group_revisions(int64_t after) override {
    return inner_.list_enrollment_group_revisions(after);
  }
  Result<size_t> count_enrollment_groups(const OwnerScope& scope) override {
    return inner_.count_enrollment_groups(scope);
  }
  Result<void> create_individual_enrollments_within(
      std::span<const IndividualEnrollment> enrollments, size_t most_per_owner) override {
    return inner_.create_individual_enrollments_within(enrollments, most_per_owner);
  }
  Result<void> update_individual_enrollment(const IndividualEnrollment& enrollment) override {
    return inner_.update_individual_enrollment(enrollment);
  }
  Result<std::vector<IndividualEnrollment>> list_individual_enrollments(
      const IndividualEnrollmentFilter& filter) override {
    return inner_.list_individual_enrollments(filter);
  }
  Result<size_t> delete_individual_enrollments(const IndividualEnrollmentFilter& filter) override {
    return inner_.delete_individual_enrollments(filter);
  }
  Result<size_t> count_individual_enrollments(const OwnerScope& scope) override {
    return inner_.count_individual_enrollments(scope);
  }
  Result<std::vector<std::string>> individual_enrollments_naming_hub(const std::string& owner,
                                                                     const std::string& hub_id,
                                                                     size_t limit) override {
    return inner_.individual_enrollments_naming_hub(owner, hub_id, limit);
  }
  Result<std::optional<IndividualEnrollment>> find_individual_enrollment(
      const std::string& public_key_sha256) override {
    return inner_.find_individual_enrollment(public_key_sha256);
  }
  Result<void> create_template(const EnrollmentTemplate& t) override {
    return inner_.create_template(t);
  }
  Result<void> update_template(const EnrollmentTemplate& t) override {
    return inner_.update_template(t);
  }
  Result<std::vector<EnrollmentTemplate>> list_templates(const TemplateFilter& filter) override {
    return inner_.list_templates(filter);
  }
  Result<size_t> delete_templates(const TemplateFilter& filter) override {
    return inner_.delete_templates(filter);
  }
  Result<void> upsert_hubs(std::span<const Hub> hubs) override { return inner_.upsert_hubs(hubs); }
  Result<void> create_hub(const Hub& hub) override { return inner_.create_hub(hub); }
  Result<void> update_hub(const Hub& hub) override { return inner_.update_hub(hub); }
  Result<std::vector<Hub>> list_hubs(const HubFilter& filter) override {
    return inner_.list_hubs(filter);
  }
  Result<size_t> delete_hubs(const HubFilter& filter) override {
    return inner_.delete_hubs(filter);
  }
  Result<RecordOutcomes> apply_record_updates(
      std::span<const ProvisioningRecord> updates) override {
    return inner_.apply_record_updates(updates);
  }
  Result<std::vector<ProvisioningRecord>> list_provisioning_records(
      const RecordFilter& filter) override {
    return inner_.list_provisioning_records(filter);
  }
  Result<size_t> delete_provisioning_records(const RecordFilter& filter) override {
    return inner_.delete_provisioning_records(filter);
  }
  Result<int64_t> configuration_version() override { return inner_.configuration_version(); }
  Result<void> add_verification_code(const std::string& owner, const std::string& code,
                                     int64_t expires_at, int64_t now,
                                     int64_t max_outstanding) override {
    return inner_.add_verification_code(owner, code, expires_at, now, max_outstanding);
  }
  Result<bool> take_verification_code(const std::string& owner, const std::string& code,
                                      int64_t now) override {
    return inner_.take_verification_code(owner, code, now);
  }
  Result<void> revoke_token(const std::string& jti, int64_t expires_at) override {
    return inner_.revoke_token(jti, expires_at);
  }
  Result<std::vector<std::string>> revoked_tokens(int64_t now) override {
    return inner_.revoked_tokens(now);
  }

 private:
  Store& inner_;
};

}  // namespace dps::store::testing
