// pop3: POP-before-SMTP against a scripted POP3 server thread on 127.0.0.1,
// over implicit TLS or STLS with the test CA. Credentials must never cross
// a connection that is not encrypted and verified.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/errors.hpp"
#include "base/log.hpp"
#include "net_fixture.hpp"
#include "smtp/pop3.hpp"
#include "tls_fixture.hpp"

using namespace okuru;
using namespace std::chrono_literals;

namespace {

const char* const password = "s3cret-Pa55";

// One scripted exchange: each step reads a client line (recorded) and answers.
struct Script {
    bool implicit = true;
    const test::CertPair* cert = nullptr;  // default: the good server certificate
    std::string greeting = "+OK POP3 ready";
    std::string stls_reply = "+OK begin TLS";  // for STLS sessions
    std::vector<std::string> replies;          // one per client line after TLS
};

struct Run {
    std::optional<Error> error;
    std::vector<std::string> plain_lines;  // client lines before TLS
    std::vector<std::string> tls_lines;    // client lines after TLS
};

TlsParams test_trust() {
    TlsParams tls;
    tls.ca_file = test::test_pki().ca.cert;
    tls.system_trust = false;
    tls.verify_host = "smtp.example.test";  // ignored: POP3 checks pop.host
    return tls;
}

Run run_pop(const Script& script, TlsMode mode) {
    Run run;
    const auto& cert = script.cert ? *script.cert : test::test_pki().server;
    test::OneShotServer server([&](okuru::Fd& fd) {
        test::ServerConn conn(fd);
        if (script.implicit && conn.handshake(cert) != 0) return;
        conn.send(script.greeting + "\r\n");
        if (!script.implicit) {
            auto line = conn.read_line();
            if (!line) return;
            run.plain_lines.push_back(*line);
            conn.send(script.stls_reply + "\r\n");
            // After a refusal, keep listening: whatever comes now would be a leak.
            if (!script.stls_reply.starts_with("+OK")) {
                while (auto more = conn.read_line()) run.plain_lines.push_back(*more);
                return;
            }
            if (conn.handshake(cert) != 0) return;
        }
        for (const auto& reply : script.replies) {
            auto line = conn.read_line();
            if (!line) return;
            run.tls_lines.push_back(*line);
            conn.send(reply + "\r\n");
        }
    });
    Pop3Settings pop;
    pop.host = "127.0.0.1";
    pop.port = server.port();
    pop.tls = mode;
    try {
        pop_before_smtp(pop, "me@isp.example", Secret(password), test_trust(), 5s);
    } catch (const Error& e) {
        run.error = e;
    }
    server.join();
    CHECK(server.failure().empty());
    return run;
}

const std::vector<std::string> login_lines = {"USER me@isp.example",
                                              std::string("PASS ") + password, "QUIT"};

}  // namespace

TEST_CASE("pop3 - logs in and out over implicit TLS and over STLS") {
    const bool implicit = GENERATE(true, false);
    Script s;
    s.implicit = implicit;
    s.replies = {"+OK send PASS", "+OK 2 messages", "+OK bye"};
    Run run = run_pop(s, implicit ? TlsMode::implicit : TlsMode::starttls);
    CHECK_FALSE(run.error);
    CHECK(run.plain_lines ==
          (implicit ? std::vector<std::string>{} : std::vector<std::string>{"STLS"}));
    CHECK(run.tls_lines == login_lines);
}

TEST_CASE("pop3 - rejected credentials are noperm with the server's words") {
    const auto [replies, message] = GENERATE(table<std::vector<std::string>, std::string>({
        {{"+OK", "-ERR [AUTH] invalid password"},
         "POP3 login failed: -ERR [AUTH] invalid password"},
        {{"-ERR no such user\x1b[2J"}, "POP3 login failed: -ERR no such user\\x1b[2J"},
    }));
    Script s;
    s.replies = replies;
    Run run = run_pop(s, TlsMode::implicit);
    REQUIRE(run.error);
    CHECK(run.error->code() == Exit::noperm);
    CHECK(run.error->cause() == Cause::login_refused);
    CHECK(std::string(run.error->what()) == message);
    CHECK_THAT(run.error->what(), !Catch::Contains(password));
}

TEST_CASE("pop3 - no credentials without TLS") {
    SECTION("STLS refused") {
        Script s;
        s.implicit = false;
        s.stls_reply = "-ERR STLS not available";
        Run run = run_pop(s, TlsMode::starttls);
        REQUIRE(run.error);
        CHECK(run.error->code() == Exit::unavailable);
        CHECK_THAT(run.error->what(),
                   Catch::Contains("refused STLS (-ERR STLS not available): not sending "
                                   "credentials without TLS"));
        CHECK(run.plain_lines == std::vector<std::string>{"STLS"});
    }
    SECTION("bad certificate after STLS") {
        Script s;
        s.implicit = false;
        s.cert = &test::test_pki().wrong_host;
        s.replies = {"+OK", "+OK", "+OK"};
        Run run = run_pop(s, TlsMode::starttls);
        REQUIRE(run.error);
        CHECK(run.error->code() == Exit::unavailable);
        CHECK_THAT(run.error->what(), Catch::Contains("does not match the host name 127.0.0.1"));
        CHECK(run.tls_lines.empty());
    }
    SECTION("tls = none is refused before connecting") {
        Pop3Settings pop;
        pop.host = "127.0.0.1";
        pop.port = 9;
        pop.tls = TlsMode::none;
        try {
            pop_before_smtp(pop, "me", Secret(password), test_trust(), 1s);
            FAIL("POP3 login without TLS was attempted");
        } catch (const Error& e) {
            CHECK(e.code() == Exit::config);
            CHECK_THAT(e.what(), Catch::Contains("refusing to send credentials without TLS"));
        }
    }
}

TEST_CASE("pop3 - garbage from the server is a protocol error") {
    Script s;
    s.greeting = "HELLO I am not POP3";
    Run run = run_pop(s, TlsMode::implicit);
    REQUIRE(run.error);
    CHECK(run.error->code() == Exit::protocol);
    CHECK_THAT(run.error->what(), Catch::EndsWith("sent garbage: HELLO I am not POP3"));
    CHECK(run.tls_lines.empty());
}

TEST_CASE("pop3 - the dialogue log redacts the password") {
    // Capture stderr, where -v sends the dialogue.
    char path[] = "/tmp/okuru-net-log-XXXXXX";
    const int file = ::mkstemp(path);
    REQUIRE(file >= 0);
    const int saved = ::dup(2);
    const int saved_level = log::verbosity();
    ::dup2(file, 2);
    log::set_verbosity(1);
    Script s;
    s.replies = {"+OK", "+OK", "+OK"};
    Run run = run_pop(s, TlsMode::implicit);
    log::set_verbosity(saved_level);
    ::dup2(saved, 2);
    ::close(saved);
    ::close(file);
    std::stringstream text;
    text << std::ifstream(path).rdbuf();
    ::unlink(path);
    CHECK_FALSE(run.error);
    CHECK_THAT(text.str(),
               Catch::Contains("PASS <redacted>") && Catch::Contains("USER me@isp.example"));
    CHECK_THAT(text.str(), !Catch::Contains(password));
    CHECK(run.tls_lines == login_lines);
}
