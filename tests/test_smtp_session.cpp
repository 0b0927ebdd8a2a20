// Flights and transactions: how many writes, what is on the wire, DATA and
// BDAT paths, recipients refused, SIZE, 8BITMIME, SMTPUTF8, DSN, the -v log.
#include <catch2/catch.hpp>

#include "smtp_fixture.hpp"

using namespace okuru;
using namespace okuru::test;

namespace {

std::string mail_from(const Message& msg, std::string extra = "") {
    return "MAIL FROM:<a@example.org> SIZE=" + std::to_string(msg.size()) + extra + "\r\n";
}

std::string rcpt(std::string_view who) {
    return "RCPT TO:<" + std::string(who) + ">\r\n";
}

std::string bdat(std::uint64_t n, bool last) {
    return "BDAT " + std::to_string(n) + (last ? " LAST" : "") + "\r\n";
}

}  // namespace

TEST_CASE("smtp_session - CHUNKING: MAIL, RCPT, BDAT LAST, message and QUIT in one write") {
    Message msg;
    ScriptedPeer peer;
    const std::string flight =
        mail_from(msg) + rcpt("b@example.net") + bdat(msg.size(), true) + msg.bytes() + "QUIT\r\n";
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING", "SIZE 10240000", "ENHANCEDSTATUSCODES", "CHUNKING"}))
        .expect(flight)
        .send("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok: queued as 4XyZ\r\n221 2.0.0 Bye\r\n");
    const Outcome o = run(peer, session_config(), envelope(), msg);
    INFO(o.text);
    REQUIRE(o.ok);
    CHECK(peer.errors().empty());
    CHECK(peer.finished());
    CHECK(contains(peer.written(), "BDAT"));  // the wire says which path was taken
    CHECK(o.result.final_reply.str() == "250 2.0.0 Ok: queued as 4XyZ");
    REQUIRE(peer.writes().size() == 2);
    CHECK(peer.writes()[1] == flight);
}

TEST_CASE("smtp_session - CHUNKING: a message that is not dot-stuffed and sized exactly") {
    // BDAT carries the bytes as they are (RFC 3030 2): no dot-stuffing, no terminator.
    Message msg(".leading dot\r\n..two dots\r\n.\r\nend\r\n");
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING", "CHUNKING"}))
        .expect("MAIL FROM:<a@example.org>\r\n" + rcpt("b@example.net") + bdat(msg.size(), true) +
                msg.bytes() + "QUIT\r\n")
        .send("250 Ok\r\n250 Ok\r\n250 Ok\r\n221 Bye\r\n");
    const Outcome o = run(peer, session_config(), envelope(), msg);
    INFO(o.text);
    CHECK(o.ok);
    CHECK(peer.errors().empty());
}

TEST_CASE("smtp_session - DATA path: two flights, dot-stuffed, dot and QUIT together") {
    Message msg(".leading dot\r\nmiddle\r\n.\r\n..two\r\nlast\r\n");
    const std::string stuffed = msg.headers + "..leading dot\r\nmiddle\r\n..\r\n...two\r\nlast\r\n";
    ScriptedPeer peer;
    const std::string flight1 = mail_from(msg) + rcpt("b@example.net") + "DATA\r\n";
    const std::string flight2 = stuffed + ".\r\nQUIT\r\n";
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING", "SIZE 0", "CHUNKING"}))
        .expect(flight1)
        .send("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n")
        .expect(flight2)
        .send("250 2.0.0 Ok: queued\r\n221 2.0.0 Bye\r\n");
    SessionConfig config = session_config();
    config.use_chunking = false;  // CHUNKING offered, but the account says no
    const Outcome o = run(peer, config, envelope(), msg);
    INFO(o.text);
    REQUIRE(o.ok);
    CHECK_FALSE(contains(peer.written(), "BDAT"));
    CHECK(peer.errors().empty());
    REQUIRE(peer.writes().size() == 3);
    CHECK(peer.writes()[1] == flight1);
    CHECK(peer.writes()[2] == flight2);
}

