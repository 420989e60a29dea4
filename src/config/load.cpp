// load_file / load_text: YAML walker -> bound settings -> enrollment groups. Each stage stops at
// the first error, which names the dotted path of the key.

#include "config/config.hpp"
#include "config/convert.hpp"
#include "config/file_source.hpp"
#include "config/yaml_walker.hpp"

namespace dps::config {

Config defaults() { return Config{}; }

Result<Loaded> load_text(std::string_view yaml, const std::filesystem::path& base_dir) {
  std::error_code ec;
  std::filesystem::path base = std::filesystem::absolute(base_dir, ec);
  if (ec) base = base_dir;
  Loaded loaded{defaults(), {}};
  auto doc = parse_document(yaml, base, loaded.warnings);
  if (!doc) return tl::unexpected(doc.error());
  if (auto done = apply_settings(*doc, loaded.config); !done) return tl::unexpected(done.error());
  if (auto done = apply_plgd_keys(*doc, loaded.config, loaded.warnings); !done) {
    return tl::unexpected(done.error());
  }
  if (auto done = convert_enrollment_groups(*doc, loaded.config); !done) {
    return tl::unexpected(done.error());
  }
  return loaded;
}

Result<Loaded> load_file(const std::filesystem::path& file) {
  auto text = read_small_file(file);
  if (!text) {
    return fail(ErrorCode::BadRequest, "config file: " + text.error().internal);
  }
  auto loaded = load_text(*text, file.parent_path().empty() ? "." : file.parent_path());
  if (!loaded) {
    // Prefix the file so "line 3, column 5: ..." and dotted paths say where they come from.
    loaded.error().internal = file.string() + ": " + loaded.error().internal;
    return loaded;
  }
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(file, ec);
  loaded->config.source_file = (ec ? file : absolute.lexically_normal()).string();
  return loaded;
}

}  // namespace dps::config
