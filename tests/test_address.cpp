#include <catch2/catch.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "base/errors.hpp"
#include "message/address.hpp"

using okuru::Error;
using okuru::Exit;
using okuru::Mailbox;
using okuru::parse_recipient_argument;

namespace {

using Triple = std::tuple<std::string, std::string, std::string>;  // display, local, domain

std::vector<Triple> parsed(std::string_view s) {
    std::vector<Triple> out;
    for (const auto& m : okuru::parse_address_list(s))
        out.emplace_back(m.display_name, m.local_part, m.domain);
    return out;
}

}  // namespace

TEST_CASE("address - parses RFC 5322 address lists") {
    using V = std::vector<Triple>;
    auto [in, out] = GENERATE(table<std::string, V>({
        {"a@x.example", V{{"", "a", "x.example"}}},
        {" John Doe <jd@x.example>", V{{"John Doe", "jd", "x.example"}}},
        {"\"Doe, John\" <jd@x>, b@y", V{{"Doe, John", "jd", "x"}, {"", "b", "y"}}},
        {R"("a \"q\" b\\c" <x@y>)", V{{R"(a "q" b\c)", "x", "y"}}},
        {"root", V{{"", "root", ""}}},
        {"Logwatch, root", V{{"", "Logwatch", ""}, {"", "root", ""}}},
        {"Cron Daemon <root>", V{{"Cron Daemon", "root", ""}}},
        {"root (Cron Daemon)", V{{"Cron Daemon", "root", ""}}},
        {"a@x (one (nested) comment)", V{{"one (nested) comment", "a", "x"}}},
        {"Name (c) <a@x>", V{{"Name", "a", "x"}}},
        {"undisclosed-recipients:;", V{}},
        {"team: a@x, B <b@y>;, c@z", V{{"", "a", "x"}, {"B", "b", "y"}, {"", "c", "z"}}},
        {"=?utf-8?q?J=C3=B6rg?= <j@x>", V{{"=?utf-8?q?J=C3=B6rg?=", "j", "x"}}},
        {"=?UTF-8?B?SsO2cmc=?= Foo <j@x>", V{{"=?UTF-8?B?SsO2cmc=?= Foo", "j", "x"}}},
        {"a@x,\r\n\tb@y,\r\n c@z", V{{"", "a", "x"}, {"", "b", "y"}, {"", "c", "z"}}},
        {"\"Folded\r\n name\" <a@x>", V{{"Folded name", "a", "x"}}},
        {"John Q. Public <jqp@x>", V{{"John Q. Public", "jqp", "x"}}},
        {"<@r1.example,@r2.example:u@c.example>", V{{"", "u", "c.example"}}},
        {"\"quoted local\"@x", V{{"", "\"quoted local\"", "x"}}},
        {"a@[192.0.2.1]", V{{"", "a", "[192.0.2.1]"}}},
        {", a@x,, b@y,", V{{"", "a", "x"}, {"", "b", "y"}}},
        {"Jörg Müller <jörg@bücher.example>", V{{"Jörg Müller", "jörg", "bücher.example"}}},
        {"a . b @ x . y", V{{"", "a.b", "x.y"}}},
        {"", V{}},
    }));
    CAPTURE(in);
    CHECK(parsed(in) == out);
}

TEST_CASE("address - groups are kept by parse_addresses") {
    const auto list = okuru::parse_addresses("a@x, team: b@y, c@z;, empty:;");
    REQUIRE(list.size() == 3);
    CHECK_FALSE(list[0].is_group);
    CHECK(list[1].is_group);
    CHECK(list[1].group_name == "team");
    CHECK(list[1].mailboxes.size() == 2);
    CHECK(list[2].is_group);
    CHECK(list[2].mailboxes.empty());
}

TEST_CASE("address - malformed address lists are errors") {
    const std::string in =
        GENERATE(as<std::string>{}, "a@", "<a@x", "\"unterminated", "a@x b@y", "(unterminated",
                 "John Smith", "a@x>", "<>", "a@x..y", "t: a@x, inner: b@y;;", "a\x01@x",
                 "a@[1.2.3.4", "<@route a@x>", "@x", "x@.y", "\\a@x");
    CAPTURE(in);
    try {
        okuru::parse_address_list(in);
        FAIL("accepted");
    } catch (const okuru::Error& e) {
        CHECK(e.code() == okuru::Exit::dataerr);
        CHECK_THAT(e.what(), Catch::StartsWith("bad address list"));
        CHECK(std::string(e.what()).find('\x01') == std::string::npos);
    }
}

