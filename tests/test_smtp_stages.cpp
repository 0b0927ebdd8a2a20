// Every reply code at every stage of the dialogue, against the exit code the
// failure deserves (the table in okuru(8)), and what must not follow a failure.
#include <catch2/catch.hpp>

#include "smtp_fixture.hpp"

using namespace okuru;
using namespace okuru::test;

namespace {

enum Step { greet, ehlo1, starttls, ehlo2, auth, mail, rcpt, data, eod, done };

const char* step_name(int s) {
    static const char* names[] = {"greeting", "EHLO", "STARTTLS", "EHLO after TLS", "AUTH",
                                  "MAIL",     "RCPT", "DATA",     "end of data",    "done"};
    return names[s];
}

// The whole successful dialogue (STARTTLS, AUTH PLAIN, no PIPELINING: one
// command per round trip), with `reply` instead of the good one at `stop`, and
// the script ending there (later reads see the connection closed).
void script(ScriptedPeer& p, const Message& msg, int stop, const std::string& reply) {
    auto answer = [&](int s, std::string good) { p.send(s == stop ? reply : std::move(good)); };
    answer(greet, greeting);
    if (stop == greet) return;
    p.expect("EHLO client.test\r\n");
    answer(ehlo1, ehlo({"STARTTLS", "ENHANCEDSTATUSCODES"}));
    if (stop == ehlo1) return;
    p.expect("STARTTLS\r\n");
    answer(starttls, "220 2.0.0 Ready to start TLS\r\n");
    if (stop == starttls) return;
    p.tls().expect("EHLO client.test\r\n");
    answer(ehlo2, ehlo({"AUTH PLAIN LOGIN", "ENHANCEDSTATUSCODES"}));
    if (stop == ehlo2) return;
    p.expect("AUTH PLAIN " + plain_ir + "\r\n");
    answer(auth, "235 2.7.0 Authentication successful\r\n");
    if (stop == auth) return;
    p.expect("MAIL FROM:<a@example.org>\r\n");
    answer(mail, "250 2.1.0 Ok\r\n");
    if (stop == mail) return;
    p.expect("RCPT TO:<b@example.net>\r\n");
    answer(rcpt, "250 2.1.5 Ok\r\n");
    if (stop == rcpt) return;
    p.expect("DATA\r\n");
    answer(data, "354 End data with <CR><LF>.<CR><LF>\r\n");
    if (stop == data) return;
    p.expect(msg.bytes() + ".\r\n");
    answer(eod, "250 2.0.0 Ok: queued as 4XyZ\r\n");
    if (stop == eod) return;
    p.expect("QUIT\r\n").send("221 2.0.0 Bye\r\n");
}

SessionConfig stage_config() {
    SessionConfig c = session_config(TlsMode::starttls);
    c.auth = auth_config();
    return c;
}

}  // namespace

TEST_CASE("smtp_session - the whole dialogue, one command per round trip") {
    Message msg;
    ScriptedPeer peer;
    script(peer, msg, done, "");
    const Outcome o = run(peer, stage_config(), envelope(), msg);
    INFO(o.text);
    REQUIRE(o.ok);
    CHECK(peer.errors().empty());
    CHECK(peer.finished());
    CHECK(o.result.final_reply.str() == "250 2.0.0 Ok: queued as 4XyZ");
    CHECK(o.result.mechanism == "PLAIN");
    CHECK_FALSE(contains(peer.written(), "BDAT"));
    CHECK(peer.tls_started());
    CHECK_FALSE(leaks_secret(peer.written_before_tls()));
}

