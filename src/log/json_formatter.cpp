#include "log/json_formatter.hpp"

#include <spdlog/formatter.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>

#include "log/setup.hpp"
#include "log/utf8.hpp"

namespace dps::log {
namespace {

constexpr std::string_view kConnPrefix = "conn=";
constexpr std::string_view kReplacement = "\\ufffd";  // U+FFFD REPLACEMENT CHARACTER

// Appends the JSON string body of `text` (no quotes) through `put(const char*, size_t)`. Runs of
// bytes that need nothing are copied in one call.
template <class Put>
void escape(std::string_view text, Put&& put) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t plain = 0;  // start of the pending run of bytes copied as they are
  size_t i = 0;
  const auto flush = [&] {
    if (i > plain) put(text.data() + plain, i - plain);
  };
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7f && byte != '"' && byte != '\\') {
      ++i;
      continue;
    }
    if (byte >= 0x80) {
      const size_t length = detail::utf8_sequence_length(text, i);
      if (length != 0) {
        i += length;
        continue;
      }
    }
    flush();
    switch (byte) {
      case '"':
        put("\\\"", 2);
        break;
      case '\\':
        put("\\\\", 2);
        break;
      case '\n':
        put("\\n", 2);
        break;
      case '\r':
        put("\\r", 2);
        break;
      case '\t':
        put("\\t", 2);
        break;
      default:
        if (byte >= 0x80) {
          put(kReplacement.data(), kReplacement.size());  // one invalid byte, one U+FFFD
        } else {                                          // other control characters and DEL
          const char code[6] = {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 0xf]};
          put(code, sizeof code);
        }
    }
    ++i;
    plain = i;
  }
  flush();
}

// 2024-05-01T12:34:56.789012Z
std::string_view rfc3339_utc(std::chrono::system_clock::time_point time,
                             std::array<char, 32>& buf) {
  using namespace std::chrono;
  const auto micros = duration_cast<microseconds>(time.time_since_epoch()).count();
  auto seconds = static_cast<std::time_t>(micros / 1000000);
  auto fraction = micros % 1000000;
  if (fraction < 0) {  // before 1970: floor, so the fraction stays positive
    fraction += 1000000;
    --seconds;
  }
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  const size_t date = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &utc);
  char* end = buf.data() + date;
  *end++ = '.';
  for (int divisor = 100000; divisor > 0; divisor /= 10) {
    *end++ = static_cast<char>('0' + (fraction / divisor) % 10);
  }
  *end++ = 'Z';
  return {buf.data(), static_cast<size_t>(end - buf.data())};
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto put = [&dest](const char* data, size_t size) { dest.append(data, data + size); };
    const auto put_text = [&put](std::string_view text) { put(text.data(), text.size()); };
    std::array<char, 32> time_buf{};
    put_text(R"({"time":")");
    put_text(rfc3339_utc(msg.time, time_buf));
    put_text(R"(","level":")");
    put_text(level_name(msg.level));
    put_text(R"(","msg":")");
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    escape(payload, put);
    put_text("\"");
    if (auto conn = connection_of(payload)) {
      std::array<char, 24> digits{};
      auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), *conn);
      (void)ec;  // 24 characters hold any uint64_t
      put_text(R"(,"conn":)");
      put(digits.data(), static_cast<size_t>(end - digits.data()));
    }
    put_text("}\n");
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }

 private:
  // Session lines start "conn=<id> " (net/device_session.cpp): the id as a field of its own.
  static std::optional<uint64_t> connection_of(std::string_view payload) {
    if (!payload.starts_with(kConnPrefix)) return std::nullopt;
    const char* first = payload.data() + kConnPrefix.size();
    const char* last = payload.data() + payload.size();
    uint64_t id = 0;
    auto [end, ec] = std::from_chars(first, last, id);
    if (ec != std::errc() || end == first || (end != last && *end != ' ')) return std::nullopt;
    return id;
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_json_formatter() {
  return std::make_unique<JsonFormatter>();
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  escape(text, [&out](const char* data, size_t size) { out.append(data, size); });
  out += '"';
  return out;
}

}  // namespace dps::log