TEST_CASE("address - format_mailbox quotes only where needed") {
    auto [name, out] = GENERATE(table<std::string, std::string>({
        {"", "me@x.example"},
        {"John Doe", "John Doe <me@x.example>"},
        {"Doe, John", "\"Doe, John\" <me@x.example>"},
        {R"(a "b" \c)", R"("a \"b\" \\c" <me@x.example>)"},
        {"=?utf-8?q?J=C3=B6rg?= Doe", "=?utf-8?q?J=C3=B6rg?= Doe <me@x.example>"},
        {"John Q. Public", "\"John Q. Public\" <me@x.example>"},
        {"evil\r\nBcc: x@y", "\"evil  Bcc: x@y\" <me@x.example>"},
        {" padded", "\" padded\" <me@x.example>"},
        {"CronDaemon", "CronDaemon <me@x.example>"},
    }));
    CAPTURE(name);
    const Mailbox m{name, "me", "x.example"};
    const std::string s = okuru::format_mailbox(m);
    CHECK(s == out);
    // And it reads back as the same mailbox (control characters became spaces).
    const auto back = okuru::parse_address_list(s);
    REQUIRE(back.size() == 1);
    CHECK(back[0].addr_spec() == "me@x.example");
    if (name.find('\r') == std::string::npos) CHECK(back[0].display_name == name);
}

TEST_CASE("address - format_address_list folds long lists and keeps groups") {
    std::vector<okuru::Address> list;
    for (int i = 0; i < 12; ++i)
        list.push_back(
            {false,
             "",
             {Mailbox{"Person " + std::to_string(i), "p" + std::to_string(i), "example.org"}}});
    list.push_back({true, "team", {Mailbox{"", "a", "x"}, Mailbox{"", "b", "y"}}});
    list.push_back({true, "undisclosed-recipients", {}});
    const std::string value = okuru::format_address_list(list, 3);
    CHECK(value.starts_with(" Person 0 <p0@example.org>,"));
    CHECK_THAT(value, Catch::Contains("team: a@x, b@y;"));
    CHECK(value.ends_with("undisclosed-recipients:;"));
    std::size_t pos = 0, first = true;
    for (std::size_t nl; pos <= value.size(); pos = nl + 2, first = false) {
        nl = value.find("\r\n", pos);
        if (nl == std::string::npos) nl = value.size();
        CHECK(nl - pos + (first ? 3 : 0) <= 78);
        if (!first) CHECK(value[pos] == ' ');
    }
    CHECK(okuru::parse_address_list(value).size() == 14);
}

TEST_CASE("address - envelope addresses that are accepted") {
    auto [in, out] = GENERATE(table<std::string, std::string>({
        {"a@x.example", "a@x.example"},
        {"<a@x.example>", "a@x.example"},
        {"root", "root"},
        {"user+tag@sub.example.org", "user+tag@sub.example.org"},
        {"\"a,b\"@x.example", "\"a,b\"@x.example"},
        {"\"a\\\"b\"@x", "\"a\\\"b\"@x"},
        {"a@[192.0.2.1]", "a@[192.0.2.1]"},
        {"a@[IPv6:2001:db8::1]", "a@[IPv6:2001:db8::1]"},
        {"jörg@bücher.example", "jörg@bücher.example"},
        {"o'brien@x.example", "o'brien@x.example"},
    }));
    CHECK(okuru::parse_envelope_address(in, "recipient") == out);
}

TEST_CASE("address - the null sender is allowed only where asked") {
    CHECK(okuru::parse_envelope_address("<>", "sender (-f)", true).empty());
    CHECK(okuru::parse_envelope_address("", "sender (-f)", true).empty());
    CHECK_THROWS_AS(okuru::parse_envelope_address("<>", "recipient"), okuru::Error);
}

