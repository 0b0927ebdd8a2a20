// The diagnostics' building blocks: probe() (a session without a transaction),
// the hints for failed --check steps, and the account made from
// --host/--port/--tls. The end-to-end output of --check and
// --serverinfo is tested against Postfix (tests/integration/test_postfix.py).
#include <catch2/catch.hpp>

#include "app/diagnose.hpp"
#include "smtp_fixture.hpp"

using namespace okuru;
using namespace okuru::test;

namespace {

struct Probed {
    ProbeReport report;
    std::vector<std::string> steps;
    bool ok = false;
    Exit code = Exit::ok;
    std::string text;
};

Probed run_probe(ScriptedPeer& peer, const SessionConfig& config) {
    Probed p;
    try {
        probe(peer, config, p.report, [&p](Step s) { p.steps.emplace_back(step_name(s)); });
        p.ok = true;
    } catch (const std::exception& e) {
        p.code = exit_code(e);
        p.text = describe(e);
    }
    return p;
}

}  // namespace

TEST_CASE("probe - STARTTLS, AUTH and QUIT, no transaction; both capability sets kept") {
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING", "STARTTLS", "SIZE 1000"}))
        .expect("STARTTLS\r\n")
        .send("220 2.0.0 go ahead\r\n")
        .tls()
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING", "AUTH PLAIN LOGIN", "SIZE 2000", "CHUNKING"}))
        .expect("AUTH PLAIN " + plain_ir + "\r\n")
        .send("235 2.7.0 Authentication successful\r\n")
        .expect("QUIT\r\n")
        .send("221 2.0.0 Bye\r\n");
    SessionConfig config = session_config(TlsMode::starttls);
    config.auth = auth_config();
    const Probed p = run_probe(peer, config);
    REQUIRE(p.ok);
    CHECK(peer.errors().empty());
    CHECK(p.steps == std::vector<std::string>{"greeting", "EHLO", "STARTTLS", "TLS handshake",
                                              "EHLO", "AUTH", "QUIT"});
    CHECK(p.report.greeting.str() == "220 mx.test ESMTP ready");
    REQUIRE(p.report.ehlo_before_tls);
    const Capabilities before = Capabilities::parse(*p.report.ehlo_before_tls);
    CHECK(before.starttls);
    CHECK(before.auth.empty());
    CHECK(before.size == 1000u);
    CHECK(p.report.caps.auth == std::vector<std::string>{"PLAIN", "LOGIN"});
    CHECK(p.report.caps.size == 2000u);
    CHECK(p.report.caps.chunking);
    CHECK(p.report.mechanism == "PLAIN");
    CHECK_FALSE(contains(peer.written(), "MAIL"));
}

TEST_CASE("probe - without auth: no AUTH command even when offered") {
    ScriptedPeer peer(true);  // implicit TLS: the transport is already secure
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"AUTH PLAIN", "PIPELINING"}))
        .expect("QUIT\r\n")
        .send("221 2.0.0 Bye\r\n");
    const Probed p = run_probe(peer, session_config(TlsMode::implicit));
    REQUIRE(p.ok);
    CHECK(p.steps == std::vector<std::string>{"greeting", "EHLO", "QUIT"});
    CHECK_FALSE(p.report.ehlo_before_tls);
    CHECK(p.report.mechanism.empty());
    CHECK_FALSE(contains(peer.written(), "AUTH"));
}

TEST_CASE("probe - a failure keeps what was learnt and names its step") {
    ScriptedPeer peer;
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING", "AUTH PLAIN"}));  // no STARTTLS
    SessionConfig config = session_config(TlsMode::starttls);
    config.auth = auth_config();
    const Probed p = run_probe(peer, config);
    CHECK_FALSE(p.ok);
    CHECK(p.code == Exit::unavailable);
    CHECK(p.steps.back() == "STARTTLS");
    CHECK(p.report.greeting.code == 220);
    REQUIRE(p.report.ehlo_before_tls);
    CHECK(Capabilities::parse(*p.report.ehlo_before_tls).auth == std::vector<std::string>{"PLAIN"});
    CHECK_FALSE(leaks_secret(peer.written()));
}

TEST_CASE("probe - the answer to QUIT is recorded, not judged (as in a submission)") {
    ScriptedPeer peer(true);
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING"}))
        .expect("QUIT\r\n")
        .send("500 5.5.1 what?\r\n");
    const Probed p = run_probe(peer, session_config(TlsMode::implicit));
    CHECK(p.ok);
    REQUIRE(p.report.quit);
    CHECK(p.report.quit->code == 500);

    ScriptedPeer gone(true);
    gone.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({"PIPELINING"}))
        .expect("QUIT\r\n")
        .disconnect();
    const Probed q = run_probe(gone, session_config(TlsMode::implicit));
    CHECK(q.ok);
    CHECK_FALSE(q.report.quit);
}

