#include <catch2/catch.hpp>

#include "smtp/smtp_caps.hpp"

using namespace okuru;

namespace {

Reply ehlo(std::vector<std::string> lines) {
    Reply r;
    r.code = 250;
    r.lines = std::move(lines);
    return r;
}

}  // namespace

TEST_CASE("smtp_caps - Postfix's EHLO reply") {
    const Capabilities c = Capabilities::parse(
        ehlo({"mx.test", "PIPELINING", "SIZE 10240000", "VRFY", "ETRN", "STARTTLS",
              "AUTH PLAIN LOGIN SCRAM-SHA-256", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN",
              "SMTPUTF8", "CHUNKING"}));
    CHECK(c.starttls);
    CHECK(c.pipelining);
    CHECK(c.chunking);
    CHECK(c.eightbitmime);
    CHECK(c.smtputf8);
    CHECK(c.dsn);
    CHECK(c.enhanced_status);
    REQUIRE(c.size);
    CHECK(*c.size == 10240000);
    CHECK(c.auth == std::vector<std::string>{"PLAIN", "LOGIN", "SCRAM-SHA-256"});
}

TEST_CASE("smtp_caps - keywords are case-insensitive") {
    const Capabilities c = Capabilities::parse(
        ehlo({"mx.test", "pipelining", "StartTLS", "chunking", "8bitmime", "smtputf8", "dsn",
              "enhancedstatuscodes", "auth plain cram-md5"}));
    CHECK(c.pipelining);
    CHECK(c.starttls);
    CHECK(c.chunking);
    CHECK(c.eightbitmime);
    CHECK(c.smtputf8);
    CHECK(c.dsn);
    CHECK(c.enhanced_status);
    CHECK(c.auth == std::vector<std::string>{"PLAIN", "CRAM-MD5"});
}

TEST_CASE("smtp_caps - nothing is assumed") {
    const Capabilities c = Capabilities::parse(ehlo({"mx.test"}));
    CHECK_FALSE(c.starttls);
    CHECK_FALSE(c.pipelining);
    CHECK_FALSE(c.chunking);
    CHECK_FALSE(c.size);
    CHECK(c.auth.empty());
}

TEST_CASE("smtp_caps - the greeting line is not a keyword") {
    // The first line is the server's name; a server called "STARTTLS" offers nothing.
    const Capabilities c = Capabilities::parse(ehlo({"STARTTLS", "PIPELINING"}));
    CHECK_FALSE(c.starttls);
    CHECK(c.pipelining);
}

TEST_CASE("smtp_caps - SIZE parameter") {
    auto [line, expected] = GENERATE(table<std::string, std::uint64_t>({
        {"SIZE", 0},
        {"SIZE 0", 0},
        {"SIZE 10", 10},
        {"size 52428800", 52428800},
        {"SIZE lots", 0},
        {"SIZE 12abc", 0},
        {"SIZE -5", 0},
        {"SIZE 99999999999999999999999", 0},
    }));
    CAPTURE(line);
    const Capabilities c = Capabilities::parse(ehlo({"mx.test", line}));
    REQUIRE(c.size);
    CHECK(*c.size == expected);
}

TEST_CASE("smtp_caps - AUTH forms") {
    auto [lines, expected] = GENERATE(table<std::vector<std::string>, std::vector<std::string>>({
        {{"AUTH PLAIN LOGIN"}, {"PLAIN", "LOGIN"}},
        {{"AUTH=LOGIN PLAIN"}, {"LOGIN", "PLAIN"}},                      // pre-RFC 4954 form
        {{"AUTH LOGIN PLAIN", "AUTH=LOGIN PLAIN"}, {"LOGIN", "PLAIN"}},  // both: no duplicates
        {{"AUTH  XOAUTH2\tOAUTHBEARER "}, {"XOAUTH2", "OAUTHBEARER"}},
        {{"AUTH"}, {}},
        {{"AUTHX PLAIN"}, {}},
    }));
    std::vector<std::string> all{"mx.test"};
    all.insert(all.end(), lines.begin(), lines.end());
    CHECK(Capabilities::parse(ehlo(all)).auth == expected);
}

TEST_CASE("smtp_caps - keywords must match whole words") {
    const Capabilities c =
        Capabilities::parse(ehlo({"mx.test", "STARTTLSX", "XPIPELINING", "CHUNKING-NOT", "X-DSN"}));
    CHECK_FALSE(c.starttls);
    CHECK_FALSE(c.pipelining);
    CHECK_FALSE(c.chunking);
    CHECK_FALSE(c.dsn);
}
