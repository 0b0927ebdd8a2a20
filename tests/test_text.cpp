// base/text: the ASCII helpers every layer shares (no locale ever applies).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "base/text.hpp"

using namespace okuru;

TEST_CASE("text - ASCII case never depends on a locale") {
    CHECK(ascii_lower("MAIL From:<A@B.Example>") == "mail from:<a@b.example>");
    CHECK(ascii_upper("ehlo x.example") == "EHLO X.EXAMPLE");
    // Bytes above 0x7f (UTF-8) pass unchanged, whatever a locale would do.
    CHECK(ascii_lower("\xc3\x84Z") == "\xc3\x84z");
    CHECK(ascii_iequals("Content-Type", "content-TYPE"));
    CHECK_FALSE(ascii_iequals("Content-Type", "Content-Typ"));
    CHECK_FALSE(ascii_iequals("\xc3\x84", "\xc3\xa4"));
}

TEST_CASE("text - trim removes blanks only") {
    CHECK(trim(" \t value \t") == "value");
    CHECK(trim("a b") == "a b");
    CHECK(trim(" \t ").empty());
    CHECK(trim("").empty());
    // CR, LF and other controls are not blanks (RFC 5234 WSP is SP and HTAB).
    CHECK(trim("value\r") == "value\r");
    CHECK(trim("\nvalue") == "\nvalue");
}

TEST_CASE("text - join") {
    CHECK(join(std::vector<std::string>{"a", "b", "c"}, ", ") == "a, b, c");
    CHECK(join(std::vector<std::string>{"a"}, ", ") == "a");
    CHECK(join(std::vector<std::string>{}, ", ").empty());
}
