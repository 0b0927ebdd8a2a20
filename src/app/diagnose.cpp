// --serverinfo and --check. Both reuse deliver()'s pieces (connection
// parameters, session settings, password loading) and the session's probe(), so
// what they report is what a submission would meet, with TLS never optional.
#include "app/diagnose.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "app/deliver.hpp"
#include "base/log.hpp"
#include "net/net.hpp"
#include "net/tcp_connect.hpp"
#include "sasl/sasl.hpp"
#include "smtp/smtp_reply.hpp"
#include "smtp/smtp_session.hpp"

namespace okuru {
namespace {

std::string human_size(std::uint64_t bytes) {
    if (bytes == 0) return "no fixed limit";
    char buf[32];
    if (bytes >= (1u << 20)) {
        std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / double(1u << 20));
    } else {
        std::snprintf(buf, sizeof buf, "%.1f KiB", double(bytes) / 1024.0);
    }
    return buf;
}

// The EHLO keywords (every line after the first, which names the server).
void print_capabilities(std::string_view label, const Reply& ehlo) {
    if (ehlo.lines.size() <= 1) {
        print_step(label, "(none: the server offers no ESMTP extensions)");
        return;
    }
    for (std::size_t i = 1; i < ehlo.lines.size(); ++i) {
        std::string line = log::escape(ehlo.lines[i]);
        const Capabilities one = Capabilities::parse(Reply{250, "", {"x", ehlo.lines[i]}});
        if (one.size) line += " (" + human_size(*one.size) + ")";
        print_step(i == 1 ? label : "", line);
    }
}

void print_certificate(const TlsDetails& d, std::string_view verdict) {
    if (!d.version.empty()) print_step("TLS", d.version + ", " + d.cipher);
    if (d.sha256.empty()) return;
    print_step("certificate", "subject " + log::escape(d.subject));
    print_step("", "issuer  " + log::escape(d.issuer));
    print_step("", "valid   " + d.not_before + " to " + d.not_after);
    print_step("", "SHA-256 " + d.sha256);
    print_step("", verdict);
}

// How the certificate of `host` (the account's host or a fallback) was checked.
std::string verified_text(const Account& a, const std::string& host) {
    if (!a.fingerprint.empty()) return "matches the pinned fingerprint";
    return std::string("verified for ") + host +
           (a.ca_file.empty() ? " (system trust store)"
            : a.system_trust  ? " (system trust store and " + a.ca_file + ")"
                              : " (" + a.ca_file + ")");
}

// The extensions okuru uses, and whether the server lacks any.
void print_missing(const Capabilities& caps) {
    std::string missing;
    auto need = [&missing](bool offered, const char* name) {
        if (!offered) missing += (missing.empty() ? "" : ", ") + std::string(name);
    };
    need(caps.pipelining, "PIPELINING");
    need(caps.chunking, "CHUNKING");
    need(caps.eightbitmime, "8BITMIME");
    need(caps.smtputf8, "SMTPUTF8");
    need(caps.dsn, "DSN");
    need(caps.enhanced_status, "ENHANCEDSTATUSCODES");
    need(caps.size.has_value(), "SIZE");
    need(!caps.auth.empty(), "AUTH");
    if (!missing.empty()) print_step("not offered", missing);
}

// Which mechanism a login would use: the account's own settings, or (for
// --host) a password login with automatic choice.
void print_mechanism(const Account& a, bool from_config, const Capabilities& caps,
                     const Transport& transport) {
    if (caps.auth.empty()) return;
    AuthConfig auth;
    if (from_config) {
        if (a.user.empty() && a.oauth_token_command.empty()) {
            print_step("login", "the account has no user: okuru would not log in");
            return;
        }
        auth = session_config_for(a, {a.host, a.port}, {}).auth.value();
    } else {
        auth.password = [] { return Secret(); };  // never called: only the choice is made
        auth.hostname = a.host;
    }
    try {
        const std::string mech = preview_mechanism(auth, caps.auth, transport);
        print_step("login",
                   "okuru would use " + mech +
                       (from_config ? "" : " for a password login (auth = [...] pins one)"));
    } catch (const std::exception& e) {
        print_step("login", "okuru could not log in: " + describe(e));
    }
}

void print_report(const ProbeReport& r, const Account& a, bool from_config,
                  const Transport& transport) {
    if (r.greeting.code) print_step(step_name(Step::greeting), r.greeting.str());
    if (r.ehlo_before_tls) print_capabilities("before TLS", *r.ehlo_before_tls);
    if (auto d = transport.tls_details()) print_certificate(*d, verified_text(a, a.host));
    if (!r.ehlo.code) return;
    print_capabilities(a.tls == TlsMode::starttls ? "after TLS" : "capabilities", r.ehlo);
    print_missing(r.caps);
    print_mechanism(a, from_config, r.caps, transport);
}

// The session a submission to `hp` would have, with the diagnostics' shorter
// greeting wait; without AUTH unless `login`.
SessionConfig diagnostic_session(const Account& a, const HostPort& hp, const DeliveryOptions& dopt,
                                 bool login) {
    SessionConfig sc = session_config_for(a, hp, dopt);
    sc.greeting_timeout = std::min(diagnostic_greeting_timeout, a.command_timeout);
    if (!login) sc.auth.reset();
    return sc;
}

// Connects without the implicit handshake, so that the TLS step is reported on
// its own and a rejected certificate can still be shown.
std::unique_ptr<Transport> connect_plain(const Account& a, const HostPort& hp) {
    ConnectParams cp = connect_params_for(a, hp);
    cp.implicit_tls = false;
    cp.prepare_tls = a.tls != TlsMode::none;
    return open_connection(cp);
}

void handshake(Transport& t, const Account& a) {
    t.start_tls(Clock::now() + a.connect_timeout);
}

// A handshake that failed this way still got an answer in TLS: a certificate
// (verified or not, or the lack of one), an alert, an old protocol version.
bool proves_tls(Cause cause) {
    switch (cause) {
        case Cause::tls_version_too_old:
        case Cause::tls_alert:
        case Cause::no_certificate:
        case Cause::certificate_untrusted:
        case Cause::certificate_expired:
        case Cause::certificate_not_yet_valid:
        case Cause::certificate_wrong_name:
        case Cause::certificate_forged:
        case Cause::certificate_rejected:
        case Cause::pin_mismatch:
            return true;
        default:
            return false;
    }
}

// Does the port answer a TLS ClientHello? (A STARTTLS account on an implicit-TLS
// port: the server said nothing because it waits for us.) A certificate that
// fails verification still proves TLS is spoken.
bool speaks_tls(const Account& a, const HostPort& hp) {
    Account probe = a;
    probe.tls = TlsMode::implicit;
    probe.connect_timeout = std::min(a.connect_timeout, std::chrono::milliseconds(10'000));
    try {
        auto t = connect_plain(probe, hp);
        handshake(*t, probe);
        return true;
    } catch (const std::exception& e) {
        return proves_tls(cause_of(e));
    }
}

// Does the port greet in plaintext? (An implicit-TLS account on a STARTTLS port.)
bool greets_in_plaintext(const Account& a, const HostPort& hp) {
    Account probe = a;
    probe.tls = TlsMode::none;
    try {
        auto t = connect_plain(probe, hp);
        ReplyReader reader(*t);
        return reader.read(std::chrono::milliseconds(5'000), "greeting").code == 220;
    } catch (const std::exception&) {
        return false;
    }
}

// The port RFC 8314 assigns to submission over implicit TLS. OKURU_IMPLICIT_TLS_PORT
// moves it, for tests only: a test server cannot own port 465.
std::uint16_t implicit_tls_port() {
    if (const char* env = std::getenv("OKURU_IMPLICIT_TLS_PORT"); env && *env) {
        char* end = nullptr;
        const unsigned long n = std::strtoul(env, &end, 10);
        if (*end == '\0' && n > 0 && n < 65536) return static_cast<std::uint16_t>(n);
    }
    return 465;
}

// Does hp's host also serve submission over implicit TLS, with a certificate that
// verifies as this account's would, and an SMTP greeting? RFC 8314 3.3 prefers
// it, and it saves the plaintext greeting, EHLO and STARTTLS of every message.
// One connection with short timeouts; any failure just means "no".
std::optional<std::uint16_t> offers_implicit_tls(const Account& a, const HostPort& hp) {
    const std::uint16_t port = implicit_tls_port();
    if (hp.port == port) return std::nullopt;
    constexpr std::chrono::milliseconds wait{3'000};
    Account probe = a;
    probe.tls = TlsMode::implicit;
    probe.connect_timeout = std::min(a.connect_timeout, wait);
    try {
        auto t = connect_plain(probe, {hp.host, port});
        handshake(*t, probe);  // the full certificate checks of a submission
        ReplyReader reader(*t);
        if (reader.read(wait, "greeting").code != 220) return std::nullopt;
        t->write("QUIT\r\n");
        return port;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// The hint for a failed step: the wrong TLS mode for the port is checked with a
// second connection, everything else is read off the error.
std::optional<std::string> hint(const Account& a, const HostPort& hp, Step step,
                                const std::exception& e, const Transport* t) {
    const Cause cause = cause_of(e);
    if (step == Step::greeting && cause == Cause::timed_out) {
        if (a.tls == TlsMode::starttls && speaks_tls(a, hp))
            return "the server spoke TLS on a STARTTLS port: use tls = \"implicit\"";
        return "the server did not greet within " + format_duration(diagnostic_greeting_timeout) +
               "; a submission waits up to " + format_duration(a.command_timeout) +
               ", so it may only be slow";
    }
    if (a.tls == TlsMode::implicit && step == Step::tls_handshake &&
        exit_code(e) != Exit::tempfail && !proves_tls(cause) && greets_in_plaintext(a, hp)) {
        return "the server sent a plain SMTP greeting on an implicit-TLS port: use tls = "
               "\"starttls\"";
    }
    HintInput in;
    in.step = step;
    in.cause = cause;
    in.tls = a.tls;
    in.host = hp.host;
    in.port = hp.port;
    in.named_on_command_line = a.name.empty();
    if (t) {
        if (auto d = t->presented_certificate()) in.presented_fingerprint = d->sha256;
    }
    // A lookup that may recover (not .invalid): does this machine resolve
    // anything at all? Names that exist as long as the DNS does.
    if (step == Step::connect && exit_code(e) == Exit::tempfail &&
        (cause == Cause::unresolvable || cause == Cause::resolver_failed)) {
        static constexpr std::string_view well_known[] = {"a.root-servers.net", "example.com"};
        in.others_resolve = any_resolves(well_known);
    }
    return hint_for(in);
}

std::string password_source_text(const PasswordSource& p) {
    switch (p.kind) {
        case PasswordSource::Kind::inline_text:
            return "password (inline)";
        case PasswordSource::Kind::file:
            return "password_file " + p.text;
        case PasswordSource::Kind::credential:
            return "password_credential " + p.text;
        case PasswordSource::Kind::command: {
            std::string cmd;
            for (const auto& arg : p.argv) cmd += (cmd.empty() ? "" : " ") + log::escape(arg);
            return "password_command " + cmd;
        }
        case PasswordSource::Kind::none:
            break;
    }
    return "no password";
}

// One account through every step; prints a line per step and returns the exit code.
class AccountCheck {
  public:
    AccountCheck(const Account& a, const ProbeTargets& targets) : a_(a), targets_(targets) {}

    Exit run() {
        std::printf("%s: %s:%u, %s%s\n", title().c_str(), a_.host.c_str(), a_.port,
                    tls_label(a_.tls).c_str(),
                    a_.user.empty() ? "" : (", user " + log::escape(a_.user)).c_str());
        std::fflush(stdout);
        DeliveryOptions dopt;
        Secret password;
        HostPort where{a_.host, a_.port};
        try {
            dopt.preloaded_password = load_password(password);
            if (const auto& pop = a_.pop_before_smtp) {
                step_ = Step::pop_before_smtp;
                where = {pop->host, pop->port};
                pop_login(a_, dopt);
                print_step(step_name(step_), pop->host + ": OK");
            }
            // Every host is checked, fallbacks too: a broken fallback is found now,
            // not on the day the first host is down.
            const std::vector<HostPort> hosts = hosts_of(a_);
            for (std::size_t i = 0; i < hosts.size(); ++i) {
                if (hosts.size() > 1) {
                    std::printf("host %s:%u%s\n", hosts[i].host.c_str(), hosts[i].port,
                                i ? (" (fallback " + std::to_string(i) + ")").c_str() : "");
                }
                result_ = worst(result_, host(hosts[i], dopt));
            }
        } catch (const std::exception& e) {
            result_ = failed(e, where, nullptr);
        }
        std::printf("%s: %s\n", title().c_str(), result_ == Exit::ok ? "OK" : "FAILED");
        std::fflush(stdout);
        return result_;
    }

  private:
    // "account NAME", or "server HOST" for --host.
    std::string title() const {
        return a_.name.empty() ? "server " + a_.host : "account " + a_.name;
    }

    // Reads the password once, up front (a password command may ask the user),
    // and hands it to the session. nullptr when the account has none.
    const Secret* load_password(Secret& holder) {
        if (targets_.preloaded) {
            step_ = Step::password;
            if (const Secret* p = targets_.preloaded->password(a_.name)) {
                print_step(step_name(Step::password), "opened at start (system configuration): OK");
                return p;
            }
        }
        if (a_.user.empty() || a_.password.kind == PasswordSource::Kind::none) return nullptr;
        step_ = Step::password;
        holder = account_password(a_, nullptr);
        print_step(step_name(Step::password), password_source_text(a_.password) + ": OK");
        return &holder;
    }

    Exit host(const HostPort& hp, const DeliveryOptions& dopt) {
        std::unique_ptr<Transport> t;
        ProbeReport report;
        try {
            step_ = Step::connect;
            t = connect_plain(a_, hp);
            print_step(step_name(Step::connect), t->peer_name() + ": OK");
            if (a_.tls == TlsMode::implicit) {
                step_ = Step::tls_handshake;
                handshake(*t, a_);
                print_tls(*t, hp);
            }
            const SessionConfig sc = diagnostic_session(a_, hp, dopt, true);
            step_ = Step::setup;  // until the session announces its first step
            probe(*t, sc, report, [&](Step next) {
                done(report, *t, hp);
                step_ = next;
            });
            done(report, *t, hp);
            t.reset();
            if (a_.tls == TlsMode::starttls) {
                if (auto port = offers_implicit_tls(a_, hp)) {
                    const std::string p = std::to_string(*port);
                    print_step("hint", hp.host + " also offers implicit TLS on port " + p +
                                           " (certificate verified): port = " + p +
                                           " and tls = \"implicit\" save a round trip and a "
                                           "half per message (RFC 8314 prefers it)");
                }
            }
            return Exit::ok;
        } catch (const std::exception& e) {
            return failed(e, hp, t.get());
        }
    }

    // The step that just ended, with what it learnt.
    void done(const ProbeReport& report, const Transport& t, const HostPort& hp) {
        const std::string_view name = step_name(step_);
        switch (step_) {
            case Step::setup:
                break;
            case Step::greeting:
                print_step(name, report.greeting.str() + ": OK");
                break;
            case Step::tls_handshake:
                print_tls(t, hp);
                break;
            case Step::auth:
                print_step(name, report.mechanism + " as " + log::escape(a_.user) + ": OK");
                break;
            case Step::quit:
                // A submission ignores how QUIT goes; so does the check, but says so.
                print_step(name, report.quit && report.quit->code == 221
                                     ? std::string("OK")
                                     : "no 221 reply" +
                                           (report.quit ? " (" + report.quit->str() + ")"
                                                        : std::string()) +
                                           ": ignored, as a submission would");
                break;
            default:
                print_step(name, "OK");
        }
    }

    void print_tls(const Transport& t, const HostPort& hp) {
        const auto d = t.tls_details();
        print_step(step_name(Step::tls_handshake),
                   (d ? d->version + ", " + d->cipher + ", certificate " : "") +
                       verified_text(a_, hp.host) + ": OK");
    }

    Exit failed(const std::exception& e, const HostPort& hp, const Transport* t) {
        print_step(step_name(step_), "FAILED: " + describe(e));
        if (auto h = hint(a_, hp, step_, e, t)) print_step("hint", *h);
        return exit_code(e);
    }

    const Account& a_;
    const ProbeTargets& targets_;
    Step step_ = Step::setup;
    Exit result_ = Exit::ok;
};

}  // namespace

void print_step(std::string_view label, std::string_view text) {
    constexpr int label_width = 15;
    std::printf("  %-*.*s%.*s\n", label_width, int(label.size()), label.data(), int(text.size()),
                text.data());
    std::fflush(stdout);
}

Account adhoc_account(const std::string& host, std::optional<std::uint16_t> port,
                      std::optional<TlsMode> tls) {
    Account a;
    a.host = host;  // no name: it comes from the command line, not an account
    a.tls = tls ? *tls : (port && *port == 465 ? TlsMode::implicit : TlsMode::starttls);
    a.port = port ? *port : (a.tls == TlsMode::implicit ? 465 : 587);
    return a;
}

Exit serverinfo(const ProbeTargets& targets) {
    const Account& a = targets.accounts.front();
    const HostPort hp{a.host, a.port};
    std::printf("server %s:%u, %s%s\n", a.host.c_str(), a.port, tls_label(a.tls).c_str(),
                a.name.empty() ? "" : (" (account " + a.name + ")").c_str());
    std::fflush(stdout);
    std::unique_ptr<Transport> t;
    ProbeReport report;
    Step step = Step::connect;
    try {
        t = connect_plain(a, hp);
        print_step("connected to", t->peer_name());
        if (a.tls == TlsMode::implicit) {
            step = Step::tls_handshake;
            handshake(*t, a);
        }
        probe(*t, diagnostic_session(a, hp, {}, false), report,
              [&step](Step next) { step = next; });
        print_report(report, a, targets.from_config, *t);
        return Exit::ok;
    } catch (const std::exception& e) {
        if (t) {
            print_report(report, a, targets.from_config, *t);
            if (!t->tls_details()) {
                if (auto d = t->presented_certificate())
                    print_certificate(*d, "NOT VERIFIED: the error below says why");
            }
        }
        print_step("error", std::string(step_name(step)) + ": " + describe(e));
        if (auto h = hint(a, hp, step, e, t.get())) print_step("hint", *h);
        return exit_code(e);
    }
}

Exit check(const ProbeTargets& targets) {
    Exit result = Exit::ok;
    for (const Account& a : targets.accounts)
        result = worst(result, AccountCheck(a, targets).run());
    std::printf("%s\n", result == Exit::ok ? "OK" : "FAILED");
    return result;
}

}  // namespace okuru