TEST_CASE("smtp_session - DATA path without PIPELINING: one command per round trip") {
    Message msg;
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"8BITMIME"}))
        .expect("MAIL FROM:<a@example.org>\r\n")
        .send("250 Ok\r\n")
        .expect(rcpt("b@example.net"))
        .send("250 Ok\r\n")
        .expect(rcpt("c@example.net"))
        .send("251 will forward\r\n")
        .expect("DATA\r\n")
        .send("354 go\r\n")
        .expect(msg.bytes() + ".\r\n")
        .send("250 Ok: queued\r\n")
        .expect("QUIT\r\n")
        .send("221 Bye\r\n");
    const Outcome o =
        run(peer, session_config(), envelope({"b@example.net", "c@example.net"}), msg);
    INFO(o.text);
    REQUIRE(o.ok);
    CHECK(peer.errors().empty());
    CHECK(peer.finished());
    CHECK(peer.writes().size() == 7);
}

TEST_CASE("smtp_session - HELO fall-back for a non-ESMTP server without TLS or AUTH") {
    Message msg;
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send("502 5.5.1 Command not implemented\r\n")
        .expect("HELO client.test\r\n")
        .send("250 mx.test\r\n")
        .expect("MAIL FROM:<a@example.org>\r\n")
        .send("250 Ok\r\n")
        .expect(rcpt("b@example.net"))
        .send("250 Ok\r\n")
        .expect("DATA\r\n")
        .send("354 go\r\n")
        .expect(msg.bytes() + ".\r\n")
        .send("250 Ok\r\n")
        .expect("QUIT\r\n")
        .send("221 Bye\r\n");
    const Outcome o = run(peer, session_config(), envelope(), msg);
    INFO(o.text);
    REQUIRE(o.ok);
    CHECK(peer.errors().empty());
}

TEST_CASE("smtp_session - CHUNKING with several recipients: first chunk without LAST") {
    Message msg;
    ScriptedPeer peer;
    const std::string flight1 = "MAIL FROM:<a@example.org>\r\n" + rcpt("b@example.net") +
                                rcpt("c@example.net") + bdat(msg.size(), false) + msg.bytes();
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING", "CHUNKING"}))
        .expect(flight1)
        .send("250 Ok\r\n250 Ok\r\n250 Ok\r\n250 2.0.0 chunk accepted\r\n")
        .expect("BDAT 0 LAST\r\nQUIT\r\n")
        .send("250 2.0.0 Ok: queued as 9\r\n221 Bye\r\n");
    const Outcome o =
        run(peer, session_config(), envelope({"b@example.net", "c@example.net"}), msg);
    INFO(o.text);
    REQUIRE(o.ok);
    CHECK(o.result.final_reply.str() == "250 2.0.0 Ok: queued as 9");
    CHECK(peer.errors().empty());
    REQUIRE(peer.writes().size() == 3);
    CHECK(peer.writes()[1] == flight1);
}

