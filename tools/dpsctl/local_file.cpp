#include "local_file.hpp"

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "exit_codes.hpp"

namespace dps::dpsctl {

std::string read_local_file(const std::string& path, std::string_view option) {
  const auto refuse = [&](const std::string& why) {
    return CliError(ExitCode::Usage,
                    std::string(option) + ": cannot read \"" + path + "\": " + why);
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw refuse("is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw refuse(std::strerror(errno));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw refuse("read error");
  return content.str();
}

std::string base64_data_uri(std::string_view bytes) {
  std::string encoded(4 * ((bytes.size() + 2) / 3), '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                     reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<int>(bytes.size()));
  encoded.resize(static_cast<size_t>(length));
  return "data:;base64," + encoded;
}

}  // namespace dps::dpsctl
