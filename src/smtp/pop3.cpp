// POP-before-SMTP (RFC 1939 USER/PASS, RFC 2595 STLS): straight-line and
// blocking like the SMTP session, over the same Transport.
#include "smtp/pop3.hpp"

#include <cstring>

#include "base/errors.hpp"
#include "base/log.hpp"
#include "net/net.hpp"

namespace okuru {
namespace {

// RFC 1939 3: responses are at most 512 octets; allow slack, never unbounded.
constexpr std::size_t max_line = 1024;

class Pop3Client {
  public:
    Pop3Client(Transport& t, std::chrono::milliseconds timeout) : t_(t), timeout_(timeout) {}

    // Writes one command; `shown` is what the log gets (the PASS line is redacted).
    void send(const std::string& line, std::string_view shown) {
        log::dialogue('>', shown);
        t_.write(line + "\r\n");
    }

    std::string read_line() {
        const auto deadline = Clock::now() + timeout_;
        for (;;) {
            const auto eol = buffer_.find("\r\n");
            if (eol != std::string::npos) {
                std::string line = buffer_.substr(0, eol);
                buffer_.erase(0, eol + 2);
                log::dialogue('<', line);
                return line;
            }
            if (buffer_.size() > max_line) {
                throw Error(Exit::protocol, "POP3 server " + t_.peer_name() + " sent a line over " +
                                                std::to_string(max_line) + " bytes");
            }
            char buf[512];
            const std::size_t n = t_.read(buf, deadline);
            if (n == 0) {
                throw Error(Exit::tempfail,
                            "POP3 server " + t_.peer_name() + " closed the connection",
                            Cause::connection_lost);
            }
            buffer_.append(buf, n);
        }
    }

    // Reads a response: true for "+OK", false for "-ERR"; anything else is garbage.
    bool ok(std::string& line) {
        line = read_line();
        if (line.starts_with("+OK")) return true;
        if (line.starts_with("-ERR")) return false;
        throw Error(Exit::protocol,
                    "POP3 server " + t_.peer_name() + " sent garbage: " + log::escape(line));
    }

    bool has_buffered() const { return !buffer_.empty(); }

  private:
    Transport& t_;
    std::chrono::milliseconds timeout_;
    std::string buffer_;
};

void check_field(const std::string& value, const char* what, const std::string& host) {
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
        // Never echo the value: it may be the password.
        throw Error(Exit::config, std::string("POP-before-SMTP to ") + log::escape(host) +
                                      ": the " + what + " contains a line break or NUL");
    }
}

}  // namespace

void pop_before_smtp(const Pop3Settings& pop, const std::string& user, const Secret& password,
                     const TlsParams& tls, std::chrono::milliseconds timeout) {
    const std::string host = log::escape(pop.host);
    if (pop.tls == TlsMode::none) {
        throw Error(Exit::config,
                    "POP-before-SMTP to " + host +
                        ": refusing to send credentials without TLS (tls = \"none\")");
    }
    if (user.empty()) throw Error(Exit::config, "POP-before-SMTP to " + host + ": no user");
    check_field(user, "user name", pop.host);
    check_field(password.reveal(), "password", pop.host);

    ConnectParams params;
    params.host = pop.host;
    params.implicit_tls = pop.tls == TlsMode::implicit;
    params.port = pop.port ? pop.port : params.implicit_tls ? 995 : 110;
    params.timeout = timeout;
    params.prepare_tls = true;
    params.tls = tls;
    params.tls.verify_host = pop.host;
    auto t = open_connection(params);
    Pop3Client pop3(*t, timeout);

    std::string line;
    if (!pop3.ok(line)) {
        throw Error(Exit::tempfail,
                    "POP3 server " + t->peer_name() + " refused the session: " + log::escape(line));
    }
    if (!t->secure()) {
        pop3.send("STLS", "STLS");
        // RFC 2595 4: the client must not send credentials before TLS is up.
        if (!pop3.ok(line)) {
            throw Error(Exit::unavailable, "POP3 server " + t->peer_name() + " refused STLS (" +
                                               log::escape(line) +
                                               "): not sending credentials without TLS");
        }
        if (pop3.has_buffered()) {
            throw Error(Exit::protocol,
                        "POP3 server " + t->peer_name() +
                            " sent data after its STLS reply (response injection?)");
        }
        t->start_tls(Clock::now() + timeout);
    }

    pop3.send("USER " + user, "USER " + user);
    if (pop3.ok(line)) {
        std::string pass = "PASS " + password.reveal();
        pop3.send(pass, "PASS <redacted>");
        explicit_bzero(pass.data(), pass.size());
        if (pop3.ok(line)) {
            // The ISP records the login; how QUIT goes no longer matters.
            try {
                pop3.send("QUIT", "QUIT");
                pop3.ok(line);
            } catch (const Error& e) {
                log::debug(std::string("POP3 QUIT: ") + e.what());
            }
            log::info("POP-before-SMTP login to " + t->peer_name() + " done");
            return;
        }
    }
    throw Error(Exit::noperm, "POP3 login failed: " + log::escape(line), Cause::login_refused);
}

}  // namespace okuru
