#include <catch2/catch.hpp>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <regex>
#include <set>
#include <string>

#include "base/errors.hpp"
#include "message/message.hpp"
#include "message_test_util.hpp"

using namespace okuru;

namespace {

HeaderBlock headers_of(const std::string& text) {
    return okuru::test::read_string(text + "\n", ReadOptions{}).headers;
}

// Sets TZ for one test and puts the old value back.
struct ScopedTz {
    std::string old;
    bool had = false;
    explicit ScopedTz(const char* tz) {
        if (const char* o = std::getenv("TZ")) {
            old = o;
            had = true;
        }
        ::setenv("TZ", tz, 1);
    }
    ~ScopedTz() {
        if (had)
            ::setenv("TZ", old.c_str(), 1);
        else
            ::unsetenv("TZ");
        ::tzset();
    }
};

std::vector<std::string> expand_root(std::string_view name) {
    if (name == "root") return {"admin@example.org"};
    if (name == "team") return {"a@example.org", "b@example.org"};
    if (name == "nobody") return {};
    return {std::string(name) + "@example.org"};
}

// Rewrites bare names and addresses at localhost, as the Qualifier does.
HeaderQualifier qualifier_root() {
    HeaderQualifier q;
    auto local = [](std::string_view a) -> std::optional<std::string_view> {
        if (a.find('@') == std::string_view::npos) return a;
        if (a.ends_with("@localhost")) return a.substr(0, a.find('@'));
        return std::nullopt;
    };
    q.recipient = [local](std::string_view a) {
        const auto bare = local(a);
        return bare ? expand_root(*bare) : std::vector<std::string>{std::string(a)};
    };
    q.sender = [local](std::string_view a) {
        const auto bare = local(a);
        return bare ? expand_root(*bare).front() : std::string(a);
    };
    return q;
}

}  // namespace

TEST_CASE("message headers - look-ups are case-insensitive") {
    HeaderBlock h = headers_of("Subject: a\nTO: x@y\nto: z@w\nX-Other: o");
    REQUIRE(h.find("subject"));
    CHECK(h.find("Subject")->value == " a");
    CHECK(h.find_all("To").size() == 2);
    CHECK_FALSE(h.find("Cc"));
    h.remove_all("to");
    CHECK(h.fields().size() == 2);
    h.add("Cc", " c@d");
    CHECK(h.render() == "Subject: a\r\nX-Other: o\r\nCc: c@d\r\n");
}

TEST_CASE("message headers - -t recipients") {
    using V = std::vector<std::string>;
    auto [text, out] = GENERATE(table<std::string, V>({
        {"To: a@x\nCc: B <b@y>, c@z\nBcc: d@w\nSubject: s", V{"a@x", "b@y", "c@z", "d@w"}},
        {"To: a@x,\n b@y\nTo: a@x", V{"a@x", "b@y"}},
        {"To: undisclosed-recipients:;\nBcc: hidden@x", V{"hidden@x"}},
        {"To: team: a@x, b@y;", V{"a@x", "b@y"}},
        {"To: root, Logwatch", V{"root", "Logwatch"}},
        {"From: f@x\nSubject: none", V{}},
        // RFC 5322 3.6.6: with any Resent- field, only the Resent- destinations count.
        {"To: old@x\nResent-To: new@x\nResent-Cc: c@x\nResent-Bcc: b@x", V{"new@x", "c@x", "b@x"}},
        {"To: old@x\nResent-Date: Mon, 1 Jan 2030 00:00:00 +0000", V{}},
        {"To: old@x\nresent-from: r@x\nRESENT-TO: n@x", V{"n@x"}},
    }));
    CAPTURE(text);
    CHECK(header_recipients(headers_of(text)) == out);
}

