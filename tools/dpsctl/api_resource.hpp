// One collection of the management API (enrollment groups, hubs, provisioning records) as the
// commands use it: list/get/create/replace/remove, with HTTP errors and `{"error": ...}` stream
// lines turned into CliErrors carrying the server's message and the matching exit code.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "api_client.hpp"

namespace dps::dpsctl {

/// Query parameters in order; a name may repeat (the API ORs repeated filters).
using Query = std::vector<std::pair<std::string, std::string>>;

/// Appends `name=value` for each value.
void add_filter(Query& query, const std::string& name, const std::vector<std::string>& values);

class ApiResource {
 public:
  /// @param path  the collection, e.g. "/api/v1/hubs"
  /// @param noun  how messages name one object, e.g. "hub"
  ApiResource(ApiClient& client, std::string path, std::string noun);

  /// GET with `query`: the objects of the stream, in the server's order.
  std::vector<nlohmann::json> list(const Query& query);
  /// For paged collections (`after`, `limit`): GETs `query` page after page of `page_size`
  /// objects, each after the last id of the one before, handing every page to `on_page` as it
  /// comes, until a page is short; so only one page is ever held. Returns the object count.
  size_t list_pages(const Query& query, size_t page_size,
                    const std::function<void(const std::vector<nlohmann::json>&)>& on_page);
  /// A list with one idFilter; CliError(NotFound) when it yields nothing.
  nlohmann::json get(const std::string& id);
  /// POST: the created object.
  nlohmann::json create(const nlohmann::json& body);
  /// PUT <path>/<id>: the stored object.
  nlohmann::json replace(const std::string& id, const nlohmann::json& body);
  /// get(id), then PUT of it with `patch` merged in (RFC 7396): fields the patch does not name
  /// keep their stored value. id and owner are left out of the body (the API takes them from
  /// the path and the caller). Not atomic: a concurrent change between the two is overwritten.
  nlohmann::json update(const std::string& id, const nlohmann::json& patch);
  /// DELETE with `query`: the number deleted, as the API's {"count": "N"} has it.
  std::string remove(const Query& query);

 private:
  nlohmann::json unary(Method method, const std::string& target, const std::string& body);

  ApiClient& client_;
  std::string path_;
  std::string noun_;
};

}  // namespace dps::dpsctl
