// Hostile and broken servers around TLS and AUTH (issue 4; "Why TLS is better
// without STARTTLS", USENIX Security 2021): in every failure no AUTH, no MAIL and
// no password byte may reach the wire.
#include <catch2/catch.hpp>

#include "sasl/sasl_internal.hpp"
#include "smtp_fixture.hpp"

using namespace okuru;
using namespace okuru::test;

namespace {

SessionConfig tls_auth_config() {
    SessionConfig c = session_config(TlsMode::starttls);
    c.auth = auth_config();
    return c;
}

void check_nothing_sent(const ScriptedPeer& peer) {
    CHECK_FALSE(contains(peer.written(), "AUTH"));
    CHECK_FALSE(contains(peer.written(), "MAIL"));
    CHECK_FALSE(contains(peer.written(), "RCPT"));
    CHECK_FALSE(leaks_secret(peer.written()));
}

}  // namespace

TEST_CASE("smtp_session - STARTTLS not offered") {
    const std::string caps = GENERATE(ehlo({"AUTH PLAIN LOGIN", "PIPELINING"}), ehlo({}),
                                      ehlo({"XSTARTTLS", "STARTTLSX"}));
    Message msg;
    ScriptedPeer peer;
    peer.send(greeting).expect("EHLO client.test\r\n").send(caps);
    const Outcome o = run(peer, tls_auth_config(), envelope(), msg);
    CHECK(o.code == Exit::unavailable);
    CHECK(o.text == "server mx.test does not offer STARTTLS; refusing to continue without TLS");
    CHECK(o.cause == Cause::no_starttls);
    CHECK_FALSE(peer.tls_started());
    CHECK_FALSE(contains(peer.written(), "STARTTLS"));
    check_nothing_sent(peer);
}

TEST_CASE("smtp_session - STARTTLS offered, then refused") {
    auto [reply, expected] = GENERATE(table<std::string, Exit>({
        {"502 5.5.1 Command not implemented", Exit::unavailable},
        {"454 4.7.0 TLS not available due to local problem", Exit::tempfail},
        {"354 go ahead", Exit::protocol},
        {"221 2.0.0 Bye", Exit::protocol},
        {"421 4.3.2 Service not available", Exit::tempfail},
        {"500 5.5.2 Syntax error", Exit::unavailable},
        {"501 5.5.4 Syntax error in parameters", Exit::unavailable},
        {"530 5.7.0 Must issue a STARTTLS command first", Exit::unavailable},
        {"250 2.0.0 Ok", Exit::protocol},
    }));
    CAPTURE(reply);
    Message msg;
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"STARTTLS", "AUTH PLAIN", "PIPELINING"}))
        .expect("STARTTLS\r\n")
        .reply({reply});
    const Outcome o = run(peer, tls_auth_config(), envelope(), msg);
    CHECK(o.code == expected);
    CHECK(o.cause == Cause::none);  // refused (or garbled) is not "not offered"
    CHECK(contains(o.text, reply));
    CHECK(contains(o.text, "STARTTLS"));
    CHECK_FALSE(peer.tls_started());
    check_nothing_sent(peer);
}

TEST_CASE("smtp_session - STARTTLS response injection") {
    Message msg;
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"STARTTLS", "AUTH PLAIN"}))
        .expect("STARTTLS\r\n");
    const std::string injected = "250-mx.test\r\n250 AUTH PLAIN\r\n235 2.7.0 ok\r\n";
    SECTION("in the same segment as the 220") {
        peer.send("220 2.0.0 Ready to start TLS\r\n" + injected);
        const Outcome o = run(peer, tls_auth_config(), envelope(), msg);
        CHECK(o.code == Exit::protocol);
        CHECK(o.text.starts_with("STARTTLS response injection"));
        CHECK(contains(o.text, "250-mx.test\\x0d\\x0a250 AUTH PLAIN"));
        CHECK_FALSE(peer.tls_started());
    }
    SECTION("in a following segment") {
        // Arrives after the 220 was read: the real transport's handshake fails on
        // plaintext; the peer does the same. Either way nothing after 220 is used.
        peer.send("220 2.0.0 Ready to start TLS\r\n").send(injected).tls();
        const Outcome o = run(peer, tls_auth_config(), envelope(), msg);
        REQUIRE_FALSE(o.ok);
        CHECK(o.code == Exit::unavailable);
        CHECK(contains(o.text, "TLS handshake with mx.test[192.0.2.1]:587"));
    }
    SECTION("a partial line after the 220") {
        peer.send("220 2.0.0 Ready\r\n2");
        const Outcome o = run(peer, tls_auth_config(), envelope(), msg);
        CHECK(o.code == Exit::protocol);
        CHECK(contains(o.text, "injection"));
    }
    check_nothing_sent(peer);
    CHECK(peer.writes().size() == 2);  // EHLO, STARTTLS: nothing more
}

