// /api/v1/individual-enrollments (management-api.md "Individual enrollments", a dps extension).
// Owner-scoped like every resource: another owner's enrollment is indistinguishable from a
// missing one. Lists are paged (`after`, `limit`): an owner may hold a million of them.
#include "api/json_codec.hpp"
#include "api/routes/routes.hpp"
#include "pki/device_key.hpp"
#include "pki/uuid.hpp"

namespace dps::api::routes {
namespace {

constexpr std::string_view kKeyFilter = "publicKeySha256Filter";
constexpr std::string_view kAfter = "after";
constexpr size_t kDefaultPage = 1000;
constexpr size_t kLargestPage = 10000;

Result<void> check_quota(const Context& context, size_t adding) {
  auto held = context.store.count_individual_enrollments(context.scope());
  if (!held) return tl::unexpected(held.error());
  const uint32_t most = context.options.quotas.individual_enrollments;
  if (*held + adding <= most) return {};
  return quota_exceeded("individual enrollments of this owner", *held, most,
                        "individualEnrollments");
}

Result<std::vector<std::string>> key_hashes(const Filters& filters) {
  std::vector<std::string> hashes;
  for (const auto& text : values(filters, kKeyFilter)) {
    auto hash = pki::parse_device_key_hash(text);
    if (!hash)
      return fail(ErrorCode::BadRequest, std::string(kKeyFilter) + ": " + hash.error().internal);
    hashes.push_back(std::move(*hash));
  }
  return hashes;
}

// The store's Conflict for a taken key says so without naming the holder; it may be another
// owner's, whose existence is all the caller learns (as for a group's trust).
ApiResponse written(const Result<void>& result, const store::IndividualEnrollment& enrollment) {
  if (!result) return error_response(result.error());
  return object_response(to_json(enrollment));
}

}  // namespace

ApiResponse list_individual_enrollments(const ApiRequest& request, const Context& context) {
  auto filters = read_filters(request, {kIdFilter, kKeyFilter, kAfter, kLimit});
  if (!filters) return error_response(filters.error());
  store::IndividualEnrollmentFilter filter{context.scope(), {}, {}, {}, 0};
  filter.ids = values(*filters, kIdFilter);
  auto hashes = key_hashes(*filters);
  if (!hashes) return error_response(hashes.error());
  filter.public_key_sha256s = std::move(*hashes);
  if (const auto after = values(*filters, kAfter); !after.empty()) {
    auto id = path_id(after.back());
    if (!id) return error_response(Error{ErrorCode::BadRequest, "after: must be a UUID", {}});
    filter.after_id = std::move(*id);
  }
  auto limit = read_limit(*filters, kLargestPage);
  if (!limit) return error_response(limit.error());
  filter.limit = limit->value_or(kDefaultPage);
  auto enrollments = context.store.list_individual_enrollments(filter);
  if (!enrollments) return error_response(enrollments.error());
  return stream_response(*enrollments);
}

ApiResponse create_individual_enrollment(const ApiRequest& request, const Context& context) {
  if (auto filters = read_filters(request, {}); !filters) return error_response(filters.error());
  const BodyContext body{context.owner, pki::random_uuid_v4().to_string(), /*create=*/true};
  auto enrollment = individual_enrollment_from_json(request.body, body);
  if (!enrollment) return error_response(enrollment.error());
  if (auto named = check_template_reference(context, enrollment->template_id); !named) {
    return error_response(named.error());
  }
  if (auto named = check_hub_references(context, enrollment->hub_ids, {}, "enrollments"); !named) {
    return error_response(named.error());
  }
  // Checked here for the message naming the setting; the store checks again in its insert's
  // transaction, where concurrent creates cannot both pass.
  if (auto fits = check_quota(context, 1); !fits) return error_response(fits.error());
  return written(context.store.create_individual_enrollments_within(
                     {&*enrollment, 1}, context.options.quotas.individual_enrollments),
                 *enrollment);
}

ApiResponse update_individual_enrollment(const ApiRequest& request, std::string_view segment,
                                         const Context& context) {
  if (auto filters = read_filters(request, {}); !filters) return error_response(filters.error());
  auto id = path_id(segment);
  if (!id) return error_response(id.error());
  auto enrollment =
      individual_enrollment_from_json(request.body, {context.owner, *id, /*create=*/false});
  if (!enrollment) return error_response(enrollment.error());
  if (auto named = check_template_reference(context, enrollment->template_id); !named) {
    return error_response(named.error());
  }
  // Every entry is checked (PUT replaces the enrollment and the stored one is not read): reading
  // it first would cost each update of a million-enrollment owner a second query.
  if (auto named = check_hub_references(context, enrollment->hub_ids, {}, "enrollments"); !named) {
    return error_response(named.error());
  }
  auto updated = context.store.update_individual_enrollment(*enrollment);
  if (!updated && updated.error().code == ErrorCode::NotFound) {
    // Another owner's enrollment is indistinguishable from a missing one.
    return error_response(
        Error{ErrorCode::NotFound, "individual enrollment \"" + *id + "\" not found", {}});
  }
  return written(updated, *enrollment);
}

ApiResponse delete_individual_enrollments(const ApiRequest& request, const Context& context) {
  auto filters = read_filters(request, {kIdFilter});
  if (!filters) return error_response(filters.error());
  store::IndividualEnrollmentFilter filter{context.scope(), {}, {}, {}, 0};
  filter.ids = values(*filters, kIdFilter);
  if (filter.ids.empty()) {
    return error_response(Error{ErrorCode::BadRequest,
                                "idFilter required: deleting all individual enrollments is refused",
                                {}});
  }
  auto count = context.store.delete_individual_enrollments(filter);
  if (!count) return error_response(count.error());
  if (*count == 0) {
    return error_response(
        Error{ErrorCode::NotFound, "no individual enrollment matches the idFilter", {}});
  }
  return count_response(*count);
}

}  // namespace dps::api::routes
