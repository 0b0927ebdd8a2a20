// Shared helpers for the SMTP session tests: a message, configurations, EHLO
// replies, and running submit() against a ScriptedPeer while keeping the outcome.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "base/errors.hpp"
#include "base/log.hpp"
#include "message/spool.hpp"
#include "scripted_peer.hpp"
#include "smtp/smtp_session.hpp"

namespace okuru::test {

inline const std::string password = "s3cret-Pa55";
// base64("\0me@example.org\0s3cret-Pa55"), the AUTH PLAIN initial response, and
// base64 of the bare password (AUTH LOGIN).
inline const std::string plain_ir = "AG1lQGV4YW1wbGUub3JnAHMzY3JldC1QYTU1";
inline const std::string password_b64 = "czNjcmV0LVBhNTU=";

inline bool leaks_secret(std::string_view bytes) {
    return bytes.find(password) != std::string_view::npos ||
           bytes.find(plain_ir) != std::string_view::npos ||
           bytes.find(password_b64) != std::string_view::npos ||
           bytes.find("czNjcmV0LVBhNTU") != std::string_view::npos;
}

struct Message {
    std::string headers = "From: a@example.org\r\nTo: b@example.net\r\nSubject: hi\r\n\r\n";
    Spool body;
    bool eight_bit = false;
    bool smtputf8 = false;

    explicit Message(std::string_view text = "Hello.\r\n") { body.append(text); }
    Content content() const { return Content{headers, body, eight_bit, smtputf8}; }
    std::uint64_t size() const { return headers.size() + body.size(); }
    std::string bytes() const {
        std::string all = headers;
        std::string buf(body.size(), '\0');
        std::size_t got = 0;
        while (got < buf.size()) {
            got += body.read_at(got, std::span<char>(buf.data() + got, buf.size() - got));
        }
        return all + buf;
    }
};

inline SessionConfig session_config(TlsMode tls = TlsMode::none) {
    SessionConfig c;
    c.server = "mx.test";
    c.tls = tls;
    c.ehlo_name = "client.test";
    c.command_timeout = std::chrono::milliseconds(2000);
    return c;
}

inline AuthConfig auth_config(std::vector<std::string> mechanisms = {"PLAIN"}) {
    AuthConfig a;
    a.user = "me@example.org";
    a.mechanisms = std::move(mechanisms);
    a.password = [] { return Secret(password); };
    a.hostname = "mx.test";
    a.port = 587;
    return a;
}

inline Envelope envelope(std::vector<std::string> rcpts = {"b@example.net"}) {
    return Envelope{"a@example.org", std::move(rcpts)};
}

inline const std::string greeting = "220 mx.test ESMTP ready\r\n";

// "250-mx.test\r\n250-CAP\r\n...250 LAST\r\n"
inline std::string ehlo(std::initializer_list<std::string_view> caps) {
    std::string out = "250";
    out += caps.size() ? "-" : " ";
    out += "mx.test greets client.test\r\n";
    std::size_t i = 0;
    for (auto c : caps) {
        out += ++i == caps.size() ? "250 " : "250-";
        out.append(c).append("\r\n");
    }
    return out;
}

struct Outcome {
    bool ok = false;
    Exit code = Exit::ok;
    std::string text;           // describe() of the error
    Cause cause = Cause::none;  // cause_of() the error
    SubmitResult result;
};

inline Outcome run(ScriptedPeer& peer, const SessionConfig& config, const Envelope& env,
                   const Message& msg) {
    Outcome o;
    try {
        o.result = submit(peer, config, env, msg.content());
        o.ok = true;
    } catch (const std::exception& e) {
        o.code = exit_code(e);
        o.text = describe(e);
        o.cause = cause_of(e);
    }
    return o;
}

// Everything log.cpp writes (the -X file receives every line whatever the
// verbosity), from construction on.
class LogCapture {
  public:
    LogCapture() : start_(size()) {}
    std::string text() const {
        std::ifstream in(path(), std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str().substr(start_);
    }

  private:
    static const std::string& path() {
        static const std::string p = [] {
            std::string name = "/tmp/okuru-smtp-tests-" + std::to_string(::getpid()) + ".log";
            std::remove(name.c_str());
            log::open_file(name);
            std::atexit([] { std::remove(path().c_str()); });
            return name;
        }();
        return p;
    }
    static std::size_t size() {
        std::ifstream in(path(), std::ios::binary | std::ios::ate);
        return in ? std::size_t(in.tellg()) : 0;
    }
    std::size_t start_;
};

inline bool contains(std::string_view hay, std::string_view needle) {
    return hay.find(needle) != std::string_view::npos;
}

}  // namespace okuru::test
