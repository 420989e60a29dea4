// log::quoted: peer text can never end its quotes early, start a new line or hide bytes.
#include "log/quoted.hpp"

#include <gtest/gtest.h>

#include <string>

namespace dps::log {
namespace {

TEST(LogQuoted, WrapsPlainTextInQuotesUnchanged) {
  EXPECT_EQ(log::quoted("uuid:9c2f3bd4-0000-4000-8000-000000000001"),
            "\"uuid:9c2f3bd4-0000-4000-8000-000000000001\"");
  EXPECT_EQ(log::quoted(""), "\"\"");
}

TEST(LogQuoted, EscapesQuotesAndBackslashes) {
  EXPECT_EQ(log::quoted(R"(a"b\c)"), R"("a\"b\\c")");
  // A value ending in a backslash cannot escape the closing quote.
  EXPECT_EQ(log::quoted("end\\"), R"("end\\")");
}

TEST(LogQuoted, ForgedLogLineStaysOnOneLine) {
  const std::string cn = "dev\n2030-01-01T00:00:00.000 info conn=1 admitted\r\x1b[2K";
  const std::string q = log::quoted(cn);
  EXPECT_EQ(q, R"("dev\n2030-01-01T00:00:00.000 info conn=1 admitted\r\x1B[2K")");
  EXPECT_EQ(q.find('\n'), std::string::npos);
  EXPECT_EQ(q.find('\r'), std::string::npos);
}

TEST(LogQuoted, ShowsEveryOtherControlByteAsHex) {
  EXPECT_EQ(log::quoted(std::string("nul\0x", 5)), R"("nul\x00x")");
  EXPECT_EQ(log::quoted("\t\x01\x1f\x7f"), R"("\t\x01\x1F\x7F")");
}

TEST(LogQuoted, KeepsWellFormedUtf8) {
  EXPECT_EQ(log::quoted("M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x94\x92"),
            "\"M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x94\x92\"");
}

TEST(LogQuoted, ShowsBytesThatAreNotUtf8AsHex) {
  EXPECT_EQ(log::quoted("\xff\xfe"), R"("\xFF\xFE")");
  EXPECT_EQ(log::quoted("\xe2\x82"), R"("\xE2\x82")");          // truncated sequence
  EXPECT_EQ(log::quoted("\xc0\xaf"), R"("\xC0\xAF")");          // overlong '/'
  EXPECT_EQ(log::quoted("\xed\xa0\x80"), R"("\xED\xA0\x80")");  // UTF-16 surrogate
}

TEST(LogQuoted, EscapesCodePointsThatBreakOrReorderLines) {
  EXPECT_EQ(log::quoted("a\xc2\x85z"), R"("a\u0085z")");      // NEL
  EXPECT_EQ(log::quoted("a\xe2\x80\xa8z"), R"("a\u2028z")");  // LINE SEPARATOR
  EXPECT_EQ(log::quoted("a\xe2\x80\xa9z"), R"("a\u2029z")");  // PARAGRAPH SEPARATOR
  EXPECT_EQ(log::quoted("a\xe2\x80\xaez"), R"("a\u202Ez")");  // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(log::quoted("a\xe2\x81\xa6z"), R"("a\u2066z")");  // LEFT-TO-RIGHT ISOLATE
  EXPECT_EQ(log::quoted("\xef\xbb\xbf"
                        "a"),
            R"("\uFEFFa")");  // BOM
}

TEST(LogQuoted, CutsLongTextWithAnEllipsisOutsideTheQuotes) {
  EXPECT_EQ(log::quoted(std::string(kQuotedMaxBytes, 'x')),
            "\"" + std::string(kQuotedMaxBytes, 'x') + "\"");
  EXPECT_EQ(log::quoted(std::string(kQuotedMaxBytes + 1, 'x')),
            "\"" + std::string(kQuotedMaxBytes, 'x') + "\"...");
  EXPECT_EQ(log::quoted("abcdef", 3), "\"abc\"...");
  EXPECT_EQ(log::quoted("abc", 0), "\"\"...");
  // The whole peer value, however long, costs at most the cap (times 4 for \xNN) on the line.
  EXPECT_LE(log::quoted(std::string(1 << 20, '\x01')).size(), 4 * kQuotedMaxBytes + 5);
}

TEST(LogQuoted, NeverCutsAUtf8SequenceInHalf) {
  // "a€": the cap of 2 falls inside the 3-byte euro sign, which is left out whole.
  EXPECT_EQ(log::quoted("a\xe2\x82\xac", 2), "\"a\"...");
  EXPECT_EQ(log::quoted("a\xe2\x82\xac", 4), "\"a\xe2\x82\xac\"");
}

TEST(LogQuoted, OutputHasNoRawControlBytesForAnyInputByte) {
  for (int b = 0; b < 256; ++b) {
    const std::string q = log::quoted(std::string(1, static_cast<char>(b)) + "\"");
    for (size_t i = 0; i < q.size(); ++i) {
      const auto c = static_cast<unsigned char>(q[i]);
      ASSERT_TRUE(c >= 0x20 && c != 0x7f && c < 0x80) << "byte " << b << " gave " << q;
    }
    // Inside the quotes every '"' is escaped: the value ends at the last character.
    ASSERT_EQ(q.back(), '"');
    ASSERT_EQ(q[q.size() - 2], '"');
    ASSERT_EQ(q[q.size() - 3], '\\');
  }
}

}  // namespace
}  // namespace dps::log