TEST_CASE("probe - the greeting wait can be shorter than the command timeout") {
    ScriptedPeer peer;
    peer.stall();
    SessionConfig config = session_config(TlsMode::starttls);
    config.command_timeout = std::chrono::milliseconds(1900);
    config.greeting_timeout = std::chrono::milliseconds(200);
    const auto t0 = Clock::now();
    const Probed p = run_probe(peer, config);
    CHECK(p.code == Exit::tempfail);
    CHECK(p.text.find("greeting") != std::string::npos);
    CHECK(p.text.find("okuru --check") == std::string::npos);  // --check finds out itself
    CHECK(Clock::now() - t0 < std::chrono::milliseconds(1500));
}

TEST_CASE("smtp_session - a silent greeting on a STARTTLS account points at --check") {
    Message msg;
    ScriptedPeer peer;
    peer.stall();
    SessionConfig config = session_config(TlsMode::starttls);
    config.command_timeout = std::chrono::milliseconds(200);
    const Outcome o = run(peer, config, envelope(), msg);
    CHECK(o.code == Exit::tempfail);
    CHECK(o.text.find("may expect implicit TLS on this port; okuru --check tells") !=
          std::string::npos);

    ScriptedPeer tls_peer(true);  // implicit TLS already: nothing to suggest
    tls_peer.stall();
    SessionConfig implicit = session_config(TlsMode::implicit);
    implicit.command_timeout = std::chrono::milliseconds(200);
    const Outcome i = run(tls_peer, implicit, envelope(), msg);
    CHECK(i.code == Exit::tempfail);
    CHECK(i.text.find("okuru --check") == std::string::npos);
}

TEST_CASE("diagnose - an account from --host, --port and --tls") {
    const Account a = adhoc_account("mail.example", std::nullopt, std::nullopt);
    CHECK(a.port == 587);
    CHECK(a.tls == TlsMode::starttls);
    const Account b = adhoc_account("mail.example", 465, std::nullopt);
    CHECK(b.tls == TlsMode::implicit);
    const Account c = adhoc_account("mail.example", std::nullopt, TlsMode::implicit);
    CHECK(c.port == 465);
    const Account d = adhoc_account("mail.example", 2525, TlsMode::none);
    CHECK(d.port == 2525);
    CHECK(d.tls == TlsMode::none);
    CHECK(d.user.empty());
    CHECK(d.system_trust);
}