TEST_CASE("smtp_session - a non-ESMTP server never leads to a plaintext fall-back") {
    auto [tls, with_auth] = GENERATE(table<TlsMode, bool>({
        {TlsMode::starttls, false},
        {TlsMode::starttls, true},
        {TlsMode::none, true},
    }));
    Message msg;
    SessionConfig config = session_config(tls);
    if (with_auth) {
        config.auth = auth_config();
        config.auth->allow_plaintext = true;  // even then: AUTH needs ESMTP
    }
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send("502 5.5.1 Error: command not implemented\r\n");
    const Outcome o = run(peer, config, envelope(), msg);
    CHECK(o.code == Exit::unavailable);
    CHECK(contains(o.text, "EHLO client.test rejected: 502 5.5.1 Error: command not implemented"));
    CHECK(contains(o.text, "not falling back to HELO"));
    CHECK_FALSE(contains(peer.written(), "HELO"));
    check_nothing_sent(peer);
}

TEST_CASE("smtp_session - capabilities are forgotten after STARTTLS") {
    Message msg(std::string(100, 'z') + "\r\n");
    LogCapture log;
    ScriptedPeer peer;
    SessionConfig config = session_config(TlsMode::starttls);
    config.auth = auth_config({});  // automatic choice
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"AUTH PLAIN", "SIZE 10", "STARTTLS", "CHUNKING", "PIPELINING"}))
        .expect("STARTTLS\r\n")
        .send("220 2.0.0 Ready\r\n")
        .tls()
        .expect("EHLO client.test\r\n")
        .send(ehlo({"AUTH LOGIN", "SIZE 0"}))
        // No PLAIN any more: LOGIN (server first); no CHUNKING or PIPELINING either.
        .expect("AUTH LOGIN\r\n")
        .send("334 VXNlcm5hbWU6\r\n")
        .expect_line("user name", [](std::string_view l) { return !l.empty(); })
        .send("334 UGFzc3dvcmQ6\r\n")
        .expect(password_b64 + "\r\n")
        .send("235 2.7.0 ok\r\n")
        .expect("MAIL FROM:<a@example.org> SIZE=" + std::to_string(msg.size()) + "\r\n")
        .send("250 Ok\r\n")
        .expect("RCPT TO:<b@example.net>\r\n")
        .send("250 Ok\r\n")
        .expect("DATA\r\n")
        .send("354 go\r\n")
        .expect(msg.bytes() + ".\r\n")
        .send("250 Ok\r\n")
        .expect("QUIT\r\n")
        .send("221 Bye\r\n");
    const Outcome o = run(peer, config, envelope(), msg);
    INFO(o.text);
    REQUIRE(o.ok);
    CHECK(o.result.mechanism == "LOGIN");
    CHECK(peer.errors().empty());
    CHECK(peer.finished());
    CHECK_FALSE(leaks_secret(peer.written_before_tls()));
    // -v: TLS details, and no credentials in the log, not even base64.
    const std::string text = log.text();
    CHECK(contains(text, "TLS TLS1.3 with TLS_AES_256_GCM_SHA384"));
    CHECK(contains(text, "certificate SHA-256 fingerprint: ab:cd"));
    CHECK(contains(text, "--> AUTH LOGIN"));
    CHECK(contains(text, "[SASL response redacted]"));
    CHECK_FALSE(leaks_secret(text));
}

TEST_CASE("smtp_session - credentials never travel in the clear") {
    const std::string offered =
        GENERATE(std::string("AUTH PLAIN LOGIN"), std::string("AUTH CRAM-MD5 SCRAM-SHA-256"),
                 std::string("AUTH=LOGIN"));
    CAPTURE(offered);
    Message msg;
    SessionConfig config = session_config(TlsMode::none);
    config.auth = auth_config({});
    ScriptedPeer peer;
    peer.send(greeting).expect("EHLO client.test\r\n").send(ehlo({offered, "PIPELINING"}));
    const Outcome o = run(peer, config, envelope(), msg);
    CHECK(o.code == Exit::unavailable);
    CHECK(contains(o.text,
                   "refusing to send the credentials of me@example.org over an "
                   "unencrypted connection to mx.test"));
    CHECK(o.cause == Cause::plaintext_auth_refused);
    check_nothing_sent(peer);
}

TEST_CASE("smtp_session - AUTH over plaintext with the LAN override") {
    Message msg;
    SessionConfig config = session_config(TlsMode::none);
    config.auth = auth_config({"PLAIN"});
    config.auth->allow_plaintext = true;
    LogCapture log;
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"AUTH PLAIN", "PIPELINING", "CHUNKING"}))
        .expect("AUTH PLAIN " + plain_ir + "\r\n")
        .send("235 2.7.0 ok\r\n")
        .expect("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nBDAT " +
                std::to_string(msg.size()) + " LAST\r\n" + msg.bytes() + "QUIT\r\n")
        .reply({"250 Ok", "250 Ok", "250 Ok", "221 Bye"});
    const Outcome o = run(peer, config, envelope(), msg);
    INFO(o.text);
    CHECK(o.ok);
    CHECK(peer.errors().empty());
    CHECK(contains(log.text(), "--> AUTH PLAIN [initial response redacted]"));
    CHECK_FALSE(leaks_secret(log.text()));
}

