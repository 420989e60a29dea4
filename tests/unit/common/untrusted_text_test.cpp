#include "common/untrusted_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace dps {
namespace {

TEST(QuoteUntrusted, PrintableAsciiIsQuotedAsIs) {
  EXPECT_EQ(quote_untrusted("device-1"), "\"device-1\"");
  EXPECT_EQ(quote_untrusted(""), "\"\"");
}

TEST(QuoteUntrusted, QuotesControlAndNonAsciiBytesBecomeQuestionMarks) {
  EXPECT_EQ(quote_untrusted("a\"b\nc\x7f"), "\"a?b?c?\"");
  EXPECT_EQ(quote_untrusted(std::string("nul\0x", 5)), "\"nul?x\"");
  // A cut UTF-8 sequence (or a whole one): never passed through, so never invalid.
  EXPECT_EQ(quote_untrusted("\xe2\x82"), "\"??\"");
  EXPECT_EQ(quote_untrusted("\xe2\x82\xac"), "\"???\"");
}

TEST(QuoteUntrusted, LongTextIsCutWithAnEllipsis) {
  const std::string long_text(100, 'x');
  EXPECT_EQ(quote_untrusted(long_text), "\"" + std::string(64, 'x') + "...\"");
  EXPECT_EQ(quote_untrusted(long_text, 3), "\"xxx...\"");
  EXPECT_EQ(quote_untrusted(std::string(64, 'y')), "\"" + std::string(64, 'y') + "\"");
}

}  // namespace
}  // namespace dps