TEST_CASE("smtp_session - every reply code at every stage") {
    auto [stop, reply, expected] = GENERATE(table<int, std::string, Exit>({
        {greet, "421 4.3.2 Service shutting down\r\n", Exit::tempfail},
        {greet, "450 busy\r\n", Exit::tempfail},
        {greet, "554 5.7.1 No SMTP service here\r\n", Exit::unavailable},
        {greet, "500 go away\r\n", Exit::unavailable},
        {greet, "250 wrong greeting\r\n", Exit::protocol},
        {greet, "354 wrong greeting\r\n", Exit::protocol},
        {greet, "220-multi\r\n221 mixed\r\n", Exit::protocol},
        {ehlo1, "421 4.7.0 too many connections\r\n", Exit::tempfail},
        {ehlo1, "451 4.3.0 local error\r\n", Exit::tempfail},
        {ehlo1, "502 5.5.1 command not implemented\r\n", Exit::unavailable},
        {ehlo1, "500 5.5.2 syntax error\r\n", Exit::unavailable},
        {ehlo1, "550 5.7.1 go away\r\n", Exit::unavailable},
        {ehlo1, "354 what\r\n", Exit::protocol},
        {ehlo1, "220 again\r\n", Exit::protocol},
        {starttls, "454 4.7.0 TLS not available due to local problem\r\n", Exit::tempfail},
        {starttls, "421 4.3.2 shutting down\r\n", Exit::tempfail},
        {starttls, "502 5.5.1 not implemented\r\n", Exit::unavailable},
        {starttls, "500 5.5.2 unrecognized\r\n", Exit::unavailable},
        {starttls, "501 5.5.4 syntax\r\n", Exit::unavailable},
        {starttls, "530 5.7.0 must issue STARTTLS first\r\n", Exit::unavailable},
        {starttls, "354 go ahead\r\n", Exit::protocol},
        {starttls, "221 bye\r\n", Exit::protocol},
        {starttls, "250 ok\r\n", Exit::protocol},
        {ehlo2, "421 4.3.2 bye\r\n", Exit::tempfail},
        {ehlo2, "502 5.5.1 no EHLO after TLS\r\n", Exit::unavailable},
        {auth, "535 5.7.8 Error: authentication failed\r\n", Exit::noperm},
        {auth, "534 5.7.9 Authentication mechanism is too weak\r\n", Exit::noperm},
        {auth, "530 5.7.0 Authentication required\r\n", Exit::noperm},
        {auth, "538 5.7.11 Encryption required\r\n", Exit::noperm},
        {auth, "554 5.7.0 too many failures\r\n", Exit::noperm},
        {auth, "504 5.5.4 Unrecognized authentication type\r\n", Exit::unavailable},
        {auth, "501 5.5.2 cannot decode response\r\n", Exit::unavailable},
        {auth, "454 4.7.0 Temporary authentication failure\r\n", Exit::tempfail},
        {auth, "421 4.3.2 bye\r\n", Exit::tempfail},
        {auth, "250 ok\r\n", Exit::protocol},
        {auth, "354 what\r\n", Exit::protocol},
        {mail, "451 4.3.0 try again\r\n", Exit::tempfail},
        {mail, "421 4.4.2 timeout\r\n", Exit::tempfail},
        {mail, "550 5.7.1 not allowed\r\n", Exit::unavailable},
        {mail, "553 sender address syntax\r\n", Exit::dataerr},
        {mail, "501 5.1.7 Bad sender address syntax\r\n", Exit::dataerr},
        {mail, "553 5.7.1 Sender address rejected: not owned by user\r\n", Exit::unavailable},
        {mail, "552 5.3.4 Message size exceeds fixed limit\r\n", Exit::unavailable},
        {mail, "555 5.5.4 Unsupported option: AUTH=<>\r\n", Exit::unavailable},
        {mail, "354 what\r\n", Exit::protocol},
        {rcpt, "550 5.1.1 <b@example.net>: Recipient address rejected: User unknown\r\n",
         Exit::nouser},
        {rcpt, "550 no such user\r\n", Exit::nouser},
        {rcpt, "551 user not local\r\n", Exit::nouser},
        {rcpt, "553 mailbox name not allowed\r\n", Exit::nouser},
        {rcpt, "550 5.7.1 Relay access denied\r\n", Exit::unavailable},
        {rcpt, "554 5.7.1 rejected by policy\r\n", Exit::unavailable},
        {rcpt, "450 4.2.0 Greylisted\r\n", Exit::tempfail},
        {rcpt, "452 4.5.3 Too many recipients\r\n", Exit::tempfail},
        {rcpt, "421 4.3.2 bye\r\n", Exit::tempfail},
        {rcpt, "354 what\r\n", Exit::protocol},
        {data, "554 5.5.1 Error: no valid recipients\r\n", Exit::unavailable},
        {data, "451 4.3.0 try later\r\n", Exit::tempfail},
        {data, "421 4.3.2 bye\r\n", Exit::tempfail},
        {data, "250 ok\r\n", Exit::protocol},
        {eod, "554 5.7.1 Message rejected as spam\r\n", Exit::unavailable},
        {eod, "550 5.6.0 Malformed content\r\n", Exit::dataerr},
        {eod, "552 5.3.4 Message too big\r\n", Exit::unavailable},
        {eod, "451 4.3.0 Queue file write error\r\n", Exit::tempfail},
        {eod, "421 4.3.2 bye\r\n", Exit::tempfail},
        {eod, "354 again\r\n", Exit::protocol},
    }));
    CAPTURE(step_name(stop), reply);
    Message msg;
    ScriptedPeer peer;
    script(peer, msg, stop, reply);
    const Outcome o = run(peer, stage_config(), envelope(), msg);
    INFO(o.text);
    REQUIRE_FALSE(o.ok);
    CHECK(o.code == expected);
    // Only a refusal of the credentials themselves is a refused login.
    CHECK((o.cause == Cause::login_refused) == (stop == auth && expected == Exit::noperm));
    CHECK(peer.errors().empty());
    // The error quotes the reply (its first line at least).
    const std::string first = reply.substr(0, reply.find_first_of("\r\n"));
    if (stop != greet || reply.find('-') == std::string::npos) CHECK(contains(o.text, first));
    if (reply.starts_with("421")) CHECK(contains(o.text, "server closed the session"));
    // What must not follow.
    const std::string& w = peer.written();
    if (stop <= auth) CHECK_FALSE(contains(w, "MAIL FROM"));
    if (stop <= ehlo2) CHECK_FALSE(contains(w, "AUTH"));
    if (stop <= starttls) CHECK_FALSE(leaks_secret(w));
    if (stop <= rcpt) CHECK_FALSE(contains(w, "DATA"));
    if (stop < eod) CHECK_FALSE(contains(w, "Hello.\r\n.\r\n"));
}

