// docs/openapi.yaml against the code it describes. Both directions: every operation the document
// lists is served (ManagementApi for /api/v1, http::route for the public endpoints) and answers
// only statuses and bodies the document gives it; every route the server serves is in the
// document; its query parameters are exactly the ones the router accepts; its token requirement
// is what the HTTP routes enforce; and real objects, requests and answers match its schemas.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <regex>
#include <set>
#include <sstream>

#include "api_fixture.hpp"
#include "auth/admin_token.hpp"
#include "auth/embedded_token_minter.hpp"
#include "auth/jwt_verifier.hpp"
#include "http/routes.hpp"
#include "metrics/metrics.hpp"
#include "pki/x509_util.hpp"
#include "provisioning/payloads.hpp"
#include "support/jwt_test_tokens.hpp"
#include "support/random_hex.hpp"

#ifndef DPS_SOURCE_DIR
#error "DPS_SOURCE_DIR must name the source tree (tests/unit/api/CMakeLists.txt)"
#endif

namespace dps::api::testing {
namespace {

constexpr const char* kOpenApiFile = DPS_SOURCE_DIR "/docs/openapi.yaml";
constexpr const char* kPrefix = "/device-provisioning-service";
constexpr const char* kAbsentId = "33333333-3333-4333-8333-333333333333";
constexpr const char* kHost = "dps.example:9100";
const std::vector<std::string> kMethods{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"};
const std::set<std::string> kPublicPaths{"/healthz", "/readyz", "/metrics",
                                         "/.well-known/openid-configuration",
                                         "/.well-known/jwks.json"};

// yaml-cpp gotcha: operator[] on a non-const Node may insert and assigning a Node overwrites the
// node it refers to. Everything below reads through const references and builds new Nodes only.
const YAML::Node& document() {
  static const YAML::Node doc = YAML::LoadFile(kOpenApiFile);
  return doc;
}

YAML::Node lookup(const YAML::Node& node, std::string_view pointer) {
  const size_t slash = pointer.find('/');
  const YAML::Node next = node[std::string(pointer.substr(0, slash))];
  if (!next.IsDefined()) throw std::runtime_error("dangling $ref at " + std::string(pointer));
  return slash == std::string_view::npos ? next : lookup(next, pointer.substr(slash + 1));
}

/// The node itself, or what its "$ref" ("#/components/...") points to.
YAML::Node resolve(const YAML::Node& node) {
  if (!node.IsDefined() || !node.IsMap() || !node["$ref"].IsDefined()) return node;
  const YAML::Node ref = node["$ref"];
  const std::string pointer = ref.as<std::string>();
  if (!pointer.starts_with("#/")) throw std::runtime_error("external $ref " + pointer);
  return resolve(lookup(document(), std::string_view(pointer).substr(2)));
}

YAML::Node schema(const std::string& name) {
  return lookup(document(), "components/schemas/" + name);
}

// The first way `value` breaks `node` ("" when it conforms). Covers what the document uses:
// $ref, allOf, oneOf, type, properties, required, additionalProperties (absent counts as false:
// the document is meant to name every field), items, minItems, maxItems, enum, pattern.
std::string violation(const json& value, const YAML::Node& node, const std::string& where) {
  const YAML::Node s = resolve(node);
  if (!s.IsDefined() || !s.IsMap()) return {};
  for (const auto& part : s["allOf"]) {
    if (auto why = violation(value, part, where); !why.empty()) return why;
  }
  if (const YAML::Node one_of = s["oneOf"]; one_of.IsDefined()) {
    size_t matches = 0;
    for (const auto& part : one_of) matches += violation(value, part, where).empty() ? 1 : 0;
    if (matches != 1) return where + ": matches " + std::to_string(matches) + " oneOf branches";
  }
  const YAML::Node type_node = s["type"];
  if (!type_node.IsDefined()) return {};
  const std::string type = type_node.as<std::string>();
  if (type == "object") {
    if (!value.is_object()) return where + ": expected an object";
    for (const auto& required : s["required"]) {
      if (!value.contains(required.as<std::string>())) {
        return where + ": required \"" + required.as<std::string>() + "\" missing";
      }
    }
    const YAML::Node properties = s["properties"];
    const YAML::Node extra = s["additionalProperties"];
    for (const auto& item : value.items()) {
      const std::string at = where + "." + item.key();
      if (properties.IsDefined() && properties[item.key()].IsDefined()) {
        if (auto why = violation(item.value(), properties[item.key()], at); !why.empty()) {
          return why;
        }
      } else if (extra.IsMap()) {
        if (auto why = violation(item.value(), extra, at); !why.empty()) return why;
      } else if (!extra.IsDefined() || !extra.as<bool>()) {
        return at + ": not in the schema";
      }
    }
  } else if (type == "array") {
    if (!value.is_array()) return where + ": expected an array";
    if (s["minItems"].IsDefined() && value.size() < s["minItems"].as<size_t>()) {
      return where + ": fewer items than minItems";
    }
    if (s["maxItems"].IsDefined() && value.size() > s["maxItems"].as<size_t>()) {
      return where + ": more items than maxItems";
    }
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string at = where + "[" + std::to_string(i) + "]";
      if (auto why = violation(value[i], s["items"], at); !why.empty()) return why;
    }
  } else if (type == "string") {
    if (!value.is_string()) return where + ": expected a string";
    const std::string text = value.get<std::string>();
    if (s["pattern"].IsDefined() &&
        !std::regex_search(text, std::regex(s["pattern"].as<std::string>()))) {
      return where + ": \"" + text + "\" does not match the pattern";
    }
    if (const YAML::Node values = s["enum"]; values.IsDefined()) {
      bool listed = false;
      for (const auto& allowed : values) listed = listed || allowed.as<std::string>() == text;
      if (!listed) return where + ": \"" + text + "\" is not in the enum";
    }
  } else if (type == "integer") {
    if (!value.is_number_integer()) return where + ": expected an integer";
  } else if (type == "boolean") {
    if (!value.is_boolean()) return where + ": expected true or false";
  } else {
    return where + ": schema type \"" + type + "\" unknown to this test";
  }
  return {};
}

struct Operation {
  std::string path;                // as in the document: "/api/v1/hubs/{id}"
  std::string method;              // "GET", ...
  YAML::Node node;                 // the operation object
  std::vector<std::string> bases;  // path prefixes of its servers: "", kPrefix
  std::vector<YAML::Node> query;   // its query parameters, resolved

