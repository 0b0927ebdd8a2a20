#include <catch2/catch.hpp>

#include "base/errors.hpp"
#include "scripted_peer.hpp"
#include "smtp/smtp_reply.hpp"

using namespace okuru;
using okuru::test::ScriptedPeer;

namespace {

constexpr std::chrono::milliseconds long_wait{5000};

Reply read_one(std::string bytes) {
    ScriptedPeer peer;
    peer.send(std::move(bytes));
    ReplyReader reader(peer);
    return reader.read(long_wait, "TEST");
}

Exit failure_code(std::string bytes) {
    try {
        read_one(std::move(bytes));
    } catch (const Error& e) {
        return e.code();
    }
    return Exit::ok;
}

std::string failure_text(std::string bytes) {
    try {
        read_one(std::move(bytes));
    } catch (const std::exception& e) {
        return describe(e);
    }
    return "";
}

}  // namespace

TEST_CASE("smtp_reply - single and multi-line replies") {
    Reply r = read_one("250 2.1.0 Ok\r\n");
    CHECK(r.code == 250);
    CHECK(r.enhanced == "2.1.0");
    CHECK(r.lines == std::vector<std::string>{"2.1.0 Ok"});
    CHECK(r.positive());
    CHECK(r.str() == "250 2.1.0 Ok");

    r = read_one("250-mx.test\r\n250-PIPELINING\r\n250 CHUNKING\r\n");
    CHECK(r.code == 250);
    CHECK(r.enhanced.empty());
    CHECK(r.lines == std::vector<std::string>{"mx.test", "PIPELINING", "CHUNKING"});
    CHECK(r.str() == "250 mx.test / PIPELINING / CHUNKING");

    r = read_one("354\r\n");  // RFC 5321 4.2: the text is optional
    CHECK(r.code == 354);
    CHECK(r.lines == std::vector<std::string>{""});
    CHECK(r.str() == "354");

    r = read_one("550 tab\there\r\n");  // HT is the one control byte allowed in text
    CHECK(r.lines == std::vector<std::string>{"tab\there"});
}

TEST_CASE("smtp_reply - classification helpers") {
    CHECK(read_one("451 4.3.0 try later\r\n").transient());
    CHECK(read_one("554 5.7.1 no\r\n").permanent());
    CHECK_FALSE(read_one("354 go ahead\r\n").transient());
}

TEST_CASE("smtp_reply - enhanced status codes") {
    auto [text, expected] = GENERATE(table<std::string, std::string>({
        {"550 5.1.1 <x@y>: Recipient address rejected\r\n", "5.1.1"},
        {"250 2.0.0\r\n", "2.0.0"},
        {"452 4.3.123 Insufficient storage\r\n", "4.3.123"},
        {"550 4.1.1 class does not match the code\r\n", ""},
        {"550 5.1 missing detail\r\n", ""},
        {"550 5.1.1234 detail too long\r\n", ""},
        {"550 5.1.1x glued text\r\n", ""},
        {"550 Mailbox 5.1.1 not at start\r\n", ""},
        {"550 Just text\r\n", ""},
    }));
    CAPTURE(text);
    CHECK(read_one(text).enhanced == expected);
}

TEST_CASE("smtp_reply - a reply split over several reads") {
    ScriptedPeer peer;
    peer.send("25").send("0-first\r").send("\n250 sec").send("ond\r\n");
    ReplyReader reader(peer);
    const Reply r = reader.read(long_wait);
    CHECK(r.lines == std::vector<std::string>{"first", "second"});
    CHECK_FALSE(reader.has_buffered());
}

TEST_CASE("smtp_reply - several replies in one read stay apart") {
    ScriptedPeer peer;
    peer.send("250 2.1.0 Ok\r\n550 5.1.1 unknown\r\n354 go\r\n");
    ReplyReader reader(peer);
    CHECK(reader.read(long_wait).code == 250);
    CHECK(reader.has_buffered());
    CHECK(reader.read(long_wait).code == 550);
    CHECK(reader.read(long_wait).code == 354);
    CHECK_FALSE(reader.has_buffered());
}

TEST_CASE("smtp_reply - bare LF line endings are accepted") {
    // Decision: accepted, as Postfix's and OpenSMTPD's clients do; replies are only
    // parsed, never relayed, and a CR inside a line is still refused.
    const Reply r = read_one("250-one\n250 two\n");
    CHECK(r.lines == std::vector<std::string>{"one", "two"});
}