TEST_CASE("address - envelope addresses that are refused") {
    auto [in, why] = GENERATE(table<std::string, std::string>({
        {"-X/tmp/log", "starts with '-'"},
        {"-oQ/tmp", "starts with '-'"},
        {"<-f@x>", "starts with '-'"},
        {"a@x>\r\nRCPT TO:<evil@x", "line break"},
        {"a@x\nBcc: z@y", "line break"},
        {std::string("a\0b@x", 5), "NUL"},
        {"a b@x", "space"},
        {"a@x y", "space"},
        {"a>b@x", "'>'"},
        {"a<b@x", "'<'"},
        {"<a@x", "unbalanced"},
        {"@x", "no local part"},
        {"a@", "no domain"},
        {std::string(250, 'a') + "@x.ex", "256 octets"},
        {"<>", "empty"},
        {"", "empty"},
        {"a\tb@x", "control"},
        {"a@x\x1b[31m", "control"},
        {"a(b)@x", "not allowed"},
        {"a@x..y", "invalid domain"},
        {"a@x:25", "domain"},
        {"\"open@x", "unterminated"},
        {"\"a<b\"@x", "'<'"},
        {"a@[1.2.3.4(x)]", "address literal"},
        {"a@[]", "address literal"},
        {"\"a\\>b\"@x", "'>'"},
        // One validator: what the SMTP envelope check would refuse after
        // connecting is refused here, before any connection.
        {"\"a b\"@x.example", "space inside its quoted local part"},
        {"\"a\\ b\"@x.example", "space inside its quoted local part"},
        {"j\xf6rg@x.example", "not valid UTF-8"},       // Latin-1, not UTF-8
        {"a@b\xc3", "not valid UTF-8"},                 // cut short
        {"\xc0\xaf@x.example", "not valid UTF-8"},      // overlong '/'
        {"\xed\xa0\x80@x.example", "not valid UTF-8"},  // a surrogate
        {"a\xc2\x85"
         "b@x.example",
         "C1 control"},  // U+0085 NEL
        {"a@x\xc2\x9b"
         "31m.example",
         "C1 control"},  // U+009B CSI
    }));
    CAPTURE(in);
    try {
        okuru::parse_envelope_address(in, "recipient");
        FAIL("accepted");
    } catch (const okuru::Error& e) {
        const std::string msg = e.what();
        CHECK(e.code() == okuru::Exit::dataerr);
        CHECK(msg.starts_with("recipient \""));
        CHECK_THAT(msg, Catch::Contains(why));
        for (char c : msg) CHECK((static_cast<unsigned char>(c) >= 0x20 && c != 0x7f));
    }
}

TEST_CASE("address - a recipient argument may hold a comma list, as sendmail splits it") {
    using V = std::vector<std::string>;
    CHECK(parse_recipient_argument("a@x.example") == V{"a@x.example"});
    CHECK(parse_recipient_argument("<a@x.example>") == V{"a@x.example"});
    CHECK(parse_recipient_argument("root") == V{"root"});
    CHECK(parse_recipient_argument("a@x.example,b@y.example") == V{"a@x.example", "b@y.example"});
    CHECK(parse_recipient_argument("a@x.example, b@y.example") == V{"a@x.example", "b@y.example"});
    CHECK(parse_recipient_argument("Ann <a@x.example>, \"Doe, Bob\" <b@y.example>") ==
          V{"a@x.example", "b@y.example"});
    CHECK(parse_recipient_argument("Ann <a@x.example>") == V{"a@x.example"});
    CHECK(parse_recipient_argument("root,admin") == V{"root", "admin"});

    // Every element is checked like a single address, and a line break never
    // folds on the command line.
    auto refused = [](std::string_view arg, const std::string& part) {
        try {
            parse_recipient_argument(arg);
        } catch (const Error& e) {
            CHECK(e.code() == Exit::dataerr);
            CHECK_THAT(e.what(), Catch::Contains(part));
            return;
        }
        FAIL("accepted: " << arg);
    };
    refused("a@x.example,\r\n b@y.example", "line break");
    refused("a@x.example,-oQ@y.example", "starts with '-'");
    refused(",", "holds no address");
    refused("a@x.example, <b@y.example", "");
}

TEST_CASE("address - a 254-octet address is the longest path accepted") {
    const std::string ok = std::string(64, 'l') + "@" + std::string(189, 'd');
    REQUIRE(ok.size() == 254);
    CHECK(okuru::parse_envelope_address(ok, "recipient") == ok);
    CHECK_THROWS_AS(okuru::parse_envelope_address(ok + "d", "recipient"), okuru::Error);
}

TEST_CASE("address - needs_smtputf8 and domain_of") {
    CHECK_FALSE(okuru::needs_smtputf8("a@x.example"));
    CHECK(okuru::needs_smtputf8("jörg@x.example"));
    CHECK(okuru::needs_smtputf8("a@bücher.example"));
    CHECK(okuru::domain_of("a@X.Example") == "x.example");
    CHECK(okuru::domain_of("\"a@b\"@c.example") == "c.example");
    CHECK(okuru::domain_of("root").empty());
}
