// The management API (management-api.md) without HTTP transport or authentication: the server
// parses a request into ApiRequest, authenticates it (JWT → owner), calls handle(), and writes
// the ApiResponse back. Routing, filters, validation, tenancy and the JSON forms live here.
#pragma once

#include <functional>
#include <string>

#include "api/api_options.hpp"
#include "api/http_types.hpp"
#include "store/store.hpp"

namespace dps::api {

/// Routes (each also under the prefix "/device-provisioning-service"):
///
///   GET    /api/v1/enrollment-groups       idFilter, attestationMechanismX509CertificateNames,
///                                          hubIdFilter → stream
///   POST   /api/v1/enrollment-groups       body → the created group (id generated)
///   PUT    /api/v1/enrollment-groups/{id}  body → the stored group
///   DELETE /api/v1/enrollment-groups       idFilter (required) → {"count": "N"}
///   GET/POST/PUT/DELETE /api/v1/hubs       the same with idFilter, hubIdFilter
///   GET/POST/PUT/DELETE /api/v1/individual-enrollments  idFilter, publicKeySha256Filter, paged
///   GET/POST/PUT/DELETE /api/v1/enrollment-templates    idFilter (DELETE of one a group names:
///                                          409)
///   GET    /api/v1/provisioning-records    idFilter, deviceIdFilter, enrollmentGroupIdFilter
///   DELETE /api/v1/provisioning-records    the same filters → {"count": "N"}
///   POST   /api/v1/explain                 {"certificateChain"} → which of the caller's
///                                          enrollments would admit that device, and why
///
/// Streams are HTTP 200 with one `{"result": <object>}` line per object, ordered by id. Filters
/// repeat and OR; unknown query parameters are 400. Every read and write is scoped to `owner`:
/// another owner's objects are invisible (404 on PUT), never modified. Errors are
/// `{"code", "message", "details"}` (errors.hpp). Wrong method on a known path: 405 + Allow.
///
/// Decisions beyond plgd (each documented at its code): DELETE of groups or hubs without idFilter
/// is 400, not "delete all"; a filter matching none is 404 for groups/hubs, count 0 for records;
/// a hubId already used by another hub of the owner is 409; body `id`/`owner` rules in
/// json_codec.hpp (BodyContext); file paths in bodies are 400 (value_source.hpp); hubIds must name
/// hubs of the caller by hubId, a hub a group names is not deleted, and groups and hubs of the
/// config file refuse PUT and DELETE with 409 (routes/references.cpp).
///
/// Thread-safety: handle() may run concurrently on several threads (no mutable state here; the
/// Store serialises). It blocks on the store: call it off the I/O threads.
class ManagementApi {
 public:
  /// @param on_configuration_change called after every successful create, update or delete of an
  ///        enrollment group, hub or enrollment template (never for records, never on failure), on
  ///        the calling thread, after the store committed: the device-side catalog rebuild hooks in
  ///        here. It should not throw; if it does, the client gets 500 although the change is
  ///        committed.
  /// @param options the operator's settings (apis.http): how the API recognises its tokens
  ///        (which hub settings must not reproduce), proof of possession, quotas.
  ManagementApi(store::Store& store, std::function<void()> on_configuration_change,
                ManagementApiOptions options = {});

  /// Answers one authenticated request. `owner` is the caller's owner from the verified JWT; every
  /// store call is scoped to it (store::OwnerScope::of). An empty one is a bug of the caller and
  /// answers 500 without touching the store. Never throws.
  ApiResponse handle(const ApiRequest& request, const std::string& owner);

  /// "/device-provisioning-service": plgd's prefix every route is also served under.
  static constexpr std::string_view kPathPrefix = "/device-provisioning-service";

 private:
  ApiResponse route(const ApiRequest& request, const std::string& owner);

  store::Store& store_;
  std::function<void()> on_configuration_change_;
  ManagementApiOptions options_;
};

}  // namespace dps::api
