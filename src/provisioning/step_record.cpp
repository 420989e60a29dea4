#include "provisioning/step_record.hpp"

namespace dps::provisioning {
namespace {

template <class Section>
void stamp(std::optional<Section>& section, store::StepStatus status) {
  if (!section) section.emplace();
  section->status = std::move(status);
}

}  // namespace

void set_step_status(store::ProvisioningRecord& record, Step step, store::StepStatus status) {
  switch (step) {
    case Step::PlgdTime:
      return stamp(record.plgd_time, std::move(status));
    case Step::Ownership:
      return stamp(record.ownership, std::move(status));
    case Step::CloudConfiguration:
      return stamp(record.cloud, std::move(status));
    case Step::Credentials:
      return stamp(record.credential, std::move(status));
    case Step::Acls:
      return stamp(record.acl, std::move(status));
    case Step::PreConfiguration:
      return stamp(record.pre_configuration, std::move(status));
  }
}

}  // namespace dps::provisioning
