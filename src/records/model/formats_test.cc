#include "records/model/formats.h"

#include <gtest/gtest.h>

#include <string>

namespace custos::records {
namespace {

TEST(Formats, Utf8Length) {
  EXPECT_EQ(Utf8Length("abc"), 3u);
  EXPECT_EQ(Utf8Length("Zo\xC3\xAB"), 3u);                   // Zoë
  EXPECT_EQ(Utf8Length("\xE2\x82\xAC"), 1u);                 // €
  EXPECT_EQ(Utf8Length("\xF0\x9F\x98\x80"), 1u);             // emoji
  EXPECT_FALSE(Utf8Length("\xC3").has_value());              // truncated
  EXPECT_FALSE(Utf8Length("\xC0\xAF").has_value());          // overlong '/'
  EXPECT_FALSE(Utf8Length("\xED\xA0\x80").has_value());      // surrogate
  EXPECT_FALSE(Utf8Length("\xF4\x90\x80\x80").has_value());  // > U+10FFFF
  EXPECT_FALSE(Utf8Length("\xFF").has_value());
  EXPECT_FALSE(Utf8Length("a\x80").has_value());
}

TEST(Formats, ControlCharacters) {
  EXPECT_FALSE(HasControlCharacter("plain text", false));
  EXPECT_TRUE(HasControlCharacter("two\nlines", false));
  EXPECT_FALSE(HasControlCharacter("two\r\nlines\tok", true));
  EXPECT_TRUE(HasControlCharacter(std::string("nul\0", 4), true));
  EXPECT_TRUE(HasControlCharacter("bell\a", true));
  EXPECT_TRUE(HasControlCharacter("del\x7F", true));
}

TEST(Formats, Trim) {
  EXPECT_EQ(TrimAscii("  a b \t\r\n"), "a b");
  EXPECT_EQ(TrimAscii(" \t "), "");
  EXPECT_EQ(TrimAscii("x"), "x");
}

TEST(Formats, Dates) {
  EXPECT_TRUE(IsValidDate("2024-02-29"));   // leap year
  EXPECT_FALSE(IsValidDate("2023-02-29"));  // not a leap year
  EXPECT_FALSE(IsValidDate("2023-02-30"));
  EXPECT_FALSE(IsValidDate("1900-02-29"));  // century, not leap
  EXPECT_TRUE(IsValidDate("2000-02-29"));   // 400-year, leap
  EXPECT_TRUE(IsValidDate("2023-12-31"));
  EXPECT_FALSE(IsValidDate("2023-04-31"));
  EXPECT_FALSE(IsValidDate("2023-13-01"));
  EXPECT_FALSE(IsValidDate("2023-00-10"));
  EXPECT_FALSE(IsValidDate("2023-01-00"));
  EXPECT_FALSE(IsValidDate("0000-01-01"));
  EXPECT_FALSE(IsValidDate("2023-1-01"));
  EXPECT_FALSE(IsValidDate("2023/01/01"));
  EXPECT_FALSE(IsValidDate("2023-01-01T00:00:00Z"));
  EXPECT_FALSE(IsValidDate("+023-01-01"));
  EXPECT_FALSE(IsValidDate(""));
}

TEST(Formats, DateTimes) {
  EXPECT_EQ(CanonicalDateTime("2024-03-01T10:20:30Z"), "2024-03-01T10:20:30Z");
  EXPECT_EQ(CanonicalDateTime("2024-03-01t10:20:30.123456789z"), "2024-03-01T10:20:30.123456789Z");
  EXPECT_EQ(CanonicalDateTime("2024-03-01T10:20:30+01:00"), "2024-03-01T10:20:30+01:00");
  EXPECT_EQ(CanonicalDateTime("2016-12-31T23:59:60Z"), "2016-12-31T23:59:60Z");  // leap second
  EXPECT_FALSE(CanonicalDateTime("2024-03-01T10:20:30"));                        // no offset
  EXPECT_FALSE(CanonicalDateTime("2024-03-01 10:20:30Z"));                       // space
  EXPECT_FALSE(CanonicalDateTime("2024-02-30T10:20:30Z"));                       // bad day
  EXPECT_FALSE(CanonicalDateTime("2024-03-01T24:00:00Z"));
  EXPECT_FALSE(CanonicalDateTime("2024-03-01T10:60:00Z"));
  EXPECT_FALSE(CanonicalDateTime("2024-03-01T10:20:30.Z"));
  EXPECT_FALSE(CanonicalDateTime("2024-03-01T10:20:30.1234567890Z"));
  EXPECT_FALSE(CanonicalDateTime("2024-03-01T10:20:30+0100"));
  EXPECT_FALSE(CanonicalDateTime("2024-03-01T10:20:30+24:00"));
  EXPECT_FALSE(CanonicalDateTime("2024-03-01T10:20:30Zjunk"));
}

TEST(Formats, Emails) {
  EXPECT_TRUE(IsValidEmail("jo.bloggs@example.ac.uk"));
  EXPECT_TRUE(IsValidEmail("a+tag@sub-domain.example.com"));
  EXPECT_FALSE(IsValidEmail("no-at-sign.example.com"));
  EXPECT_FALSE(IsValidEmail("@example.com"));
  EXPECT_FALSE(IsValidEmail("two@@example.com"));
  EXPECT_FALSE(IsValidEmail("a..b@example.com"));
  EXPECT_FALSE(IsValidEmail(".a@example.com"));
  EXPECT_FALSE(IsValidEmail("a.@example.com"));
  EXPECT_FALSE(IsValidEmail("a@localhost"));
  EXPECT_FALSE(IsValidEmail("a@-example.com"));
  EXPECT_FALSE(IsValidEmail("a@example..com"));
  EXPECT_FALSE(IsValidEmail("a@example.c0m"));
  EXPECT_FALSE(IsValidEmail("a b@example.com"));
  EXPECT_FALSE(IsValidEmail(std::string(65, 'a') + "@example.com"));
  EXPECT_FALSE(IsValidEmail("a@" + std::string(64, 'b') + ".com"));
}

// The worked example published with the HESA ULN field definition, and one
// computed by hand from the rule (weights 10..2 over 1234567890 sum to 210,
// remainder 1, check digit 10 - 1 = 9).
TEST(Formats, UlnCheckDigit) {
  EXPECT_TRUE(IsValidUln("9276308686"));
  EXPECT_TRUE(IsValidUln("1234567899"));
  EXPECT_FALSE(IsValidUln("1234567890"));
  EXPECT_FALSE(IsValidUln("0276308686"));   // first digit zero
  EXPECT_FALSE(IsValidUln("927630868"));    // nine digits
  EXPECT_FALSE(IsValidUln("92763086860"));  // eleven digits
  EXPECT_FALSE(IsValidUln("92763O8686"));   // letter O
  EXPECT_FALSE(IsValidUln("9999999999"));   // the ILR's placeholder, not a learner's ULN
}

// A modulus-11 check with weights 10..1 catches every single-digit error and
// every swap of two different adjacent digits.
TEST(Formats, UlnDetectsSingleErrorsAndTranspositions) {
  for (const std::string valid : {"9276308686", "1234567899"}) {
    for (size_t i = 0; i < 10; ++i) {
      for (char d = '0'; d <= '9'; ++d) {
        if (d == valid[i]) continue;
        std::string bad = valid;
        bad[i] = d;
        EXPECT_FALSE(IsValidUln(bad)) << "digit " << i;
      }
      if (i + 1 < 10 && valid[i] != valid[i + 1]) {
        std::string swapped = valid;
        std::swap(swapped[i], swapped[i + 1]);
        EXPECT_FALSE(IsValidUln(swapped)) << "swap at " << i;
      }
    }
  }
}

TEST(Formats, EditDistance) {
  EXPECT_EQ(EditDistance("given_name", "given_name", 2), 0u);
  EXPECT_EQ(EditDistance("givenname", "given_name", 2), 1u);
  EXPECT_EQ(EditDistance("gievn_name", "given_name", 2), 2u);
  EXPECT_EQ(EditDistance("colour", "given_name", 2), 3u);  // capped: more than 2
  EXPECT_EQ(EditDistance("", "abc", 5), 3u);
}

}  // namespace
}  // namespace custos::records
