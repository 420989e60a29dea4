// parse_target: request-target → decoded path and query.
#include "api/http_types.hpp"

#include <gtest/gtest.h>

namespace dps::api {
namespace {

using Query = std::multimap<std::string, std::string>;

TEST(ParseTarget, SplitsPathAndQueryKeepingRepeatedKeysInOrder) {
  auto request = parse_target("GET", "/api/v1/hubs?idFilter=a&idFilter=b&hubIdFilter=c", "x");
  ASSERT_TRUE(request);
  EXPECT_EQ(request->method, "GET");
  EXPECT_EQ(request->path, "/api/v1/hubs");
  EXPECT_EQ(request->body, "x");
  EXPECT_EQ(request->query, (Query{{"idFilter", "a"}, {"idFilter", "b"}, {"hubIdFilter", "c"}}));
  const auto [first, last] = request->query.equal_range("idFilter");
  EXPECT_EQ(first->second, "a");
  EXPECT_EQ(std::next(first)->second, "b");
  EXPECT_EQ(std::next(first, 2), last);
}

TEST(ParseTarget, PercentDecodesPathLiterallyAndQueryAsForm) {
  auto request = parse_target("GET", "/a%20b+c?na%6De=v%26w+x&flag&&=empty-key", "");
  ASSERT_TRUE(request);
  EXPECT_EQ(request->path, "/a b+c");
  EXPECT_EQ(request->query, (Query{{"name", "v&w x"}, {"flag", ""}, {"", "empty-key"}}));
}

TEST(ParseTarget, WithoutQueryHasEmptyQueryAndDropsFragment) {
  auto request = parse_target("DELETE", "/api/v1/hubs#frag", "");
  ASSERT_TRUE(request);
  EXPECT_EQ(request->path, "/api/v1/hubs");
  EXPECT_TRUE(request->query.empty());
  EXPECT_EQ(parse_target("GET", "/x?", "")->query.size(), 0u);
}

TEST(ParseTarget, RejectsNonOriginFormAndBadEscapes) {
  for (const char* target : {"", "api/v1/hubs", "http://host/api", "/a%2", "/a?x=%zz", "/a?%=1"}) {
    auto request = parse_target("GET", target, "");
    ASSERT_FALSE(request) << target;
    EXPECT_EQ(request.error().code, ErrorCode::BadRequest);
  }
}

}  // namespace
}  // namespace dps::api