TEST_CASE("message headers - bad -t addresses are errors that name the header") {
    auto [text, what] = GENERATE(table<std::string, std::string>({
        {"To: a@x\nCc: \"unterminated", "Cc: header"},
        {"To: -oQ/tmp/x@y", "starts with '-'"},
        {"Bcc: a@x, <b@y", "Bcc: header"},
    }));
    try {
        header_recipients(headers_of(text));
        FAIL("accepted");
    } catch (const std::exception& e) {
        CHECK(exit_code(e) == Exit::dataerr);
        CHECK_THAT(describe(e), Catch::Contains(what));
    }
}

TEST_CASE("message headers - header_sender") {
    CHECK(header_sender(headers_of("From: Me <me@x.example>, other@y")) == "me@x.example");
    CHECK(header_sender(headers_of("From: root")) == "root");
    CHECK_FALSE(header_sender(headers_of("Subject: none")));
    CHECK_FALSE(header_sender(headers_of("From: \"broken")));
    CHECK_FALSE(header_sender(headers_of("From: undisclosed:;")));
}

TEST_CASE("message headers - bare names are qualified, everything else is byte-identical") {
    auto [text, after] = GENERATE(table<std::string, std::string>({
        {"From: root\nSubject: root", "From: admin@example.org\r\nSubject: root\r\n"},
        {"To: Cron Daemon <root>", "To: Cron Daemon <admin@example.org>\r\n"},
        {"To: root (Cron Daemon)", "To: Cron Daemon <admin@example.org>\r\n"},
        {"Cc: a@x,   root", "Cc: a@x, admin@example.org\r\n"},
        {"To: team", "To: a@example.org, b@example.org\r\n"},
        {"To: g: root, x@y;", "To: g: admin@example.org, x@y;\r\n"},
        {"To: nobody", "To: undisclosed-recipients:;\r\n"},
        {"Reply-To: Logwatch", "Reply-To: Logwatch@example.org\r\n"},
        {"Resent-From: root", "Resent-From: admin@example.org\r\n"},
        {"Sender: \"Doe, J\" <jd>", "Sender: \"Doe, J\" <jd@example.org>\r\n"},
        // Addresses at this host are rewritten as the envelope's are.
        {"From: <root@localhost>", "From: admin@example.org\r\n"},
        {"To: Admin <root@localhost>, a@x", "To: Admin <admin@example.org>, a@x\r\n"},
        {"Resent-Reply-To: jd", "Resent-Reply-To: jd@example.org\r\n"},
        // Untouched: already qualified (odd spacing and folding kept), not an
        // address field, or unparsable.
        {"To:   a@x ,\n\t b@y (c)", "To:   a@x ,\r\n\t b@y (c)\r\n"},
        {"Subject: root", "Subject: root\r\n"},
        {"X-To: root", "X-To: root\r\n"},
        {"To: \"broken root", "To: \"broken root\r\n"},
        {"Bcc: root", "Bcc: root\r\n"},
    }));
    CAPTURE(text);
    HeaderBlock h = headers_of(text);
    qualify_headers(h, qualifier_root());
    CHECK(h.render() == after);
}

TEST_CASE("message headers - finish removes Bcc and adds what is missing") {
    HeaderBlock h =
        headers_of("Subject: s\n  folded\nBcc: secret@x\nTo: a@x\nbcc: s2@x\nResent-Bcc: s3@x");
    HeaderFinish fin;
    fin.envelope_sender = "me@x.example";
    fin.full_name = "Doe, John";
    fin.message_id_domain = "x.example";
    const std::string out = finish_headers(h, fin);
    CHECK(out.find("ecret") == std::string::npos);
    CHECK(out.find("s2@x") == std::string::npos);
    CHECK(out.find("s3@x") == std::string::npos);
    CHECK(out.starts_with("Subject: s\r\n  folded\r\nTo: a@x\r\n"));
    CHECK_THAT(out, Catch::Contains("\r\nFrom: \"Doe, John\" <me@x.example>\r\n"));
    CHECK(out.ends_with(">\r\n\r\n"));
    const std::regex date(R"(\r\nDate: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2} )"
                          R"((Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} )"
                          R"([0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}\r\n)");
    CHECK(std::regex_search(out, date));
    const std::regex mid(R"(\r\nMessage-ID: <[0-9a-z]+\.[0-9a-f]{24}@x\.example>\r\n)");
    CHECK(std::regex_search(out, mid));
}

