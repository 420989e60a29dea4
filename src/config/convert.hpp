// Stages after the walker: checked Node tree -> Config. Internal.
#pragma once

#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/token_names.hpp"
#include "config/config.hpp"
#include "config/document.hpp"

namespace dps::config {

/// Copies every schema row that has a Config target, then the keys needing code (protocols,
/// authorization endpoints), and checks ranges.
Result<void> apply_settings(const Node& doc, Config& config);

/// plgd keys refused in some values (with what to use instead), plgd's single-authority form, the
/// store choice against plgd's mongoDB section, and mutual TLS checks. Adds start-up warnings.
Result<void> apply_plgd_keys(const Node& doc, Config& config, std::vector<std::string>& warnings);

/// enrollmentGroups[] -> Config.enrollment_groups and Config.hubs (deduplicated by id).
Result<void> convert_enrollment_groups(const Node& doc, Config& config);

/// One hub object (an EG's `hub` or an entry of its `hubs`), owned by `owner`. Token settings that
/// would reproduce the management API's (`api_tokens`) are refused (common/token_names.hpp).
Result<store::Hub> convert_hub(const Node& hub, const std::string& owner,
                               const ApiTokenNames& api_tokens);

/// "<path>: <message>" as a BadRequest error.
inline tl::unexpected<Error> invalid(const std::string& path, const std::string& message) {
  return fail(ErrorCode::BadRequest, path + ": " + message);
}

}  // namespace dps::config
