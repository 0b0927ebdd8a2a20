// NUL bytes on the wire (issue 10, part 5): the spool keeps them as read (a dead
// letter has the original), ContentReader sends each as a space, so the size
// announced with SIZE= and BDAT is the spool's and no NUL reaches the server.
#include <algorithm>
#include <catch2/catch.hpp>

#include "smtp_fixture.hpp"

using namespace okuru;
using namespace okuru::test;
using namespace std::string_literals;

namespace {

std::string spaced(std::string s) {
    std::replace(s.begin(), s.end(), '\0', ' ');
    return s;
}

}  // namespace

TEST_CASE("smtp_nul - BDAT: each NUL a space, the chunk size unchanged") {
    Message msg("job\0output\r\n\0\0\r\n.\0\r\n"s);
    ScriptedPeer peer;
    const std::string sent = spaced(msg.bytes());
    REQUIRE(sent.size() == msg.size());
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING", "SIZE 10240000", "CHUNKING"}))
        .expect("MAIL FROM:<a@example.org> SIZE=" + std::to_string(msg.size()) +
                "\r\nRCPT TO:<b@example.net>\r\nBDAT " + std::to_string(msg.size()) + " LAST\r\n" +
                sent + "QUIT\r\n")
        .send("250 Ok\r\n250 Ok\r\n250 Ok\r\n221 Bye\r\n");
    const Outcome o = run(peer, session_config(), envelope(), msg);
    INFO(o.text);
    CHECK(o.ok);
    CHECK(peer.errors().empty());
    CHECK(peer.written().find('\0') == std::string::npos);
    CHECK(msg.bytes().find("job\0output"s) != std::string::npos);  // the spool keeps them
}

TEST_CASE("smtp_nul - DATA: a NUL-dot line is no end of data and no NUL is sent") {
    // "\0." at a line start becomes " .", which needs no dot-stuffing.
    Message msg("before\r\n\0.\r\nafter\r\n"s);
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING"}))
        .expect("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n")
        .send("250 Ok\r\n250 Ok\r\n354 go\r\n")
        .expect(msg.headers + "before\r\n .\r\nafter\r\n.\r\nQUIT\r\n")
        .send("250 Ok\r\n221 Bye\r\n");
    const Outcome o = run(peer, session_config(), envelope(), msg);
    INFO(o.text);
    CHECK(o.ok);
    CHECK(peer.errors().empty());
    CHECK(peer.written().find('\0') == std::string::npos);
}
