#include "api/management_api.hpp"

#include <array>
#include <exception>

#include "api/errors.hpp"
#include "api/routes/routes.hpp"

namespace dps::api {
namespace {

using routes::Context;
using Handler = ApiResponse (*)(const ApiRequest&, const Context&);
using ItemHandler = ApiResponse (*)(const ApiRequest&, std::string_view, const Context&);

struct MethodRoute {
  std::string_view method;
  Handler handler;
};

// A collection path with its methods, and the PUT on "<path>/{id}" when the resource has one.
struct Resource {
  std::string_view path;
  std::array<MethodRoute, 3> methods;
  std::string_view allow;
  ItemHandler update;
};

const std::array<Resource, 5> kResources{{
    {"/api/v1/enrollment-groups",
     {{{"GET", routes::list_enrollment_groups},
       {"POST", routes::create_enrollment_group},
       {"DELETE", routes::delete_enrollment_groups}}},
     "GET, POST, DELETE",
     routes::update_enrollment_group},
    {"/api/v1/enrollment-templates",
     {{{"GET", routes::list_enrollment_templates},
       {"POST", routes::create_enrollment_template},
       {"DELETE", routes::delete_enrollment_templates}}},
     "GET, POST, DELETE",
     routes::update_enrollment_template},
    {"/api/v1/hubs",
     {{{"GET", routes::list_hubs}, {"POST", routes::create_hub}, {"DELETE", routes::delete_hubs}}},
     "GET, POST, DELETE",
     routes::update_hub},
    {"/api/v1/individual-enrollments",
     {{{"GET", routes::list_individual_enrollments},
       {"POST", routes::create_individual_enrollment},
       {"DELETE", routes::delete_individual_enrollments}}},
     "GET, POST, DELETE",
     routes::update_individual_enrollment},
    {"/api/v1/provisioning-records",
     {{{"GET", routes::list_provisioning_records},
       {"DELETE", routes::delete_provisioning_records},
       {"", nullptr}}},
     "GET, DELETE",
     nullptr},
}};

constexpr std::string_view kVerificationCodesPath = "/api/v1/enrollment-groups/verification-codes";
constexpr std::string_view kExplainPath = "/api/v1/explain";

ApiResponse method_not_allowed(const ApiRequest& request, std::string_view allow) {
  ApiResponse response =
      error_response(Error{ErrorCode::MethodNotAllowed,
                           request.method + " is not allowed on " + request.path +
                               " (allowed: " + std::string(allow) + ")",
                           {}});
  response.headers.emplace_back("Allow", std::string(allow));
  return response;
}

}  // namespace

ManagementApi::ManagementApi(store::Store& store, std::function<void()> on_configuration_change,
                             ManagementApiOptions options)
    : store_(store),
      on_configuration_change_(std::move(on_configuration_change)),
      options_(std::move(options)) {
  if (!on_configuration_change_) on_configuration_change_ = [] {};
}

ApiResponse ManagementApi::handle(const ApiRequest& request, const std::string& owner) {
  if (owner.empty()) {
    // The store would address nothing (OwnerScope::of("")), but an empty owner means the caller
    // lost its authentication result: say so instead of answering "not found".
    return error_response(Error{
        ErrorCode::Internal,
        "bug: management API called without an owner (" + request.method + " " + request.path + ")",
        "request has no owner"});
  }
  try {
    return route(request, owner);
  } catch (const std::exception& e) {
    // Nothing below throws on input by design; this is the last guard against a bug or
    // bad_alloc taking the server thread down.
    return error_response(Error{
        ErrorCode::Internal, "bug: exception in management API: " + std::string(e.what()), {}});
  }
}

ApiResponse ManagementApi::route(const ApiRequest& request, const std::string& owner) {
  std::string_view path = request.path;
  if (path.starts_with(kPathPrefix) && path.substr(kPathPrefix.size()).starts_with('/')) {
    path.remove_prefix(kPathPrefix.size());
  }
  const Context context{store_, owner, on_configuration_change_, options_};
  // Before the resources: to them this path would read as a group id.
  if (path == kVerificationCodesPath) {
    if (request.method == "POST") return routes::create_verification_code(request, context);
    return method_not_allowed(request, "POST");
  }
  if (path == kExplainPath) {
    if (request.method == "POST") return routes::explain_certificate(request, context);
    return method_not_allowed(request, "POST");
  }
  for (const Resource& resource : kResources) {
    if (!path.starts_with(resource.path)) continue;
    const std::string_view rest = path.substr(resource.path.size());
    if (rest.empty()) {
      for (const MethodRoute& route : resource.methods) {
        if (route.handler && route.method == request.method) return route.handler(request, context);
      }
      return method_not_allowed(request, resource.allow);
    }
    const std::string_view id = rest.substr(1);
    if (resource.update && rest.front() == '/' && !id.empty() &&
        id.find('/') == std::string_view::npos) {
      if (request.method == "PUT") return resource.update(request, id, context);
      return method_not_allowed(request, "PUT");
    }
  }
  return error_response(Error{ErrorCode::NotFound, "unknown path \"" + request.path + "\"", {}});
}

}  // namespace dps::api
