// Partial delivery (issue 10, part 3): with some recipients accepted, the
// message goes to those and the refused ones are reported, on every path where
// the RCPT replies arrive (one by one, pipelined before DATA, pipelined before
// the first BDAT chunk); without partial delivery, all or nothing as before.
// attempt() then keeps the message only for the temporarily refused ones.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "app/attempt.hpp"
#include "deliver_fixture.hpp"
#include "smtp_fixture.hpp"
#include "test_support.hpp"

using namespace okuru;
using namespace okuru::test;

namespace {

std::string rcpt(std::string_view who) {
    return "RCPT TO:<" + std::string(who) + ">\r\n";
}

const std::vector<std::string> three = {"b@example.net", "typo@example.net", "later@example.net"};

SessionConfig partial_config() {
    SessionConfig c = session_config();
    c.partial = true;
    return c;
}

void check_refused(const SubmitResult& r) {
    REQUIRE(r.refused.size() == 2);
    CHECK(r.refused[0].recipient == "typo@example.net");
    CHECK(r.refused[0].reply.str() == "550 5.1.1 no such user");
    CHECK(r.refused[0].reply.permanent());
    CHECK(r.refused[1].recipient == "later@example.net");
    CHECK(r.refused[1].reply.str() == "450 4.2.0 try later");
    CHECK(r.refused[1].reply.transient());
}

}  // namespace

TEST_CASE("partial - without PIPELINING: every RCPT answered, then DATA to the accepted") {
    Message msg;
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"ENHANCEDSTATUSCODES"}))
        .expect("MAIL FROM:<a@example.org>\r\n")
        .send("250 2.1.0 Ok\r\n")
        .expect(rcpt("b@example.net"))
        .send("250 2.1.5 Ok\r\n")
        .expect(rcpt("typo@example.net"))
        .send("550 5.1.1 no such user\r\n")
        .expect(rcpt("later@example.net"))
        .send("450 4.2.0 try later\r\n")
        .expect("DATA\r\n")
        .send("354 go on\r\n")
        .expect(msg.bytes() + ".\r\n")
        .send("250 2.0.0 queued as 1\r\n")
        .expect("QUIT\r\n")
        .send("221 bye\r\n");
    const Outcome o = run(peer, partial_config(), envelope(three), msg);
    INFO(o.text);
    REQUIRE(o.ok);
    CHECK(peer.errors().empty());
    CHECK(o.result.final_reply.str() == "250 2.0.0 queued as 1");
    check_refused(o.result);
}

TEST_CASE("partial - PIPELINING with DATA: the RCPT replies read before the data is sent") {
    Message msg;
    ScriptedPeer peer;
    const std::string flight1 = "MAIL FROM:<a@example.org>\r\n" + rcpt(three[0]) + rcpt(three[1]) +
                                rcpt(three[2]) + "DATA\r\n";
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING"}))
        .expect(flight1)
        .send("250 Ok\r\n250 Ok\r\n550 5.1.1 no such user\r\n450 4.2.0 try later\r\n354 go\r\n")
        .expect(msg.bytes() + ".\r\nQUIT\r\n")
        .send("250 2.0.0 queued as 2\r\n221 bye\r\n");
    const Outcome o = run(peer, partial_config(), envelope(three), msg);
    INFO(o.text);
    REQUIRE(o.ok);
    CHECK(peer.errors().empty());
    check_refused(o.result);
}

TEST_CASE("partial - PIPELINING with CHUNKING: the first chunk waits without LAST") {
    Message msg;
    ScriptedPeer peer;
    const std::string flight1 = "MAIL FROM:<a@example.org>\r\n" + rcpt(three[0]) + rcpt(three[1]) +
                                rcpt(three[2]) + "BDAT " + std::to_string(msg.size()) + "\r\n" +
                                msg.bytes();
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING", "CHUNKING"}))
        .expect(flight1)
        .send("250 Ok\r\n250 Ok\r\n550 5.1.1 no such user\r\n450 4.2.0 try later\r\n250 chunk\r\n")
        .expect("BDAT 0 LAST\r\nQUIT\r\n")
        .send("250 2.0.0 queued as 3\r\n221 bye\r\n");
    const Outcome o = run(peer, partial_config(), envelope(three), msg);
    INFO(o.text);
    REQUIRE(o.ok);
    CHECK(peer.errors().empty());
    CHECK(o.result.final_reply.str() == "250 2.0.0 queued as 3");
    check_refused(o.result);
}

TEST_CASE("partial - no recipient accepted: the same failure as without partial delivery") {
    Message msg;
    const bool partial = GENERATE(true, false);
    CAPTURE(partial);
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING"}))
        .expect("MAIL FROM:<a@example.org>\r\n" + rcpt(three[1]) + rcpt(three[2]) + "DATA\r\n")
        .send("250 Ok\r\n550 5.1.1 no such user\r\n450 4.2.0 try later\r\n554 no recipients\r\n")
        .expect("RSET\r\nQUIT\r\n")
        .send("250 Ok\r\n221 bye\r\n");
    SessionConfig config = session_config();
    config.partial = partial;
    const Outcome o = run(peer, config, envelope({three[1], three[2]}), msg);
    CHECK_FALSE(o.ok);
    CHECK(o.code == Exit::tempfail);  // one of them may still work later
    CHECK(contains(o.text, "2 of 2 recipients refused, message not sent"));
}