TEST_CASE("smtp_reply - malformed replies are refused with EX_PROTOCOL") {
    const std::string garbage =
        GENERATE(std::string("25\r\n"),      // short code
                 std::string("2x0 Ok\r\n"),  // not digits
                 std::string("abc\r\n"),
                 std::string("\r\n"),             // empty line
                 std::string("199 too low\r\n"),  // outside 200-599
                 std::string("600 too high\r\n"), std::string("099 too low\r\n"),
                 std::string("2500 four digits\r\n"),         // separator is a digit
                 std::string("250_Ok\r\n"),                   // bad separator
                 std::string("250\tOk\r\n"),                  // HT is not a separator
                 std::string("250-first\r\n251 second\r\n"),  // mixed codes
                 std::string("250-first\r\n550 second\r\n"),
                 std::string("250 \x1b[31mred\r\n"),  // terminal escape
                 std::string("250 nul\0byte\r\n", 15), std::string("250 bare\rCR inside\r\n"),
                 std::string("250 del\x7f\r\n"),
                 std::string("250 ") + std::string(100 * 1024, 'a') + "\r\n",  // 100 KiB line
                 std::string("250 ") + std::string(4093, 'a') + "\r\n");       // 4097 octets
    CAPTURE(garbage.substr(0, 40));
    CHECK(failure_code(garbage) == Exit::protocol);
}

TEST_CASE("smtp_reply - a line of exactly 4096 octets is accepted") {
    const std::string line = "250 " + std::string(4092, 'a');
    CHECK(read_one(line + "\r\n").lines.front().size() == 4092);
}

TEST_CASE("smtp_reply - a reply that never ends is bounded") {
    // 2000 continuation lines of 40 octets: over 64 KiB without a last line.
    std::string endless;
    for (int i = 0; i < 2000; ++i) endless += "250-" + std::string(36, 'x') + "\r\n";
    const std::string text = failure_text(endless);
    CHECK(text.find("longer than 64 KiB") != std::string::npos);
    CHECK(failure_code(endless) == Exit::protocol);
}

TEST_CASE("smtp_reply - errors quote the escaped line, shortened") {
    std::string text = failure_text("250 \x1b]0;pwned\x07\r\n");
    CHECK(text.find("\\x1b]0;pwned\\x07") != std::string::npos);
    CHECK(text.find('\x1b') == std::string::npos);
    CHECK(text.find("control byte") != std::string::npos);

    text = failure_text("250 " + std::string(100 * 1024, 'a') + "\r\n");
    CHECK(text.size() < 400);
    CHECK(text.find("...") != std::string::npos);

    text = failure_text("250-first\r\n251 second\r\n");
    CHECK(text.find("\"251 second\"") != std::string::npos);
}

TEST_CASE("smtp_reply - str() escapes control bytes in accepted text") {
    Reply r;
    r.code = 550;
    r.lines = {"bad \x1b[2J", "second"};
    CHECK(r.str() == "550 bad \\x1b[2J / second");
}

TEST_CASE("smtp_reply - end of stream") {
    SECTION("before any byte") {
        const std::string text = failure_text("");
        CHECK(failure_code("") == Exit::tempfail);
        CHECK(text.find("connection closed by server") != std::string::npos);
    }
    SECTION("in the middle of a reply") {
        CHECK(failure_code("250-first\r\n250 sec") == Exit::tempfail);
        CHECK(failure_text("250-first\r\n250 sec").find("middle") != std::string::npos);
    }
}

TEST_CASE("smtp_reply - a stalled server hits the deadline") {
    ScriptedPeer peer;
    SECTION("nothing at all") {
        peer.stall();
    }
    SECTION("half a reply, then nothing") {
        peer.send("250-first\r\n250 ha").stall();
    }
    ReplyReader reader(peer);
    const auto start = Clock::now();
    try {
        reader.read(std::chrono::milliseconds(50), "MAIL FROM");
        FAIL("no timeout");
    } catch (const Error& e) {
        CHECK(e.code() == Exit::tempfail);
        CHECK(std::string(e.what()) == "timed out after 50 ms waiting for reply to MAIL FROM");
    }
    CHECK(Clock::now() - start >= std::chrono::milliseconds(50));
    CHECK(Clock::now() - start < std::chrono::seconds(2));
}

TEST_CASE("smtp_reply - format_duration") {
    CHECK(format_duration(std::chrono::milliseconds(300'000)) == "300 s");
    CHECK(format_duration(std::chrono::milliseconds(1500)) == "1.5 s");
    CHECK(format_duration(std::chrono::milliseconds(20)) == "20 ms");
}