TEST_CASE("smtp_session - a large message in several BDAT chunks of exact sizes") {
    std::string body;
    for (int i = 0; body.size() < 300'000; ++i) body += "line " + std::to_string(i) + "\r\n";
    Message msg(body);
    const std::string all = msg.bytes();
    SessionConfig config = session_config();
    config.chunk_size = 64 * 1024;
    const bool pipelining = GENERATE(true, false);
    CAPTURE(pipelining);

    ScriptedPeer peer;
    peer.send(greeting).expect("EHLO client.test\r\n");
    if (pipelining)
        peer.send(ehlo({"PIPELINING", "CHUNKING"}));
    else
        peer.send(ehlo({"CHUNKING"}));
    std::vector<std::string> chunks;
    for (std::size_t off = 0; off < all.size(); off += config.chunk_size) {
        chunks.push_back(all.substr(off, config.chunk_size));
    }
    REQUIRE(chunks.size() == 5);
    if (pipelining) {
        peer.expect("MAIL FROM:<a@example.org>\r\n" + rcpt("b@example.net") +
                    bdat(chunks[0].size(), false) + chunks[0])
            .send("250 Ok\r\n250 Ok\r\n250 chunk\r\n");
        for (std::size_t i = 1; i < chunks.size(); ++i) {
            const bool last = i + 1 == chunks.size();
            peer.expect(bdat(chunks[i].size(), last) + chunks[i] + (last ? "QUIT\r\n" : ""));
        }
        peer.send("250 chunk\r\n250 chunk\r\n250 chunk\r\n250 2.0.0 queued\r\n221 Bye\r\n");
    } else {
        peer.expect("MAIL FROM:<a@example.org>\r\n")
            .send("250 Ok\r\n")
            .expect(rcpt("b@example.net"))
            .send("250 Ok\r\n");
        for (std::size_t i = 0; i < chunks.size(); ++i) {
            const bool last = i + 1 == chunks.size();
            peer.expect(bdat(chunks[i].size(), last) + chunks[i])
                .send(last ? "250 2.0.0 queued\r\n" : "250 chunk\r\n");
        }
        peer.expect("QUIT\r\n").send("221 Bye\r\n");
    }
    const Outcome o = run(peer, config, envelope(), msg);
    INFO(o.text);
    REQUIRE(o.ok);
    CHECK(o.result.final_reply.str() == "250 2.0.0 queued");
    CHECK(peer.errors().empty());
    CHECK(peer.finished());
    // One write per chunk: a chunk is never split, and never merged with the next.
    CHECK(peer.writes().size() == (pipelining ? 1 + 5 : 1 + 2 + 5 + 1));
}

TEST_CASE("smtp_session - a large message via DATA is written in bounded pieces") {
    std::string body;
    for (int i = 0; body.size() < 1'000'000; ++i)
        body += ".dotted line " + std::to_string(i) + "\r\n";
    Message msg(body);
    std::string stuffed = msg.headers;
    for (std::size_t pos = 0; pos < body.size();) {
        const auto eol = body.find("\r\n", pos) + 2;
        stuffed += "." + body.substr(pos, eol - pos);
        pos = eol;
    }
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING"}))
        .expect("MAIL FROM:<a@example.org>\r\n" + rcpt("b@example.net") + "DATA\r\n")
        .send("250 Ok\r\n250 Ok\r\n354 go\r\n")
        .expect(stuffed + ".\r\nQUIT\r\n")
        .send("250 Ok\r\n221 Bye\r\n");
    const Outcome o = run(peer, session_config(), envelope(), msg);
    INFO(o.text);
    REQUIRE(o.ok);
    CHECK(peer.errors().empty());
    for (std::size_t i = 2; i < peer.writes().size(); ++i) {
        CHECK(peer.writes()[i].size() < 2 * 64 * 1024 + 16);
    }
    CHECK(peer.writes().size() > 10);
}

TEST_CASE("smtp_session - RCPT partial failure: nothing delivered, every refusal reported") {
    auto [replies, expected] = GENERATE(table<std::vector<std::string>, Exit>({
        {{"250 2.1.5 Ok", "550 5.1.1 <c@example.net>: Recipient address rejected: User unknown",
          "553 5.1.3 bad address syntax"},
         Exit::nouser},
        {{"250 2.1.5 Ok", "550 5.1.1 unknown", "450 4.2.0 <d@example.net>: Greylisted"},
         Exit::tempfail},
        {{"250 2.1.5 Ok", "550 5.1.1 unknown", "554 5.7.1 Relay access denied"}, Exit::unavailable},
        {{"550 5.1.1 unknown", "551 5.1.6 moved", "550 5.1.1 unknown"}, Exit::nouser},
    }));
    const std::string path = GENERATE(std::string("BDAT"), std::string("DATA"),
                                      std::string("DATA 354"), std::string("no pipelining"));
    CAPTURE(path);
    Message msg;
    ScriptedPeer peer;
    const std::vector<std::string> who{"b@example.net", "c@example.net", "d@example.net"};
    peer.send(greeting).expect("EHLO client.test\r\n");
    SessionConfig config = session_config();
    if (path == "BDAT") {
        peer.send(ehlo({"PIPELINING", "CHUNKING"}))
            .expect("MAIL FROM:<a@example.org>\r\n" + rcpt(who[0]) + rcpt(who[1]) + rcpt(who[2]) +
                    bdat(msg.size(), false) + msg.bytes())
            .reply({"250 Ok", replies[0], replies[1], replies[2], "554 5.5.1 no valid recipients"})
            .expect("RSET\r\nQUIT\r\n")
            .send("250 Ok\r\n221 Bye\r\n");
    } else if (path.starts_with("DATA")) {
        const std::string data_reply =
            path == "DATA 354" ? "354 go ahead" : "554 5.5.1 Error: no valid recipients";
        peer.send(ehlo({"PIPELINING"}))
            .expect("MAIL FROM:<a@example.org>\r\n" + rcpt(who[0]) + rcpt(who[1]) + rcpt(who[2]) +
                    "DATA\r\n")
            .reply({"250 Ok", replies[0], replies[1], replies[2], data_reply});
        if (path == "DATA") peer.expect("RSET\r\nQUIT\r\n").send("250 Ok\r\n221 Bye\r\n");
    } else {
        peer.send(ehlo({})).expect("MAIL FROM:<a@example.org>\r\n").send("250 Ok\r\n");
        for (int i = 0; i < 3; ++i) peer.expect(rcpt(who[i])).reply({replies[i]});
        peer.expect("RSET\r\n").send("250 Ok\r\n").expect("QUIT\r\n").send("221 Bye\r\n");
    }
    const Outcome o = run(peer, config, envelope(who), msg);
    INFO(o.text);
    REQUIRE_FALSE(o.ok);
    CHECK(o.code == expected);
    CHECK(peer.errors().empty());
    CHECK(peer.finished());
    // Not a byte after the 354: closing without the final dot discards the message.
    CHECK(peer.unscripted().empty());
    CHECK_FALSE(contains(peer.written(), "LAST"));
    CHECK_FALSE(contains(peer.written(), "\r\n.\r\n"));
    if (path != "BDAT") CHECK_FALSE(contains(peer.written(), "Subject:"));
    for (std::size_t i = 0; i < 3; ++i) {
        if (replies[i].starts_with("250")) continue;
        CHECK(contains(o.text, "RCPT TO:<" + who[i] + "> rejected: " + replies[i]));
    }
    if (replies[0].starts_with("250")) {
        CHECK_FALSE(contains(o.text, "RCPT TO:<b@example.net> rejected"));
    }
}

TEST_CASE("smtp_session - one refused recipient with BDAT LAST in the flight") {
    Message msg;
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING", "CHUNKING"}))
        .expect("MAIL FROM:<a@example.org>\r\n" + rcpt("b@example.net") + bdat(msg.size(), true) +
                msg.bytes() + "QUIT\r\n")
        .reply({"250 Ok", "550 5.1.1 <b@example.net>: User unknown",
                "554 5.5.1 Error: no valid recipients", "221 Bye"});
    const Outcome o = run(peer, session_config(), envelope(), msg);
    CHECK(o.code == Exit::nouser);
    CHECK(contains(o.text,
                   "RCPT TO:<b@example.net> rejected: 550 5.1.1 <b@example.net>: User unknown"));
    CHECK(peer.errors().empty());
    CHECK(peer.finished());
    CHECK(peer.unscripted().empty());
}

TEST_CASE("smtp_session - MAIL refused in a pipelined flight reports MAIL, not the 503s") {
    Message msg;
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING"}))
        .expect("MAIL FROM:<a@example.org>\r\n" + rcpt("b@example.net") + "DATA\r\n")
        .reply({"553 5.7.1 <a@example.org>: Sender address rejected: not owned by user",
                "503 5.5.1 Error: need MAIL command", "503 5.5.1 Error: need RCPT command"})
        .expect("RSET\r\nQUIT\r\n")
        .send("250 Ok\r\n221 Bye\r\n");
    const Outcome o = run(peer, session_config(), envelope(), msg);
    CHECK(o.code == Exit::unavailable);
    CHECK(o.text ==
          "MAIL FROM:<a@example.org> rejected: 553 5.7.1 <a@example.org>: Sender "
          "address rejected: not owned by user");
    CHECK(peer.errors().empty());
}

TEST_CASE("smtp_session - SIZE: refused before MAIL when the message is too big") {
    Message msg(std::string(5000, 'x') + "\r\n");
    ScriptedPeer peer;
    peer.send(greeting).expect("EHLO client.test\r\n").send(ehlo({"PIPELINING", "SIZE 1000"}));
    const Outcome o = run(peer, session_config(), envelope(), msg);
    CHECK(o.code == Exit::unavailable);
    CHECK(o.text == "message is " + std::to_string(msg.size()) +
                        " bytes; server mx.test accepts at most 1000");
    CHECK_FALSE(contains(peer.written(), "MAIL"));
}

TEST_CASE("smtp_session - MAIL and RCPT parameters") {
    Message msg;
    SessionConfig config = session_config();
    config.use_chunking = false;
    auto [caps, eight_bit, utf8, dsn, mail_params, rcpt_params] =
        GENERATE(table<std::vector<std::string>, bool, bool, bool, std::string, std::string>({
            {{"8BITMIME"}, true, false, false, " BODY=8BITMIME", ""},
            {{"8BITMIME"}, false, false, false, "", ""},
            {{}, true, false, false, "", ""},  // warned about, sent as it is
            {{"8BITMIME", "SMTPUTF8"}, true, true, false, " BODY=8BITMIME SMTPUTF8", ""},
            {{"DSN"},
             false,
             false,
             true,
             " RET=HDRS ENVID=id+2Bone+3D1+20x",
             " NOTIFY=SUCCESS,FAILURE"},
            {{}, false, false, true, "", ""},  // DSN not offered: warned, sent without
            {{"SIZE 100000"}, false, false, false, " SIZE=@", ""},
        }));
    msg.eight_bit = eight_bit;
    msg.smtputf8 = utf8;
    if (dsn) {
        config.dsn.ret = "HDRS";
        config.dsn.envid = "id+one=1 x";
        config.dsn.notify = "SUCCESS,FAILURE";
    }
    std::string mp = mail_params;
    if (mp == " SIZE=@") mp = " SIZE=" + std::to_string(msg.size());
    std::string reply = "250-mx.test\r\n";
    for (const auto& c : caps) reply += "250-" + c + "\r\n";
    reply += "250 PIPELINING\r\n";
    LogCapture log;
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(reply)
        .expect("MAIL FROM:<a@example.org>" + mp + "\r\n" + "RCPT TO:<b@example.net>" +
                rcpt_params + "\r\nDATA\r\n")
        .reply({"250 Ok", "250 Ok", "354 go"})
        .expect(msg.bytes() + ".\r\nQUIT\r\n")
        .reply({"250 Ok", "221 Bye"});
    const Outcome o = run(peer, config, envelope(), msg);
    INFO(o.text);
    CHECK(o.ok);
    CHECK(peer.errors().empty());
    CHECK_FALSE(contains(peer.written(), "AUTH="));
    const bool warned_8bit = contains(log.text(), "does not offer 8BITMIME");
    CHECK(warned_8bit == (eight_bit && caps.empty()));
    const bool warned_dsn = contains(log.text(), "does not offer DSN");
    CHECK(warned_dsn == (dsn && caps.empty()));
}

TEST_CASE("smtp_session - SMTPUTF8 needed but not offered") {
    Message msg;
    msg.smtputf8 = true;
    ScriptedPeer peer;
    peer.send(greeting).expect("EHLO client.test\r\n").send(ehlo({"PIPELINING", "8BITMIME"}));
    const Outcome o = run(peer, session_config(), envelope(), msg);
    CHECK(o.code == Exit::unavailable);
    CHECK(contains(o.text, "SMTPUTF8"));
    CHECK_FALSE(contains(peer.written(), "MAIL"));
}

TEST_CASE("smtp_session - bad DSN keywords never reach the wire") {
    Message msg;
    SessionConfig config = session_config();
    config.dsn.notify = "SUCCESS\r\nRCPT TO:<evil@x>";
    ScriptedPeer peer;
    peer.send(greeting).expect("EHLO client.test\r\n").send(ehlo({"PIPELINING", "DSN"}));
    const Outcome o = run(peer, config, envelope(), msg);
    CHECK(o.code == Exit::usage);
    CHECK_FALSE(contains(peer.written(), "evil"));
}

TEST_CASE("smtp_session - envelope addresses that would break the command line") {
    const std::string bad = GENERATE(std::string("a@x>\r\nRCPT TO:<evil@x"), std::string("a b@x"),
                                     std::string("a@x\n"), std::string("<a@x>"));
    Message msg;
    ScriptedPeer peer;
    peer.send(greeting);
    Envelope env = envelope({bad});
    Outcome o = run(peer, session_config(), env, msg);
    CHECK(o.code == Exit::dataerr);
    env = Envelope{bad, {"b@example.net"}};
    o = run(peer, session_config(), env, msg);
    CHECK(o.code == Exit::dataerr);
    CHECK(peer.written().empty());
}

TEST_CASE("smtp_session - the null sender") {
    Message msg;
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({}))
        .expect("MAIL FROM:<>\r\n")
        .send("250 Ok\r\n")
        .expect(rcpt("b@example.net"))
        .send("250 Ok\r\n")
        .expect("DATA\r\n")
        .send("354 go\r\n")
        .expect(msg.bytes() + ".\r\n")
        .send("250 Ok\r\n")
        .expect("QUIT\r\n")
        .send("221 Bye\r\n");
    const Outcome o = run(peer, session_config(), Envelope{"", {"b@example.net"}}, msg);
    INFO(o.text);
    CHECK(o.ok);
    CHECK(peer.errors().empty());
}

