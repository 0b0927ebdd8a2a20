#include <catch2/catch.hpp>

#include "base/log.hpp"

TEST_CASE("log - escape neutralises terminal control sequences from servers") {
    auto [in, out] = GENERATE(table<std::string, std::string>({
        {"250 ok\r\n", "250 ok"},
        {"550 \x1b[31mred", "550 \\x1b[31mred"},
        {std::string("a\0b", 3), "a\\x00b"},
        {"tab\there", "tab\\x09here"},
        {"del\x7f", "del\\x7f"},
        {"utf-8 \xe9\x80\x81\xe3\x82\x8b", "utf-8 \xe9\x80\x81\xe3\x82\x8b"},
        {"\xc3\xa9t\xc3\xa9 \xf0\x9f\x93\xa8", "\xc3\xa9t\xc3\xa9 \xf0\x9f\x93\xa8"},
        // 8-bit C1 controls, raw and UTF-8 encoded (CSI, OSC, ST).
        {"220 \x9b"
         "31mred",
         "220 \\x9b31mred"},
        {"220 \xc2\x9b"
         "2J \xc2\x9d"
         "0;t\xc2\x9c",
         "220 \\xc2\\x9b2J \\xc2\\x9d0;t\\xc2\\x9c"},
        {"nbsp\xc2\xa0ok", "nbsp\xc2\xa0ok"},
        // Not UTF-8: overlong, surrogate, truncated, stray continuation byte.
        {"\xc0\xaf", "\\xc0\\xaf"},
        {"\xed\xa0\x80", "\\xed\\xa0\\x80"},
        {"cut \xe3\x82", "cut \\xe3\\x82"},
        {"\x80x", "\\x80x"},
    }));
    CHECK(okuru::log::escape(in) == out);
}