TEST_CASE("partial - off: one refused recipient stops the message for everyone") {
    Message msg;
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING"}))
        .expect("MAIL FROM:<a@example.org>\r\n" + rcpt(three[0]) + rcpt(three[1]) + "DATA\r\n")
        .send("250 Ok\r\n250 Ok\r\n550 5.1.1 no such user\r\n354 go\r\n");
    const Outcome o = run(peer, session_config(), envelope({three[0], three[1]}), msg);
    CHECK_FALSE(o.ok);
    CHECK(o.code == Exit::nouser);
    CHECK(contains(o.text, "1 of 2 recipients refused, message not sent"));
    // After 354 nothing but closing is safe: no final dot was written.
    CHECK_FALSE(contains(peer.written(), "\r\n.\r\n"));
}

namespace {

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("partial - attempt keeps the message for the 4xx recipients only, and exits 0") {
    TempDir dir;
    Config config;
    config.accounts.push_back(account());
    config.dead_letter = (dir.path / "failed").string();
    config.log_file = (dir.path / "okuru.log").string();
    Preloaded preloaded;
    Hosts hosts;
    Message msg;
    ScriptedPeer peer;
    hosts.peers = {{"a.test:587", &peer}};
    // The null sender: no notice is sent (it would need a second connection).
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING"}))
        .expect("MAIL FROM:<>\r\n" + rcpt(three[0]) + rcpt(three[1]) + rcpt(three[2]) + "DATA\r\n")
        .send("250 Ok\r\n250 Ok\r\n550 5.1.1 no such user\r\n450 4.2.0 try later\r\n354 go\r\n")
        .expect(msg.bytes() + ".\r\nQUIT\r\n")
        .send("250 2.0.0 queued as 4\r\n221 bye\r\n");
    Planned p;
    p.account = &config.accounts.front();
    p.envelope = SavedEnvelope{"isp", "", three};
    p.headers = msg.headers;
    // A message read back by --resend-failed is kept anew for the 4xx ones too:
    // the caller deletes the file it came from, since the attempt succeeded.
    const bool resent = GENERATE(false, true);
    CAPTURE(resent);
    if (resent) p.kept_at = (dir.path / "old-copy").string();
    const MailLog maillog(config);
    const AttemptContext context{config, maillog, preloaded, hosts.connector()};
    const Attempted a = attempt(context, p, msg.body);

    CHECK(a.exit == Exit::ok);
    CHECK(a.record.status == (resent ? "resent" : "sent"));
    REQUIRE(a.record.refused.size() == 2);
    CHECK(a.record.refused[0] == "<typo@example.net> 550 5.1.1 no such user");
    CHECK(a.record.refused[1] == "<later@example.net> 450 4.2.0 try later");
    const auto kept = list_failed(config.dead_letter);
    REQUIRE(kept.size() == 1);
    CHECK(kept[0].envelope.recipients == std::vector<std::string>{"later@example.net"});
    CHECK(a.record.saved == kept[0].path);
    const std::string log = read_file(config.log_file);
    CHECK(contains(log,
                   "refused=\"<typo@example.net> 550 5.1.1 no such user; "
                   "<later@example.net> 450 4.2.0 try later\""));
    CHECK(contains(log, resent ? "status=resent" : "status=sent"));
}

TEST_CASE("partial - the 5xx recipient's notice: sent unless -N says none, kept if it fails") {
    TempDir dir;
    Config config;
    config.accounts.push_back(account());
    // unroutable: no account serves the notice (no default account); it is
    // kept unsent, as a new message that cannot be routed is.
    const bool unroutable = GENERATE(false, true);
    CAPTURE(unroutable);
    if (!unroutable) config.default_account = "isp";
    config.dead_letter = (dir.path / "failed").string();
    Preloaded preloaded;
    Hosts hosts;
    Message msg;
    ScriptedPeer peer;
    hosts.peers = {{"a.test:587", &peer}};
    // The notice's own connections (a second one to a.test finds the script
    // over) fail: it must then be kept like any message, never notified about.
    hosts.refuse = {{"b.test:587", Exit::tempfail}, {"c.test:2525", Exit::tempfail}};
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING"}))
        .expect("MAIL FROM:<a@example.org>\r\n" + rcpt(three[0]) + rcpt(three[1]) + "DATA\r\n")
        .send("250 Ok\r\n250 Ok\r\n550 5.1.1 no such user\r\n354 go\r\n")
        .expect(msg.bytes() + ".\r\nQUIT\r\n")
        .send("250 2.0.0 queued as 5\r\n221 bye\r\n");
    const bool never = GENERATE(false, true);
    CAPTURE(never);
    DsnOptions dsn;
    if (never) dsn.notify = "never";
    Planned p;
    p.account = &config.accounts.front();
    p.envelope = SavedEnvelope{"isp", "a@example.org", {three[0], three[1]}};
    p.envelope.dsn = dsn;
    p.headers = msg.headers;
    const MailLog maillog(config);
    const AttemptContext context{config, maillog, preloaded, hosts.connector()};
    const Attempted a = attempt(context, p, msg.body);

    CHECK(a.exit == Exit::ok);
    CHECK(a.record.saved.empty());  // no 4xx recipient: nothing of the original kept
    const auto kept = list_failed(config.dead_letter);
    if (never) {
        CHECK(hosts.tried.size() == 1);
        CHECK(kept.empty());
    } else {
        CHECK((hosts.tried.size() > 1) == !unroutable);  // the notice was attempted
        REQUIRE(kept.size() == 1);                       // kept when it failed
        CHECK(kept[0].envelope.sender == "a@example.org");
        CHECK(kept[0].envelope.recipients == std::vector<std::string>{"a@example.org"});
    }
}
