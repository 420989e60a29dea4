#include "api_resource.hpp"

#include <cctype>

#include "common/percent_encoding.hpp"
#include "exit_codes.hpp"
#include "json_stream.hpp"

namespace dps::dpsctl {
namespace {

using nlohmann::json;

std::string with_query(const std::string& path, const Query& query) {
  std::string target = path;
  char separator = '?';
  for (const auto& [name, value] : query) {
    target += separator + percent_encode(name) + "=" + percent_encode(value);
    separator = '&';
  }
  return target;
}

// The API's error body is {"code", "message", "details"}; anything else is shown as it came.
std::string error_text(const HttpReply& reply) {
  const std::string status = "HTTP " + std::to_string(reply.status);
  const json body = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("message") && body["message"].is_string()) {
    return body["message"].get<std::string>() + " (" + status + ")";
  }
  constexpr size_t kShown = 200;
  if (reply.body.empty()) return "the server answered " + status + " without a message";
  return status + ": " + reply.body.substr(0, kShown);
}

void check(const HttpReply& reply) {
  if (reply.status >= 200 && reply.status < 300) return;
  throw CliError(exit_code_for_status(reply.status), error_text(reply), reply.status,
                 /*request_sent=*/true);
}

json parse_answer(const HttpReply& reply) {
  json body = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) {
    throw CliError(ExitCode::ApiRefused, "the server's answer is not a JSON object");
  }
  return body;
}

}  // namespace

void add_filter(Query& query, const std::string& name, const std::vector<std::string>& values) {
  for (const auto& value : values) query.emplace_back(name, value);
}

ApiResource::ApiResource(ApiClient& client, std::string path, std::string noun)
    : client_(client), path_(std::move(path)), noun_(std::move(noun)) {}

std::vector<json> ApiResource::list(const Query& query) {
  const HttpReply reply = client_.send(Method::Get, with_query(path_, query));
  check(reply);
  std::vector<json> objects;
  for (const std::string_view text : split_json_stream(reply.body)) {
    const json line = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (line.is_object() && line.contains("result")) {
      objects.push_back(line["result"]);
      continue;
    }
    if (line.is_object() && line.contains("error") && line["error"].is_object()) {
      const json& error = line["error"];
      const int code = error.value("code", 13);
      throw CliError(exit_code_for_grpc(code), error.value("message", "error in the list stream"));
    }
    throw CliError(ExitCode::ApiRefused,
                   "unexpected line in the list stream: " + std::string(text.substr(0, 200)));
  }
  return objects;
}

size_t ApiResource::list_pages(const Query& query, size_t page_size,
                               const std::function<void(const std::vector<json>&)>& on_page) {
  size_t total = 0;
  std::string after;
  for (;;) {
    Query paged = query;
    if (!after.empty()) paged.emplace_back("after", after);
    paged.emplace_back("limit", std::to_string(page_size));
    const std::vector<json> page = list(paged);
    on_page(page);
    total += page.size();
    if (page.size() < page_size) return total;
    const json& last = page.back();
    std::string next = last.is_object() && last.contains("id") && last["id"].is_string()
                           ? last["id"].get<std::string>()
                           : std::string();
    // Without an id beyond the last one, asking again would return the same page forever.
    if (next.empty() || next == after) {
      throw CliError(ExitCode::ApiRefused,
                     "the server's pages of " + noun_ + "s do not advance (no new last id)");
    }
    after = std::move(next);
  }
}

json ApiResource::get(const std::string& id) {
  auto objects = list({{"idFilter", id}});
  if (objects.empty()) throw CliError(ExitCode::NotFound, noun_ + " \"" + id + "\" not found");
  return std::move(objects.front());
}

json ApiResource::create(const json& body) { return unary(Method::Post, path_, body.dump()); }

json ApiResource::replace(const std::string& id, const json& body) {
  return unary(Method::Put, path_ + "/" + percent_encode(id), body.dump());
}

json ApiResource::update(const std::string& id, const json& patch) {
  json body = get(id);
  body.erase("id");
  body.erase("owner");
  body.merge_patch(patch);
  return replace(id, body);
}

std::string ApiResource::remove(const Query& query) {
  const json answer = unary(Method::Delete, with_query(path_, query), "");
  const auto count = answer.find("count");
  if (count == answer.end()) return "0";
  return count->is_string() ? count->get<std::string>() : count->dump();
}

json ApiResource::unary(Method method, const std::string& target, const std::string& body) {
  const HttpReply reply = client_.send(method, target, body);
  check(reply);
  return parse_answer(reply);
}

}  // namespace dps::dpsctl