TEST_CASE("smtp_session - AUTH problems") {
    Message msg;
    SessionConfig config = session_config(TlsMode::implicit);
    LogCapture log;
    ScriptedPeer peer(true);
    peer.send(greeting).expect("EHLO client.test\r\n");
    SECTION("no AUTH offered") {
        config.auth = auth_config({});
        peer.send(ehlo({"PIPELINING"}));
        const Outcome o = run(peer, config, envelope(), msg);
        CHECK(o.code == Exit::unavailable);
        CHECK(contains(o.text, "does not offer AUTH"));
        CHECK(o.cause == Cause::no_auth_offered);
    }
    SECTION("pinned mechanism not offered") {
        config.auth = auth_config({"XOAUTH2"});
        peer.send(ehlo({"AUTH PLAIN LOGIN"}));
        const Outcome o = run(peer, config, envelope(), msg);
        CHECK(o.code == Exit::unavailable);
        CHECK(contains(o.text, "XOAUTH2"));
        CHECK(o.cause == Cause::mechanism_not_offered);
    }
    SECTION("535 names the mechanism and quotes the reply") {
        config.auth = auth_config({"PLAIN"});
        peer.send(ehlo({"AUTH PLAIN LOGIN"}))
            .expect("AUTH PLAIN " + plain_ir + "\r\n")
            .send("535 5.7.8 Username and Password not accepted\r\n");
        const Outcome o = run(peer, config, envelope(), msg);
        CHECK(o.code == Exit::noperm);
        CHECK(o.text ==
              "AUTH PLAIN: authentication failed: 535 5.7.8 Username and Password not accepted");
        CHECK(o.cause == Cause::login_refused);
    }
    SECTION("an OAuth refusal keeps its cause with the server's explanation") {
        config.auth = auth_config({"XOAUTH2"});
        config.auth->oauth_token = [] { return Secret("tok"); };
        const std::string json = R"({"status":"401","schemes":"Bearer"})";
        peer.send(ehlo({"AUTH PLAIN XOAUTH2"}))
            .expect_line("AUTH", [](auto l) { return l.starts_with("AUTH XOAUTH2 "); })
            .send("334 " + sasl_detail::base64_encode(json) + "\r\n")
            .expect("\r\n")
            .send("535 5.7.8 Username and Password not accepted\r\n");
        const Outcome o = run(peer, config, envelope(), msg);
        CHECK(o.code == Exit::noperm);
        CHECK(contains(o.text, "(server said: "));
        CHECK(o.cause == Cause::login_refused);
    }
    SECTION("a server that never stops challenging") {
        config.auth = auth_config({"LOGIN"});
        peer.send(ehlo({"AUTH LOGIN"})).expect_line("AUTH", [](auto) { return true; });
        for (int i = 0; i < 20; ++i) {
            peer.send("334 VXNlcm5hbWU6\r\n").expect_line("x", [](auto) { return true; });
        }
        const Outcome o = run(peer, config, envelope(), msg);
        CHECK(o.code == Exit::protocol);
        CHECK(o.cause == Cause::none);
    }
    CHECK_FALSE(contains(peer.written(), "MAIL"));
    CHECK_FALSE(leaks_secret(log.text()));
    CHECK_FALSE(leaks_secret(log.text()));
}

TEST_CASE("smtp_session - implicit TLS requires an encrypted transport") {
    Message msg;
    ScriptedPeer plain;
    plain.send(greeting);
    Outcome o = run(plain, session_config(TlsMode::implicit), envelope(), msg);
    CHECK(o.code == Exit::software);
    CHECK(plain.written().empty());

    ScriptedPeer tls(true);
    tls.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING", "CHUNKING"}))
        .expect_line("MAIL", [](std::string_view l) { return l == "MAIL FROM:<a@example.org>"; })
        .expect_line("RCPT", [](std::string_view l) { return l == "RCPT TO:<b@example.net>"; })
        .expect_line("BDAT", [](std::string_view l) { return l.starts_with("BDAT "); })
        .expect_bytes(msg.size())
        .expect("QUIT\r\n")
        .reply({"250 Ok", "250 Ok", "250 Ok", "221 Bye"});
    o = run(tls, session_config(TlsMode::implicit), envelope(), msg);
    INFO(o.text);
    CHECK(o.ok);
    CHECK(tls.errors().empty());
    CHECK_FALSE(contains(tls.written(), "STARTTLS"));
}

TEST_CASE("smtp_session - server text is escaped in errors") {
    Message msg;
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({}))
        .expect("MAIL FROM:<a@example.org>\r\n")
        .send("550 5.7.1 \xff\xfe bad \x1b]0;title\x07\r\n");
    const Outcome o = run(peer, session_config(), envelope(), msg);
    CHECK(o.code == Exit::protocol);  // control bytes in a reply are garbage
    CHECK_FALSE(contains(o.text, "\x1b"));
    CHECK_FALSE(contains(o.text, "\x07"));
}
