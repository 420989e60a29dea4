#include "api/http_types.hpp"

#include "common/data_uri.hpp"

namespace dps::api {

Result<ApiRequest> parse_target(std::string method, std::string_view target, std::string body) {
  if (const size_t hash = target.find('#'); hash != std::string_view::npos) {
    target = target.substr(0, hash);  // never sent by conforming clients (RFC 9112 §3.2)
  }
  if (!target.starts_with('/')) {
    return fail(ErrorCode::BadRequest, "request target must be a path starting with '/'");
  }
  ApiRequest request;
  request.method = std::move(method);
  request.body = std::move(body);
  const size_t question = target.find('?');
  // In a path '+' is a literal plus (RFC 3986); only the query uses form encoding.
  auto path = percent_decode(target.substr(0, question), /*plus_is_space=*/false);
  if (!path) return fail(ErrorCode::BadRequest, "path: invalid percent-escape");
  request.path = std::move(*path);
  if (question == std::string_view::npos) return request;

  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;  // "a=1&&b=2"
    const size_t eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), /*plus_is_space=*/true);
    auto value =
        percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1),
                       /*plus_is_space=*/true);
    if (!key || !value) {
      return fail(ErrorCode::BadRequest,
                  "query: invalid percent-escape in \"" + std::string(pair) + "\"");
    }
    request.query.emplace(std::move(*key), std::move(*value));
  }
  return request;
}

}  // namespace dps::api