TEST_CASE("diagnose - hints for failed steps") {
    HintInput in;
    in.host = "smtp.example.net";
    in.port = 587;

    SECTION("connection refused") {
        in.step = Step::connect;
        in.cause = Cause::refused;
        CHECK(hint_for(in).value() ==
              "nothing listens on smtp.example.net port 587: check host and port (submission "
              "is 587 with STARTTLS or 465 with implicit TLS)");
    }
    SECTION("timeout on port 25 mentions OP25B") {
        in.step = Step::connect;
        in.port = 25;
        in.cause = Cause::timed_out;
        const std::string h = hint_for(in).value();
        CHECK(h.find("OP25B") != std::string::npos);
        CHECK(h.find("587") != std::string::npos);
    }
    SECTION("timeout on 587 does not blame OP25B") {
        in.step = Step::connect;
        in.cause = Cause::timed_out;
        CHECK(hint_for(in).value().find("OP25B") == std::string::npos);
    }
    SECTION("no route to the host") {
        in.step = Step::connect;
        in.cause = Cause::unreachable;
        CHECK(hint_for(in).value() ==
              "this machine has no route to smtp.example.net: check the network connection");
    }
    SECTION("unknown host") {
        in.step = Step::connect;
        in.cause = Cause::unresolvable;
        CHECK(hint_for(in).value() ==
              "the name smtp.example.net does not resolve: check host = in the account");
    }
    SECTION("a name that does not exist while other names resolve") {
        in.step = Step::connect;
        in.cause = Cause::unresolvable;
        in.others_resolve = true;
        CHECK(hint_for(in).value() ==
              "the name smtp.example.net does not exist (other names resolve): check host = in "
              "the account");
    }
    SECTION("nothing resolves: offline, whatever the resolver answered for this name") {
        in.step = Step::connect;
        in.others_resolve = false;
        for (Cause c : {Cause::unresolvable, Cause::resolver_failed}) {
            in.cause = c;
            const std::string h = hint_for(in).value();
            CHECK(h.starts_with("this machine cannot resolve any name right now"));
            CHECK(h.find("kept and retried (exit 75)") != std::string::npos);
            CHECK(h.find("check host") == std::string::npos);  // not a typo
        }
    }
    SECTION("one domain's DNS servers fail while others resolve") {
        in.step = Step::connect;
        in.cause = Cause::resolver_failed;
        in.others_resolve = true;
        const std::string h = hint_for(in).value();
        CHECK(
            h.starts_with("the DNS servers for smtp.example.net give no answer while other "
                          "names resolve"));
        CHECK(h.find("if it lasts, check host = in the account") != std::string::npos);
    }
    SECTION("untrusted certificate offers the pin") {
        in.step = Step::tls_handshake;
        in.cause = Cause::certificate_untrusted;
        in.presented_fingerprint = "ab:cd";
        const std::string h = hint_for(in).value();
        CHECK(h.find("ca_file") != std::string::npos);
        CHECK(h.find("fingerprint = \"ab:cd\"") != std::string::npos);
        in.presented_fingerprint.clear();  // nothing to pin: only the CA advice
        CHECK(hint_for(in).value().find("fingerprint") == std::string::npos);
    }
    SECTION("no pin advice for a revoked or forged certificate") {
        // verify_status_cause() turns "issuer unknown and revoked" into forged
        // (tests/test_tls.cpp), so an unknown issuer cannot smuggle in the pin.
        in.step = Step::tls_handshake;
        in.presented_fingerprint = "ab:cd";
        in.cause = Cause::certificate_forged;
        CHECK_FALSE(hint_for(in));
        in.cause = Cause::certificate_rejected;
        CHECK_FALSE(hint_for(in));
    }
    SECTION("a certificate cause outside the handshake is not about the server's certificate") {
        in.step = Step::auth;
        in.cause = Cause::external_without_certificate;
        CHECK(hint_for(in).value() ==
              "EXTERNAL logs in with a TLS client certificate: set client_cert and client_key");
        in.cause = Cause::certificate_untrusted;
        CHECK_FALSE(hint_for(in));
    }
    SECTION("unknown host named with --host") {
        in.step = Step::connect;
        in.cause = Cause::unresolvable;
        in.named_on_command_line = true;
        CHECK(hint_for(in).value() ==
              "the name smtp.example.net does not resolve: check the host name");
    }
    SECTION("certificate for another name") {
        in.step = Step::tls_handshake;
        in.cause = Cause::certificate_wrong_name;
        CHECK(hint_for(in).value().starts_with("the certificate does not name smtp.example.net"));
    }
    SECTION("expired certificate") {
        in.step = Step::tls_handshake;
        in.cause = Cause::certificate_expired;
        CHECK(hint_for(in).value().find("expired") != std::string::npos);
    }
    SECTION("the POP3 server's certificate gets the same advice") {
        in.step = Step::pop_before_smtp;
        in.cause = Cause::certificate_not_yet_valid;
        CHECK(hint_for(in).value() ==
              "the certificate is not valid yet: check this machine's clock");
        in.cause = Cause::login_refused;  // POP3 login: the error says it all
        CHECK_FALSE(hint_for(in));
    }
    SECTION("an old TLS version at the handshake") {
        in.step = Step::tls_handshake;
        in.cause = Cause::tls_version_too_old;
        CHECK(hint_for(in).value().starts_with("the server only speaks TLS older than 1.2"));
    }
    SECTION("no STARTTLS on the port") {
        in.step = Step::starttls;
        in.port = 465;
        in.cause = Cause::no_starttls;
        CHECK(hint_for(in).value().find("tls = \"implicit\"") != std::string::npos);
        in.cause = Cause::none;  // e.g. "STARTTLS refused: 454 ...": the error says it all
        CHECK_FALSE(hint_for(in));
    }
    SECTION("login refused: the provider decides the advice") {
        in.step = Step::auth;
        in.cause = Cause::login_refused;
        CHECK(hint_for(in).value().find("check user and the password source") != std::string::npos);
        in.host = "smtp.gmail.com";
        CHECK(hint_for(in).value().find("app password") != std::string::npos);
        in.host = "smtp.office365.com";
        CHECK(hint_for(in).value().find("OAuth2") != std::string::npos);
        in.host = "notgmail.com";
        CHECK(hint_for(in).value().find("Gmail") == std::string::npos);
    }
    SECTION("credentials never over plaintext") {
        in.step = Step::auth;
        in.cause = Cause::plaintext_auth_refused;
        CHECK(hint_for(in).value().find("tls = \"starttls\"") != std::string::npos);
    }
    SECTION("each AUTH cause has its own advice") {
        in.step = Step::auth;
        const auto [cause, start] = GENERATE(table<Cause, std::string>({
            {Cause::no_auth_offered, "the server offers no login here"},
            {Cause::no_credentials, "give the account password_file"},
            {Cause::oauth_token_failed, "the token command failed"},
            {Cause::mechanism_not_offered, "pin a mechanism the server offers"},
            {Cause::no_usable_mechanism, "pin a mechanism the server offers"},
        }));
        in.cause = cause;
        CHECK(hint_for(in).value().starts_with(start));
    }
    SECTION("an error that says it all gets no hint") {
        in.step = Step::greeting;
        in.cause = Cause::none;  // "refused the session: 554 5.3.2 go away"
        CHECK_FALSE(hint_for(in));
        in.step = Step::auth;  // e.g. "AUTH PLAIN: authentication failed: 454 4.7.0 ..."
        CHECK_FALSE(hint_for(in));
    }
}
