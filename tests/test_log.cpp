#include <catch2/catch.hpp>

#include "log.hpp"

TEST_CASE("log - escape neutralises terminal control sequences from servers") {
    auto [in, out] = GENERATE(table<std::string, std::string>({
        {"250 ok\r\n", "250 ok"},
        {"550 \x1b[31mred", "550 \\x1b[31mred"},
        {std::string("a\0b", 3), "a\\x00b"},
        {"tab\there", "tab\\x09here"},
        {"del\x7f", "del\\x7f"},
        {"utf-8 \xe9\x80\x81\xe3\x82\x8b", "utf-8 \xe9\x80\x81\xe3\x82\x8b"},
    }));
    CHECK(okuru::log::escape(in) == out);
}