TEST_CASE("smtp_session - 421 at any stage names the command") {
    const int stop =
        GENERATE(int(ehlo1), int(starttls), int(auth), int(mail), int(rcpt), int(data), int(eod));
    Message msg;
    ScriptedPeer peer;
    script(peer, msg, stop, "421 4.3.2 Service shutting down\r\n");
    const Outcome o = run(peer, stage_config(), envelope(), msg);
    CAPTURE(step_name(stop));
    CHECK(o.code == Exit::tempfail);
    CHECK(contains(o.text, "server closed the session: 421 4.3.2 Service shutting down"));
    const std::string command = stop == ehlo1      ? "EHLO"
                                : stop == starttls ? "STARTTLS"
                                : stop == auth     ? "AUTH PLAIN"
                                : stop == mail     ? "MAIL FROM:<a@example.org>"
                                : stop == rcpt     ? "RCPT TO:<b@example.net>"
                                : stop == data     ? "DATA"
                                                   : "end of message data";
    CHECK(o.text.starts_with(command));
    // Nothing is sent after a 421 (the server has gone).
    CHECK(peer.unscripted().empty());
}

TEST_CASE("smtp_session - the server disappears at every stage") {
    const int stop = GENERATE(range(int(greet), int(done)));
    CAPTURE(step_name(stop));
    Message msg;
    ScriptedPeer peer;
    script(peer, msg, stop, "");  // an empty segment: the script ends, the peer closes
    peer.disconnect();
    const Outcome o = run(peer, stage_config(), envelope(), msg);
    REQUIRE_FALSE(o.ok);
    CHECK(o.code == Exit::tempfail);
    CHECK(o.cause == Cause::connection_lost);
    CHECK(contains(o.text, "connection closed by server"));
}

TEST_CASE("smtp_session - a stalled server hits the deadline at every stage") {
    const int stop = GENERATE(range(int(greet), int(done)));
    CAPTURE(step_name(stop));
    Message msg;
    ScriptedPeer peer;
    script(peer, msg, stop, "");
    peer.stall();
    SessionConfig config = stage_config();
    config.command_timeout = std::chrono::milliseconds(30);
    const auto start = Clock::now();
    const Outcome o = run(peer, config, envelope(), msg);
    CHECK(Clock::now() - start < std::chrono::seconds(2));
    REQUIRE_FALSE(o.ok);
    CHECK(o.code == Exit::tempfail);
    CHECK(o.cause == Cause::timed_out);
    CHECK(contains(o.text, "timed out after 30 ms waiting for reply to"));
    CHECK(peer.stalls() == 1);
}