TEST_CASE("smtp_session - disconnect mid-DATA is a temporary failure") {
    Message msg(std::string(200'000, 'y') + "\r\n");
    const bool pipelined = GENERATE(true, false);
    ScriptedPeer peer;
    peer.send(greeting).expect("EHLO client.test\r\n");
    if (pipelined) {
        peer.send(ehlo({"PIPELINING"}))
            .expect("MAIL FROM:<a@example.org>\r\n" + rcpt("b@example.net") + "DATA\r\n")
            .reply({"250 Ok", "250 Ok", "354 go"});
    } else {
        peer.send(ehlo({}))
            .expect("MAIL FROM:<a@example.org>\r\n")
            .send("250 Ok\r\n")
            .expect(rcpt("b@example.net"))
            .send("250 Ok\r\n")
            .expect("DATA\r\n")
            .send("354 go\r\n");
    }
    peer.expect_bytes(70'000).disconnect();
    const Outcome o = run(peer, session_config(), envelope(), msg);
    REQUIRE_FALSE(o.ok);
    CHECK(o.code == Exit::tempfail);
    CHECK(contains(o.text, "message data"));
    CHECK_FALSE(contains(peer.written(), "\r\n.\r\n"));
}

TEST_CASE("smtp_session - QUIT's 221 may be missing") {
    Message msg;
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING", "CHUNKING"}))
        .expect("MAIL FROM:<a@example.org>\r\n" + rcpt("b@example.net") + bdat(msg.size(), true) +
                msg.bytes() + "QUIT\r\n");
    SECTION("closed") {
        peer.reply({"250 Ok", "250 Ok", "250 queued"}).disconnect();
    }
    SECTION("garbage") {
        peer.reply({"250 Ok", "250 Ok", "250 queued", "\x1b[2J"});
    }
    SECTION("stalled") {
        peer.reply({"250 Ok", "250 Ok", "250 queued"}).stall();
    }
    SessionConfig config = session_config();
    config.command_timeout = std::chrono::milliseconds(50);
    const Outcome o = run(peer, config, envelope(), msg);
    INFO(o.text);
    CHECK(o.ok);
    CHECK(o.result.final_reply.str() == "250 queued");
}

TEST_CASE("smtp_session - -v dialogue: commands and replies, no message content") {
    Message msg("secret body text\r\n");
    LogCapture log;
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING", "CHUNKING"}))
        .expect("MAIL FROM:<a@example.org>\r\n" + rcpt("b@example.net") + bdat(msg.size(), true) +
                msg.bytes() + "QUIT\r\n")
        .reply({"250 Ok", "250 Ok", "250 queued \xc3\xa9t\xc3\xa9", "221 Bye"});
    const Outcome o = run(peer, session_config(), envelope(), msg);
    REQUIRE(o.ok);
    const std::string text = log.text();
    for (std::string_view line :
         {"<-- 220 mx.test ESMTP ready", "--> EHLO client.test", "<-- 250-PIPELINING",
          "<-- 250 CHUNKING", "--> MAIL FROM:<a@example.org>", "--> RCPT TO:<b@example.net>",
          "--> BDAT ", "bytes of message data]", "--> QUIT", "<-- 250 queued \xc3\xa9t\xc3\xa9",
          "<-- 221 Bye"}) {
        CAPTURE(line);
        CHECK(contains(text, line));
    }
    CHECK_FALSE(contains(text, "secret body text"));
    CHECK_FALSE(contains(text, "\x1b"));
}

TEST_CASE("smtp_session - a spooled 3 MiB message in 1 MiB BDAT chunks, byte for byte") {
    std::string body;
    for (int i = 0; body.size() < 3 * (1 << 20) + 100; ++i) {
        body += "spooled line " + std::to_string(i) + "\r\n";
    }
    Message msg(body);  // beyond Spool::memory_limit: read back from its file
    const std::string all = msg.bytes();
    const std::size_t chunk = 1 << 20;
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING", "CHUNKING"}))
        .expect("MAIL FROM:<a@example.org>\r\n" + rcpt("b@example.net") + bdat(chunk, false) +
                all.substr(0, chunk))
        .reply({"250 Ok", "250 Ok", "250 chunk"})
        .expect(bdat(chunk, false) + all.substr(chunk, chunk))
        .expect(bdat(chunk, false) + all.substr(2 * chunk, chunk))
        .expect(bdat(all.size() - 3 * chunk, true) + all.substr(3 * chunk) + "QUIT\r\n")
        .reply({"250 chunk", "250 chunk", "250 2.0.0 queued", "221 Bye"});
    const Outcome o = run(peer, session_config(), envelope(), msg);
    INFO(o.text);
    REQUIRE(o.ok);
    CHECK(peer.errors().empty());
    CHECK(peer.finished());
    CHECK(peer.writes().size() == 5);
}

TEST_CASE("smtp_session - a failed chunk stops the BDAT sequence") {
    Message msg(std::string(3000, 'q') + "\r\n");
    SessionConfig config = session_config();
    config.chunk_size = 1000;
    ScriptedPeer peer;
    const std::string all = msg.bytes();
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"CHUNKING"}))
        .expect("MAIL FROM:<a@example.org>\r\n")
        .send("250 Ok\r\n")
        .expect(rcpt("b@example.net"))
        .send("250 Ok\r\n")
        .expect(bdat(1000, false) + all.substr(0, 1000))
        .send("250 Ok\r\n")
        .expect(bdat(1000, false) + all.substr(1000, 1000))
        .send("552 5.3.4 Message size exceeds fixed limit\r\n");
    const Outcome o = run(peer, config, envelope(), msg);
    CHECK(o.code == Exit::unavailable);
    CHECK(o.text == "BDAT 1000 rejected: 552 5.3.4 Message size exceeds fixed limit");
    CHECK(peer.unscripted().empty());  // no further BDAT (RFC 3030 2)
    CHECK_FALSE(contains(peer.written(), "LAST"));
}

TEST_CASE("smtp_session - DATA: the dot always starts its own line") {
    Message msg("no final line ending");
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING"}))
        .expect("MAIL FROM:<a@example.org>\r\n" + rcpt("b@example.net") + "DATA\r\n")
        .reply({"250 Ok", "250 Ok", "354 go"})
        .expect(msg.headers + "no final line ending\r\n.\r\nQUIT\r\n")
        .reply({"250 Ok", "221 Bye"});
    const Outcome o = run(peer, session_config(), envelope(), msg);
    INFO(o.text);
    CHECK(o.ok);
    CHECK(peer.errors().empty());
}