  std::string name() const { return method + " " + path; }
};

std::string base_of(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? std::string{} : url.substr(slash);
}

bool is_api(const std::string& path) { return path.starts_with("/api/"); }

std::vector<Operation> operations() {
  const YAML::Node& doc = document();
  std::vector<Operation> out;
  for (const auto& entry : doc["paths"]) {
    const std::string path = entry.first.as<std::string>();
    const YAML::Node item = entry.second;
    std::vector<std::string> bases;
    for (const auto& server : item["servers"].IsDefined() ? item["servers"] : doc["servers"]) {
      bases.push_back(base_of(server["url"].as<std::string>()));
    }
    for (std::string method : {"get", "post", "put", "delete", "patch", "head", "options"}) {
      const YAML::Node node = item[method];
      if (!node.IsDefined()) continue;
      std::vector<YAML::Node> query;
      for (const YAML::Node& parameters : {item["parameters"], node["parameters"]}) {
        for (const auto& parameter : parameters) {
          const YAML::Node resolved = resolve(parameter);
          if (resolved["in"].as<std::string>() == "query") query.push_back(resolved);
        }
      }
      for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.push_back(Operation{path, method, node, bases, query});
    }
  }
  return out;
}

/// The methods the document lists for `path` under the server base `base`.
std::set<std::string> documented_methods(const std::string& base, const std::string& path) {
  std::set<std::string> methods;
  for (const Operation& op : operations()) {
    if (op.path == path && std::find(op.bases.begin(), op.bases.end(), base) != op.bases.end()) {
      methods.insert(op.method);
    }
  }
  return methods;
}

bool requires_token(const Operation& op) {
  const YAML::Node own = op.node["security"];
  return (own.IsDefined() ? own : document()["security"]).size() > 0;
}

std::string message_of(const std::string& body) {
  const json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  return parsed.is_object() ? parsed.value("message", "") : "";
}

/// Fails the test unless the document gives `op` an answer with `status` and `content_type` and
/// `body` fits its schema (each line of a stream, x-dps-stream, on its own).
void expect_documented_answer(const Operation& op, unsigned status, const std::string& content_type,
                              const std::string& body, const std::string& target) {
  const std::string what = op.method + " " + target + " -> " + std::to_string(status);
  const YAML::Node listed = op.node["responses"][std::to_string(status)];
  ASSERT_TRUE(listed.IsDefined()) << what << " is not documented: " << body;
  const YAML::Node response = resolve(listed);
  const YAML::Node media = response["content"][content_type];
  ASSERT_TRUE(media.IsDefined()) << what << ": content type " << content_type << " undocumented";
  if (content_type.find("json") == std::string::npos) {
    // Text answers (the Prometheus exposition format): documented as a string, not parsed.
    EXPECT_EQ(media["schema"]["type"].as<std::string>(""), "string") << what;
    EXPECT_FALSE(body.empty()) << what;
    return;
  }
  std::vector<std::string> documents;
  if (response["x-dps-stream"].IsDefined() && response["x-dps-stream"].as<bool>()) {
    size_t end = 0;
    for (size_t start = 0; start < body.size(); start = end + 1) {
      end = body.find('\n', start);
      ASSERT_NE(end, std::string::npos) << what << ": stream line without '\\n'";
      documents.push_back(body.substr(start, end - start));
    }
  } else {
    documents.push_back(body);
  }
  for (const std::string& text : documents) {
    const json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(value.is_discarded()) << what << ": not JSON: " << text;
    EXPECT_EQ(violation(value, media["schema"], "body"), "") << what << ": " << text;
  }
}

/// An individual enrollment of a device key of its own (the store holds each key once).
json individual_body() {
  return {{"attestationMechanism", {{"publicKeySha256", test::random_hex(32)}}},
          {"hubIds", {kHubA}}};
}

json body_for(const Operation& op) {
  if (op.method != "POST" && op.method != "PUT") return nullptr;
  if (op.path.ends_with("/explain")) {
    // A device of the group SetUp creates: the answer names it, so its schema is exercised.
    static const std::string device = test::make_leaf(Pki::get().intermediate).cert_pem();
    return json{{"certificateChain", device}};
  }
  if (op.path.find("individual-enrollments") != std::string::npos) return individual_body();
  if (op.path.find("enrollment-templates") != std::string::npos) return json{{"name", "t"}};
  return op.path.find("enrollment-groups") != std::string::npos ? group_body() : hub_body("");
}

std::string lower_snake(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

class OpenApiDocument : public ApiTest {
 protected:
  void SetUp() override {
    hub_id_ = create("hubs", hub_body())["id"];  // first: the group names it
    group_id_ = create("enrollment-groups", group_body())["id"];
    // Lists of more than one line, so the stream format is what gets checked.
    create("enrollment-groups", own_ca_group_body("second"));
    create("hubs", hub_body(""));
    individual_id_ = create("individual-enrollments", individual_body())["id"];
    create("individual-enrollments", individual_body());
    template_id_ = create("enrollment-templates", json{{"name", "t"}})["id"];
    create("enrollment-templates", json::object());

    std::filesystem::create_directories(dir_.path() / "tokens");
    auto minter = auth::EmbeddedTokenMinter::load_or_create(dir_.path() / "tokens", "dps-test",
                                                            std::chrono::hours(1));
    ASSERT_TRUE(minter) << minter.error().internal;
    minter_ = std::move(*minter);
    auto keys = auth::admin_token_keys(*minter_);
    ASSERT_TRUE(keys) << keys.error().internal;
    verifier_ = std::make_unique<auth::JwtVerifier>(auth::JwtVerifierOptions{}, std::move(*keys));
    auto token = auth::mint_admin_token(*minter_, {.owner = kAlice});
    ASSERT_TRUE(token) << token.error().internal;
    token_ = *token;
    endpoints_.api = api_.get();
    endpoints_.verifier = verifier_.get();
    endpoints_.issuer = minter_->issuer();
    endpoints_.public_url = std::string("https://") + kHost;
    endpoints_.jwks_json = [this] { return minter_->jwks_json(); };
    endpoints_.ready = [this] { return ready_; };
    endpoints_.metrics = &metrics_;
  }

  /// `path` with its {id} replaced by the id of an existing object of the same kind.
  std::string fill(const std::string& path) const {
    const size_t at = path.find("{id}");
    if (at == std::string::npos) return path;
    std::string id = kAbsentId;
    if (path.find("/enrollment-groups/") != std::string::npos) id = group_id_;
    if (path.find("/hubs/") != std::string::npos) id = hub_id_;
    if (path.find("/individual-enrollments/") != std::string::npos) id = individual_id_;
    if (path.find("/enrollment-templates/") != std::string::npos) id = template_id_;
    return fill(path.substr(0, at) + id + path.substr(at + 4));
  }

  ApiResponse send(const std::string& method, const std::string& target, const json& body) {
    return call(method, target, body.is_null() ? std::string{} : body.dump());
  }

  http::Reply http_call(const std::string& method, const std::string& target,
                        const std::string& authorization, const json& body = nullptr) const {
    return http::route(http::Incoming{method, target, body.is_null() ? "" : body.dump(),
                                      authorization, kHost, "test"},
                       endpoints_);
  }

  std::string group_id_;
  std::string hub_id_;
  std::string individual_id_;
  std::string template_id_;
  std::unique_ptr<auth::EmbeddedTokenMinter> minter_;
  std::unique_ptr<auth::JwtVerifier> verifier_;
  std::string token_;
  metrics::Metrics metrics_;
  http::HttpEndpoints endpoints_;
  bool ready_ = true;
};

TEST(OpenApiFile, IsOpenApi303WithResolvableRefsAndABearerScheme) {
  const YAML::Node& doc = document();
  EXPECT_EQ(doc["openapi"].as<std::string>(), "3.0.3");
  const YAML::Node bearer = doc["components"]["securitySchemes"]["bearerAuth"];
  EXPECT_EQ(bearer["type"].as<std::string>(), "http");
  EXPECT_EQ(bearer["scheme"].as<std::string>(), "bearer");
  EXPECT_EQ(bearer["bearerFormat"].as<std::string>(), "JWT");
  EXPECT_TRUE(doc["security"][0]["bearerAuth"].IsDefined());
  std::vector<std::string> bases;
  for (const auto& server : doc["servers"])
    bases.push_back(base_of(server["url"].as<std::string>()));
  EXPECT_EQ(bases, (std::vector<std::string>{"", kPrefix}));

  // Every $ref anywhere in the file resolves.
  std::function<void(const YAML::Node&)> walk = [&](const YAML::Node& node) {
    if (node.IsMap()) {
      EXPECT_NO_THROW(resolve(node));
      for (const auto& entry : node) walk(entry.second);
    } else if (node.IsSequence()) {
      for (const auto& item : node) walk(item);
    }
  };
  walk(doc);
}

TEST_F(OpenApiDocument, EveryDocumentedApiOperationIsRoutedAndAnswersAsDocumented) {
  size_t checked = 0;
  for (const Operation& op : operations()) {
    if (!is_api(op.path)) continue;
    for (const std::string& base : op.bases) {
      const std::string target = base + fill(op.path);
      ApiResponse response = send(op.method, target, body_for(op));
      EXPECT_NE(response.status, 405u) << op.method << " " << target << ": " << response.body;
      EXPECT_FALSE(response.status == 404 && message_of(response.body).starts_with("unknown path"))
          << op.method << " " << target;
      expect_documented_answer(op, response.status, response.content_type, response.body, target);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 40u);  // 20 operations, each with and without the plgd prefix
}

TEST_F(OpenApiDocument, EveryRouteTheApiServesIsDocumentedWithItsAllowedMethods) {
  std::vector<std::string> paths{"/api", "/api/v1", "/api/v1/{id}", "/api/v1/explain",
                                 "/api/v1/explain/{id}"};
  for (std::string resource :
       {"/api/v1/enrollment-groups", "/api/v1/hubs", "/api/v1/individual-enrollments",
        "/api/v1/enrollment-templates", "/api/v1/provisioning-records", "/api/v1/devices"}) {
    for (std::string suffix : {"", "/{id}", "/{id}/{id}", "/"}) paths.push_back(resource + suffix);
  }
  for (const std::string& base : {std::string{}, std::string(kPrefix)}) {
    for (const std::string& path : paths) {
      const std::set<std::string> documented = documented_methods(base, path);
      for (const std::string& method : kMethods) {
        const std::string target = base + fill(path);
        ApiResponse response = call(method, target);
        const bool unknown =
            response.status == 404 && message_of(response.body).starts_with("unknown path");
        const bool served = !unknown && response.status != 405;
        EXPECT_EQ(served, documented.contains(method))
            << method << " " << target << " -> " << response.status << " " << response.body;
        if (response.status == 405) {
          // The Allow header names exactly the methods the document lists for the path.
          ASSERT_EQ(response.headers.size(), 1u);
          EXPECT_EQ(response.headers[0].first, "Allow");
          std::set<std::string> allowed;
          std::stringstream allow_list(response.headers[0].second);
          for (std::string name; std::getline(allow_list >> std::ws, name, ',');) {
            allowed.insert(name);
          }
          EXPECT_EQ(allowed, documented) << method << " " << target;
        }
      }
    }
  }
}

TEST_F(OpenApiDocument, QueryParametersAreExactlyTheOnesTheRouterAccepts) {
  for (const Operation& op : operations()) {
    if (!is_api(op.path)) continue;
    std::set<std::string> documented;
    for (const YAML::Node& parameter : op.query) {
      const std::string name = parameter["name"].as<std::string>();
      EXPECT_TRUE(documented.insert(name).second) << op.name() << " lists " << name << " twice";
      EXPECT_EQ(parameter["style"].as<std::string>(), "form") << op.name() << " " << name;
      EXPECT_TRUE(parameter["explode"].as<bool>()) << op.name() << " " << name;
      EXPECT_EQ(parameter["schema"]["type"].as<std::string>(), "array") << op.name() << name;
      EXPECT_EQ(parameter["schema"]["items"]["type"].as<std::string>(), "string");
    }
    const std::string target = fill(op.path);
    const json body = body_for(op);

    // An undocumented parameter is refused, and the refusal lists what is accepted.
    ApiResponse refused = send(op.method, target + "?zzUndocumented=1", body);
    EXPECT_EQ(refused.status, 400u) << op.name();
    const std::string message = message_of(refused.body);
    const std::string lead = "unknown query parameter \"zzUndocumented\" (accepted: ";
    ASSERT_TRUE(message.starts_with(lead) && message.ends_with(")"))
        << op.name() << ": " << message;
    std::set<std::string> accepted;
    std::stringstream accepted_list(message.substr(lead.size(), message.size() - lead.size() - 1));
    for (std::string name; std::getline(accepted_list >> std::ws, name, ',');) {
      if (name != "none") accepted.insert(name);
    }
    EXPECT_EQ(accepted, documented) << op.name();

    // Each documented one is accepted, repeated, and in snake_case too.
    for (const std::string& name : documented) {
      for (const std::string& spelling : {name, lower_snake(name)}) {
        const std::string query = "?" + spelling + "=" + kAbsentId + "&" + spelling + "=" + kHubA;
        ApiResponse response = send(op.method, target + query, body);
        EXPECT_EQ(message_of(response.body).find("unknown query parameter"), std::string::npos)
            << op.name() << " " << query;
        expect_documented_answer(op, response.status, response.content_type, response.body,
                                 target + query);
      }
    }
    // A required one is required.
    for (const YAML::Node& parameter : op.query) {
      if (!parameter["required"].IsDefined() || !parameter["required"].as<bool>()) continue;
      ApiResponse without = send(op.method, target, body);
      EXPECT_EQ(without.status, 400u) << op.name();
      EXPECT_NE(message_of(without.body).find(parameter["name"].as<std::string>() + " required"),
                std::string::npos)
          << op.name() << ": " << without.body;
    }
  }
}

TEST_F(OpenApiDocument, TheTokenRequirementIsWhatTheHttpRoutesEnforce) {
  for (const Operation& op : operations()) {
    for (const std::string& base : op.bases) {
      const std::string target = base + fill(op.path);
      http::Reply anonymous = http_call(op.method, target, "", body_for(op));
      expect_documented_answer(op, anonymous.status, anonymous.content_type, anonymous.body,
                               target);
      if (!requires_token(op)) {
        EXPECT_EQ(anonymous.status, 200u) << op.name();
        continue;
      }
      EXPECT_EQ(anonymous.status, 401u) << op.name() << ": " << anonymous.body;
      http::Reply authorized = http_call(op.method, target, "Bearer " + token_, body_for(op));
      EXPECT_NE(authorized.status, 401u) << op.name() << ": " << authorized.body;
      expect_documented_answer(op, authorized.status, authorized.content_type, authorized.body,
                               target);
    }
  }
}

TEST_F(OpenApiDocument, PublicEndpointsAreServedAtTheRootOnlyAsDocumented) {
  std::set<std::string> documented;
  for (const Operation& op : operations()) {
    if (is_api(op.path)) continue;
    documented.insert(op.path);
    EXPECT_EQ(op.bases, std::vector<std::string>{""}) << op.name();
    EXPECT_FALSE(requires_token(op)) << op.name();
  }
  EXPECT_EQ(documented, kPublicPaths);
  for (const std::string& path : kPublicPaths) {
    for (const std::string& method : kMethods) {
      http::Reply reply = http_call(method, path, "");
      const bool served =
          !(reply.status == 404 && message_of(reply.body).starts_with("no resource"));
      EXPECT_EQ(served, documented_methods("", path).contains(method)) << method << " " << path;
      http::Reply prefixed = http_call(method, kPrefix + path, "");
      EXPECT_EQ(prefixed.status, 404u) << method << " " << kPrefix << path;
    }
  }

  const json discovery =
      json::parse(http_call("GET", "/.well-known/openid-configuration", "").body);
  EXPECT_EQ(discovery["issuer"], "dps-test");
  EXPECT_EQ(discovery["jwks_uri"], std::string("https://") + kHost + "/.well-known/jwks.json");
  for (const Operation& op : operations()) {
    if (op.path != "/metrics") continue;
    http::Reply reply = http_call("GET", "/metrics", "");
    EXPECT_EQ(reply.status, 200u);
    EXPECT_NE(reply.body.find("dps_"), std::string::npos) << reply.body;
    expect_documented_answer(op, reply.status, reply.content_type, reply.body, "/metrics");
  }
  ready_ = false;
  for (const Operation& op : operations()) {
    if (op.path != "/readyz") continue;
    http::Reply reply = http_call("GET", "/readyz", "");
    EXPECT_EQ(reply.status, 503u);
    expect_documented_answer(op, reply.status, reply.content_type, reply.body, "/readyz");
  }
}

TEST_F(OpenApiDocument, FullObjectsMatchTheSchemasAndWhatTheSchemasRefuseTheServerRefuses) {
  const Pki& pki = Pki::get();
  json group = group_body("full");
  auto& x509 = group["attestationMechanism"]["x509"];
  // Led by the root: SetUp's group leads with the intermediate, and one owner's groups must not
  // share a lead certificate.
  x509["leadCertificateName"] = "Mfg Root";
  x509["expiredCertificateEnabled"] = true;
  group["hubIds"] = {kHubA, kHubB};
  group["preSharedKey"] = "data:;base64,AAECAwQFBgcICQoLDA0ODxAR";  // 18 binary bytes
  group["disabled"] = true;
  group["revokedCertificates"] = {"0A:1b", std::string(64, 'c')};
  group["crl"] = test::make_crl_pem(pki.root, {});
  group["templateId"] = template_id_;
  group["allowOverlap"] = true;  // its CA is nested with the groups SetUp made

  json hub = hub_body(kHubB);
  hub["name"] = "full";
  hub["gateways"] = {"hub.example.com:5684", "coaps+tcp://hub.example.com:5684", "coap://h:5683"};
  hub["certificateAuthority"] = {
      {"grpc",
       {{"address", "ca.example.com:443"},
        {"keepAlive", {{"time", "10000000000"}}},
        {"tls", {{"caPool", pki.root.cert_pem()}, {"useSystemCaPool", true}, {"cert", ""}}}}}};
  hub["authorization"] = {{"ownerClaim", "https://plgd.dev/owner"},
                          {"deviceIdClaim", "https://plgd.dev/deviceId"},
                          {"provider",
                           {{"name", "plgd"},
                            {"authority", "https://auth.example.com"},
                            {"clientId", "dps"},
                            {"clientSecret", "data:,%2Fnot-a-path"},
                            {"scopes", {"a", "b"}},
                            {"audience", "https://api.example.com"},
                            {"http", {{"timeout", "10s"}}}}}};

  // By certificate: the answer then shows both the certificate and its key hash.
  json individual{{"name", "full"},
                  {"attestationMechanism",
                   {{"x509", {{"certificate", test::make_leaf(pki.intermediate).cert_pem()}}}}},
                  {"hubIds", {kHubA, kHubB}},
                  {"disabled", true},
                  {"templateId", template_id_}};

  const json full_template{
      {"name", "full"},
      {"accessControlList",
       {{{"subject", {{"uuid", kHubA}}},
         {"resources", {{{"href", "/light/1"}}}},
         {"permission", 2}},
        {{"subject", {{"conntype", "anon-clear"}}},
         {"resources", {{{"wc", "*"}}, {{"wc", "+"}}, {{"wc", "-"}}}},
         {"permission", 0}},
        {{"subject", {{"role", "admin"}, {"authority", "owner"}}},
         {"resources", {{{"href", "/oic/con"}}}},
         {"permission", 31}}}},
      {"identityCertificateValiditySeconds", 86400},
      {"tokenLifetimeSeconds", 3600},
      {"preConfiguration",
       {{{"href", "/oic/con"}, {"representation", {{"n", "{{deviceId}}"}, {"x", {1, 2}}}}},
        {{"href", "/light/1"}, {"representation", json::object()}}}}};

  struct Kind {
    std::string collection;
    json body;
    std::string create_schema;
    std::string update_schema;
    std::string stored_schema;
  };
  // The hub first: the group names its hubId.
  for (const Kind& kind : {Kind{"hubs", hub, "HubCreate", "HubUpdate", "Hub"},
                           Kind{"enrollment-groups", group, "EnrollmentGroupCreate",
                                "EnrollmentGroupUpdate", "EnrollmentGroup"},
                           Kind{"individual-enrollments", individual, "IndividualEnrollmentCreate",
                                "IndividualEnrollmentUpdate", "IndividualEnrollment"},
                           Kind{"enrollment-templates", full_template, "EnrollmentTemplateCreate",
                                "EnrollmentTemplateUpdate", "EnrollmentTemplate"}}) {
    const std::string collection = "/api/v1/" + kind.collection;
    EXPECT_EQ(violation(kind.body, schema(kind.create_schema), "body"), "") << kind.create_schema;
    ApiResponse created = call("POST", collection, kind.body);
    ASSERT_EQ(created.status, 200u) << created.body;
    const json object = json::parse(created.body);
    EXPECT_EQ(violation(object, schema(kind.stored_schema), "body"), "") << created.body;
    // An answer sent back unchanged is a valid update, for the schema and for the server.
    EXPECT_EQ(violation(object, schema(kind.update_schema), "body"), "") << kind.update_schema;
    ApiResponse updated = call("PUT", collection + "/" + std::string(object["id"]), object);
    EXPECT_EQ(updated.status, 200u) << updated.body;
    EXPECT_EQ(json::parse(updated.body), object);
    ApiResponse listed = call("GET", collection + "?idFilter=" + std::string(object["id"]));
    EXPECT_EQ(violation(parse_stream(listed.body).at(0), schema(kind.stored_schema), "line"), "");

    const std::vector<std::pair<std::string, json>> refused{
        {"id", object["id"]}, {"bogus", 1}, {"name", 7}};
    for (const auto& [field, value] : refused) {
      json bad = kind.body;
      bad[field] = value;
      EXPECT_NE(violation(bad, schema(kind.create_schema), "body"), "")
          << kind.create_schema << " " << field;
      EXPECT_EQ(call("POST", collection, bad).status, 400u) << kind.collection << " " << field;
    }
  }
}

// The schema's oneOf for naming a device accepts exactly the combinations the codec accepts.
TEST_F(OpenApiDocument, IndividualAttestationMechanismsTheSchemaRefusesTheServerRefuses) {
  const test::TestCert device = test::make_leaf(Pki::get().intermediate);
  const json certificate{{"certificate", device.cert_pem()}};
  const std::string key = test::public_key_pem(device.key.get());
  const std::string hash = pki::spki_sha256_hex(device.get());
  const std::vector<std::pair<json, bool>> mechanisms{
      {{{"x509", certificate}}, true},
      {{{"publicKey", key}}, true},
      {{{"publicKeySha256", hash}}, true},
      {{{"x509", certificate}, {"publicKeySha256", hash}}, true},
      {{{"publicKey", key}, {"publicKeySha256", hash}}, true},
      {{{"x509", certificate}, {"publicKey", key}}, false},
      {{{"x509", certificate}, {"publicKey", key}, {"publicKeySha256", hash}}, false},
      {json::object(), false},
      {{{"publicKeySha256", hash.substr(1)}}, false},
      {{{"x509", json::object()}}, false},
      {{{"x509", certificate}, {"bogus", 1}}, false},
  };
  for (const auto& [mechanism, valid] : mechanisms) {
    const json body{{"attestationMechanism", mechanism}, {"hubIds", {kHubA}}};
    EXPECT_EQ(violation(body, schema("IndividualEnrollmentCreate"), "body").empty(), valid)
        << mechanism.dump();
    ApiResponse created = call("POST", "/api/v1/individual-enrollments", body);
    EXPECT_EQ(created.status, valid ? 200u : 400u) << mechanism.dump() << ": " << created.body;
    if (created.status == 200u) {
      const json object = json::parse(created.body);
      EXPECT_EQ(violation(object, schema("IndividualEnrollment"), "body"), "") << created.body;
      ASSERT_EQ(call("DELETE",
                     "/api/v1/individual-enrollments?idFilter=" + object["id"].get<std::string>())
                    .status,
                200u);
    }
  }
}

// A group's attestation is x509 or tpm: the schema's oneOf accepts what the codec accepts, and a
// TPM group round-trips through the schemas of its create, answer and update.
TEST_F(OpenApiDocument, GroupAttestationMechanismsTheSchemaRefusesTheServerRefuses) {
  const json x509{{"certificateChain", Pki::get().intermediate_for("oneof-x509").chain_pem()}};
  const json tpm{{"vendorCertificateChain", Pki::get().intermediate_for("oneof-tpm").chain_pem()},
                 {"expiredCertificateEnabled", true}};
  const std::vector<std::pair<json, bool>> mechanisms{
      {{{"tpm", tpm}}, true},
      {{{"x509", x509}}, true},
      {{{"x509", x509}, {"tpm", tpm}}, false},
      {json::object(), false},
      {{{"tpm", json::object()}}, false},
      {{{"tpm", {{"certificateChain", tpm["vendorCertificateChain"]}}}}, false},
      {{{"tpm", tpm}, {"bogus", 1}}, false},
  };
  for (const auto& [mechanism, valid] : mechanisms) {
    const json body{{"attestationMechanism", mechanism}, {"hubIds", {kHubA}}};
    EXPECT_EQ(violation(body, schema("EnrollmentGroupCreate"), "body").empty(), valid)
        << mechanism.dump();
    ApiResponse created = call("POST", "/api/v1/enrollment-groups", body);
    EXPECT_EQ(created.status, valid ? 200u : 400u) << mechanism.dump() << ": " << created.body;
    if (created.status != 200u) continue;
    const json object = json::parse(created.body);
    EXPECT_EQ(violation(object, schema("EnrollmentGroup"), "body"), "") << created.body;
    EXPECT_EQ(violation(object, schema("EnrollmentGroupUpdate"), "body"), "") << created.body;
    const std::string path = "/api/v1/enrollment-groups/" + object["id"].get<std::string>();
    ApiResponse updated = call("PUT", path, object);
    EXPECT_EQ(updated.status, 200u) << updated.body;
    EXPECT_EQ(json::parse(updated.body), object);
    ASSERT_EQ(
        call("DELETE", "/api/v1/enrollment-groups?idFilter=" + object["id"].get<std::string>())
            .status,
        200u);
  }
}

// Both views of a record with every section, the credentials and ACEs from the real payloads.
TEST_F(OpenApiDocument, ProvisioningRecordsMatchTheirSchemaInBothViews) {
  const Pki& pki = Pki::get();
  const std::string owner_uuid = "44444444-4444-4444-8444-444444444444";
  const std::string device_id = "55555555-5555-4555-8555-555555555555";
  store::ProvisioningRecord record{.id = "66666666-6666-4666-8666-666666666666",
                                   .device_id = device_id,
                                   .enrollment_group_id = group_id_,
                                   .owner = kAlice,
                                   .creation_date = 1700000000000000000,
                                   .local_endpoints = {"coaps+tcp://[fe80::1]:5684"}};
  // Both attestation kinds at once (no real record has both), so the schema covers each.
  record.attestation = store::AttestationSection{
      {1, 0, "handshake"}, pki.root.cert_pem(), "dev", std::string(64, 'e')};
  record.plgd_time = store::PlgdTimeSection{{2, 69, ""}};
  record.ownership = store::OwnershipSection{{3, 69, ""}, owner_uuid};
  const store::Gateway gateway{"coaps+tcp://hub.example.com:5684", kHubA};
  record.cloud = store::CloudSection{{4, 68, ""}, "plgd", {gateway}, gateway};
  json creds =
      provisioning::credentials_payload({owner_uuid, device_id, pki.intermediate.cert_pem(),
                                         pki.root.cert_pem(), "0123456789abcdef"})["creds"];
  for (auto& cred : creds) cred.erase("privatedata");  // as the credentials step records them
  record.credential = store::CredentialSection{{5, 68, ""},
                                               "-----BEGIN CERTIFICATE-----",
                                               owner_uuid,
                                               std::string("\x01\x02", 2),
                                               creds.dump()};
  record.acl = store::AclSection{{6, 69, ""},
                                 provisioning::acls_payload(owner_uuid, {kHubA})["aclist2"].dump()};
  ASSERT_TRUE(store_->apply_record_updates(std::span(&record, 1)));
  for (const Operation& op : operations()) {
    if (op.path != "/api/v1/provisioning-records" || op.method != "GET") continue;
    ApiResponse response = call("GET", op.path);
    ASSERT_EQ(response.status, 200u);
    const json line = parse_stream(response.body).at(0);
    for (const char* section : {"attestation", "plgdTime", "ownership", "cloud", "credential",
                                "acl", "creationDate", "localEndpoints"}) {
      EXPECT_TRUE(line.contains(section)) << section;  // so the schema check below covers it
    }
    expect_documented_answer(op, response.status, response.content_type, response.body, op.path);
    // plgd's shape by default: its credentials and ACEs are covered by the schema too.
    EXPECT_TRUE(line["credential"].contains("credentials"));
    EXPECT_TRUE(line["acl"].contains("accessControlList"));
    EXPECT_TRUE(line["plgdTime"].contains("coapCode"));  // flat ProvisionStatus
    EXPECT_TRUE(line["attestation"].contains("tpm"));

    // view=ocf answers with the schema the 200's description names for it.
    ApiResponse ocf = call("GET", op.path + "?view=ocf");
    ASSERT_EQ(ocf.status, 200u);
    const json ocf_line = parse_stream(ocf.body).at(0);
    EXPECT_EQ(violation(ocf_line, schema("ProvisioningRecordOcfView"), "line"), "");
    EXPECT_NE(violation(ocf_line, schema("ProvisioningRecord"), "line"), "");
    EXPECT_NE(violation(line, schema("ProvisioningRecordOcfView"), "line"), "");
  }
}

}  // namespace
}  // namespace dps::api::testing
