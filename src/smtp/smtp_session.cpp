// submit(): the session from greeting to the authenticated, capability-checked
// state, then the transaction (smtp_transaction.cpp). TLS is never optional once
// configured: every path that cannot get it ends the session before AUTH or MAIL.
#include "smtp/smtp_session.hpp"

#include "base/errors.hpp"
#include "base/log.hpp"
#include "message/address.hpp"
#include "smtp/smtp_internal.hpp"

namespace okuru {
namespace {

using smtp::Conversation;
using smtp::reject;
using smtp::Stage;

bool tls_required(const SessionConfig& config) {
    return config.tls != TlsMode::none;
}

// What the session learnt on the way, and who wants to hear about each step.
struct Progress {
    const StepObserver* step = nullptr;
    ProbeReport* report = nullptr;
    void begin(Step name) const {
        if (step && *step) (*step)(name);
    }
};

Reply greeting(Conversation& c) {
    Reply r;
    try {
        r = c.read("greeting", false, c.config.greeting_timeout);
    } catch (const Error& e) {
        // An implicit-TLS port stays silent: it waits for our ClientHello. (The
        // diagnostics, which set their own greeting wait, find out themselves.)
        if (cause_of(e) != Cause::timed_out || c.config.tls != TlsMode::starttls ||
            c.config.greeting_timeout)
            throw;
        throw Error(e.code(),
                    std::string(e.what()) +
                        " (a silent server may expect implicit TLS on this port; "
                        "okuru --check tells)",
                    Cause::timed_out);
    }
    if (r.code == 220) return r;
    if (r.permanent()) c.quit_quietly();  // RFC 5321 3.1: a 554 greeting still wants QUIT
    if (r.positive()) reject(r, "greeting", Stage::greeting);
    throw Error(smtp::exit_for(r, Stage::greeting),
                "server " + c.config.server + " refused the session: " + r.str());
}

// EHLO, with the RFC 5321 4.1.1.1 fall-back to HELO only where ESMTP is not
// needed: without TLS and AUTH. Otherwise a server that refuses EHLO must not
// talk us into a plaintext, unauthenticated session.
Reply hello(Conversation& c, bool allow_helo) {
    std::string flight;
    const std::string ehlo = "EHLO " + c.config.ehlo_name;
    Conversation::add(flight, ehlo);
    c.write(flight, "EHLO");
    const Reply r = c.read("EHLO");
    if (r.code == 250) {
        c.caps = Capabilities::parse(r);
        return r;
    }
    if (!r.permanent()) reject(r, ehlo, Stage::ehlo);
    if (!allow_helo) {
        throw Error(Exit::unavailable, ehlo + " rejected: " + r.str() +
                                           "; not falling back to HELO because " +
                                           (tls_required(c.config) ? "TLS" : "authentication") +
                                           " is required and needs ESMTP");
    }
    flight.clear();
    const std::string helo = "HELO " + c.config.ehlo_name;
    Conversation::add(flight, helo);
    c.write(flight, "HELO");
    const Reply h = c.read("HELO");
    if (h.code != 250) reject(h, helo, Stage::ehlo);
    c.caps = Capabilities{};
    return h;
}

Reply start_tls(Conversation& c, const Progress& progress) {
    if (!c.caps.starttls) {
        throw Error(Exit::unavailable,
                    "server " + c.config.server +
                        " does not offer STARTTLS; refusing to continue without TLS",
                    Cause::no_starttls);
    }
    std::string flight;
    Conversation::add(flight, "STARTTLS");
    c.write(flight, "STARTTLS");
    const Reply r = c.read("STARTTLS");
    if (r.code != 220) {
        if (r.positive()) {
            throw Error(Exit::protocol, "STARTTLS: unexpected reply " + r.str() +
                                            " (expected 220); refusing to continue without TLS");
        }
        throw Error(smtp::exit_for(r, Stage::starttls),
                    "STARTTLS refused: " + r.str() + "; refusing to continue without TLS");
    }
    // RFC 3207 5 / CVE-2011-0411: bytes that arrived with the 220 were sent in
    // plaintext and would be read as if they came through TLS.
    if (c.reader.has_buffered()) {
        throw Error(Exit::protocol,
                    "STARTTLS response injection: server sent " + c.reader.buffered_excerpt() +
                        " after its 220 reply, before the TLS handshake; refusing to continue");
    }
    progress.begin(Step::tls_handshake);
    try {
        c.transport.start_tls(Clock::now() + c.config.command_timeout);
    } catch (...) {
        rethrow_with_context("TLS handshake with " + c.transport.peer_name());
    }
    c.reader.discard_buffer();
    log_tls_details(c.transport);
    // RFC 3207 4.2: forget everything learnt before TLS, ask again.
    c.caps = Capabilities{};
    progress.begin(Step::ehlo);
    return hello(c, false);
}

void check_envelope(const Envelope& envelope) {
    if (envelope.recipients.empty()) throw Error(Exit::usage, "no recipients");
    // Defence in depth, with the one validator the command line and the headers
    // go through (address.cpp): prepare() has refused a bad address before any
    // connection, so this only fires for a caller that skipped it. The address
    // goes between the brackets of MAIL/RCPT as it is: "<a@x>" is refused too.
    auto check = [](const std::string& address, const char* what) {
        if (parse_envelope_address(address, what) != address)
            throw Error(Exit::dataerr, std::string("invalid ") + what + " address \"" +
                                           log::escape(address) + "\" (angle brackets)");
    };
    if (!envelope.sender.empty()) check(envelope.sender, "sender");
    for (const auto& r : envelope.recipients) check(r, "recipient");
}

// Everything before the transaction: greeting, EHLO, STARTTLS, AUTH. Returns
// the AUTH mechanism used ("" without AUTH).
std::string establish(Conversation& c, const Progress& progress) {
    const SessionConfig& cfg = c.config;
    // Implicit TLS: the caller did the handshake (and shows its details with -v).
    if (cfg.tls == TlsMode::implicit && !c.transport.secure()) {
        throw Error(Exit::software, "implicit TLS configured but the connection to " +
                                        c.transport.peer_name() + " is not encrypted");
    }
    ProbeReport* report = progress.report;
    progress.begin(Step::greeting);
    const Reply greeted = greeting(c);
    if (report) report->greeting = greeted;
    progress.begin(Step::ehlo);
    Reply ehlo = hello(c, cfg.tls == TlsMode::none && !cfg.auth);
    if (cfg.tls == TlsMode::starttls) {
        if (report) report->ehlo_before_tls = ehlo;
        progress.begin(Step::starttls);
        ehlo = start_tls(c, progress);
    }
    if (tls_required(cfg) && !c.transport.secure()) {
        throw Error(Exit::software, "TLS required but the connection to " +
                                        c.transport.peer_name() + " is not encrypted");
    }
    if (report) {
        report->ehlo = ehlo;
        report->caps = c.caps;
    }
    if (!cfg.auth) return {};
    progress.begin(Step::auth);
    return smtp::authenticate(c);
}

SessionConfig checked(const SessionConfig& config) {
    SessionConfig cfg = config;
    if (cfg.ehlo_name.empty()) cfg.ehlo_name = "localhost";
    for (unsigned char ch : cfg.ehlo_name) {
        if (ch <= 0x20 || ch == 0x7f) {
            throw Error(Exit::config, "invalid EHLO name \"" + log::escape(cfg.ehlo_name) + "\"");
        }
    }
    return cfg;
}

}  // namespace

std::string_view step_name(Step step) {
    switch (step) {
        case Step::setup:
            return "setup";
        case Step::password:
            return "password";
        case Step::pop_before_smtp:
            return "POP-before-SMTP";
        case Step::connect:
            return "connect";
        case Step::tls_handshake:
            return "TLS handshake";
        case Step::greeting:
            return "greeting";
        case Step::ehlo:
            return "EHLO";
        case Step::starttls:
            return "STARTTLS";
        case Step::auth:
            return "AUTH";
        case Step::quit:
            return "QUIT";
    }
    return "setup";
}

void log_tls_details(const Transport& transport) {
    const auto d = transport.tls_details();
    if (!d) return;
    log::info("TLS " + d->version + " with " + d->cipher);
    log::info("certificate subject: " + log::escape(d->subject));
    log::info("certificate issuer: " + log::escape(d->issuer));
    log::info("certificate valid from " + d->not_before + " until " + d->not_after);
    log::info("certificate SHA-256 fingerprint: " + d->sha256);
}

void probe(Transport& transport, const SessionConfig& config, ProbeReport& report,
           const StepObserver& step) {
    const SessionConfig cfg = checked(config);
    Conversation c(transport, cfg);
    const Progress progress{&step, &report};
    report.mechanism = establish(c, progress);
    progress.begin(Step::quit);
    std::string flight;
    Conversation::add(flight, "QUIT");
    c.write(flight, "QUIT");
    report.quit = c.read_quietly("QUIT");
}

SubmitResult submit(Transport& transport, const SessionConfig& config, const Envelope& envelope,
                    const Content& content) {
    check_envelope(envelope);
    const SessionConfig cfg = checked(config);
    Conversation c(transport, cfg);
    const std::string mechanism = establish(c, Progress{});
    SubmitResult result = smtp::transact(c, envelope, content);
    result.mechanism = mechanism;
    return result;
}

}  // namespace okuru