TEST_CASE("message headers - existing Date, Message-ID and From are kept") {
    const std::string text =
        "From: Someone <s@y>\nDate: Thu, 1 Jan 1970 00:00:00 +0000\nMessage-Id: <x@y>";
    HeaderFinish fin;
    fin.envelope_sender = "me@x.example";
    fin.full_name = "Ignored";
    CHECK(
        finish_headers(headers_of(text), fin) ==
        "From: Someone <s@y>\r\nDate: Thu, 1 Jan 1970 00:00:00 +0000\r\nMessage-Id: <x@y>\r\n\r\n");
}

TEST_CASE("message headers - generated From") {
    auto [name, from] = GENERATE(table<std::string, std::string>({
        {"", "From: me@x.example"},
        {"CronDaemon", "From: CronDaemon <me@x.example>"},
        {"Doe, John", "From: \"Doe, John\" <me@x.example>"},
        {"Say \"hi\"", "From: \"Say \\\"hi\\\"\" <me@x.example>"},
        {"evil\r\nBcc: x@y", "From: \"evil  Bcc: x@y\" <me@x.example>"},
        {"J\xc3\xb6rg", "From: =?UTF-8?B?SsO2cmc=?= <me@x.example>"},
    }));
    HeaderFinish fin;
    fin.envelope_sender = "me@x.example";
    if (!name.empty()) fin.full_name = name;
    fin.now = 1;
    CHECK_THAT(finish_headers(HeaderBlock{}, fin), Catch::StartsWith(from + "\r\n"));
}

TEST_CASE("message headers - an account's From rewrite keeps display names") {
    auto [text, from] = GENERATE(table<std::string, std::string>({
        {"From: Jane <jane@home.example>", "From: Jane <acct@isp.example>"},
        {"From: jane@home.example", "From: acct@isp.example"},
        {"From: \"Doe, Jane\" <jane@home.example>", "From: \"Doe, Jane\" <acct@isp.example>"},
        {"From: \"broken", "From: acct@isp.example"},
        {"Subject: x", "Subject: x\r\nFrom: acct@isp.example"},
    }));
    HeaderFinish fin;
    fin.envelope_sender = "jane@home.example";
    fin.from_rewrite = "acct@isp.example";
    CHECK_THAT(finish_headers(headers_of(text), fin), Catch::StartsWith(from + "\r\n"));
}

TEST_CASE("message headers - RFC 5322 dates in the local zone") {
    auto [tz, t, out] = GENERATE(table<const char*, std::int64_t, std::string>({
        {"UTC0", 0, "Thu, 1 Jan 1970 00:00:00 +0000"},
        {"JST-9", 1795397853, "Mon, 23 Nov 2026 10:37:33 +0900"},
        {"EST5", 1795397853, "Sun, 22 Nov 2026 20:37:33 -0500"},
        {"IST-5:30", 1795397853, "Mon, 23 Nov 2026 07:07:33 +0530"},
        {"NST3:30", 1700000000, "Tue, 14 Nov 2023 18:43:20 -0330"},
    }));
    ScopedTz scoped(tz);
    CHECK(rfc5322_date(t) == out);
}

TEST_CASE("message headers - Message-IDs are unique and on the given domain") {
    std::set<std::string> ids;
    for (int i = 0; i < 2000; ++i) ids.insert(make_message_id("x.example"));
    CHECK(ids.size() == 2000);
    for (const auto& id : ids) {
        CHECK(id.starts_with("<"));
        CHECK(id.ends_with("@x.example>"));
    }
    CHECK_THAT(make_message_id(""), Catch::Matches("<[0-9a-z]+\\.[0-9a-f]{24}@[^>@ ]+>"));
}
