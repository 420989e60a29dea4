// Files named on dpsctl's command line (--chain, --psk-file, --crl-file, --token-file). They are
// read here and their content is sent inline: the API refuses file paths, as a remote caller
// must never make the server read its own files.
#pragma once

#include <string>
#include <string_view>

namespace dps::dpsctl {

/// The whole file. Throws CliError(Usage) "<option>: cannot read <path>: <reason>".
std::string read_local_file(const std::string& path, std::string_view option);

/// RFC 2397 "data:;base64,<standard base64>" of `bytes`: how binary secrets (PSKs) travel.
std::string base64_data_uri(std::string_view bytes);

}  // namespace dps::dpsctl
