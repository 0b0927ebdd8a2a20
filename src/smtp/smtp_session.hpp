// The SMTP client dialogue, straight-line and blocking, over an injected
// Transport: greeting, EHLO, STARTTLS, EHLO again, AUTH, MAIL/RCPT/DATA or BDAT
// (pipelined per RFC 2920 / RFC 3030), QUIT. It decides nothing about routing
// and opens no sockets.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "message/dsn.hpp"
#include "message/spool.hpp"
#include "net/transport.hpp"
#include "sasl/sasl.hpp"
#include "smtp/smtp_caps.hpp"
#include "smtp/smtp_reply.hpp"

namespace okuru {

struct SessionConfig {
    std::string server;               // host name as configured, for messages
    TlsMode tls = TlsMode::starttls;  // implicit: the transport is already TLS
    std::string ehlo_name;
    std::optional<AuthConfig> auth;  // nullopt: no AUTH
    std::chrono::milliseconds command_timeout{300'000};
    // The wait for the greeting; nullopt: command_timeout. The diagnostics wait
    // less: a server that stays silent is likely waiting for a TLS ClientHello.
    std::optional<std::chrono::milliseconds> greeting_timeout;
    DsnOptions dsn;
    bool use_chunking = true;          // BDAT when offered
    std::size_t chunk_size = 1 << 20;  // BDAT chunk size for large messages
    // Partial delivery (okuru.toml partial_delivery): when some RCPTs are refused
    // and at least one is accepted, send the message to the accepted ones and
    // report the others in SubmitResult::refused instead of failing.
    bool partial = false;
};

struct Envelope {
    std::string sender;                   // "" for the null sender
    std::vector<std::string> recipients;  // at least one
};

struct Content {
    std::string_view headers;  // rendered header block + empty line, CR LF
    const Spool& body;         // wire form, ends with CR LF
    bool eight_bit = false;
    bool smtputf8 = false;
};

// A recipient the server refused while it accepted others (partial delivery).
struct RecipientRefusal {
    std::string recipient;  // as sent in RCPT TO
    Reply reply;            // 4xx (transient: keep for a retry) or 5xx (notify)
};

struct SubmitResult {
    Reply final_reply;  // the server's answer to the end of data ("250 2.0.0 Ok: queued as ...")
    std::string mechanism;  // AUTH mechanism used, empty if none
    // With SessionConfig::partial: the refused recipients, in envelope order; the
    // message went to every other one. Empty: every recipient was accepted.
    std::vector<RecipientRefusal> refused;
};

// Runs one whole transaction. Throws Error with the exit code the failure deserves
// (see the table in okuru(8)): Exit::tempfail for 4xx and network trouble,
// unavailable / nouser / dataerr for 5xx, protocol for garbage, noperm for
// rejected credentials. The message names the command and quotes the reply.
// Decided in smtp_errors.cpp: any 4xx, 421, timeout, closed link: tempfail;
// garbage or an unexpected positive reply: protocol; AUTH 530/534/535/538 or
// 5.7.x, and credentials refused on an unencrypted link: noperm; MAIL 553 (no
// enhanced code) or 5.1.7: dataerr; RCPT: nouser when every refusal is 5.1.x (or
// 550/551/553 without an enhanced code), tempfail if any is 4xx, else
// unavailable; DATA / end of data 5.6.x: dataerr; SIZE exceeded, SMTPUTF8 or
// STARTTLS missing, EHLO refused where TLS/AUTH need ESMTP: unavailable; other
// 5xx: unavailable. Without config.partial nothing is ever delivered to a
// subset of the recipients; with it, a message some RCPTs accepted goes to
// those, and the refused ones are listed in SubmitResult::refused (when no RCPT
// is accepted it fails as above).
SubmitResult submit(Transport& transport, const SessionConfig& config, const Envelope& envelope,
                    const Content& content);

// Shows the TLS parameters and the certificate with -v (after a STARTTLS
// handshake here, after an implicit one in deliver()).
void log_tls_details(const Transport& transport);

// What a session that sends no mail learns (--serverinfo, --check).
struct ProbeReport {
    Reply greeting;
    std::optional<Reply> ehlo_before_tls;  // STARTTLS sessions: the plaintext EHLO
    Reply ehlo;  // the EHLO that counts (after STARTTLS when there is one)
    Capabilities caps;
    std::string mechanism;      // AUTH mechanism used (empty: no AUTH configured)
    std::optional<Reply> quit;  // the answer to QUIT, if one came (not checked)
};

// The steps of a session, in order, as the diagnostics name them. The session
// announces greeting to QUIT (EHLO twice with STARTTLS, the TLS handshake after
// STARTTLS); --check and --serverinfo add the ones before it.
enum class Step {
    setup,            // anything before the first step (e.g. the TLS settings)
    password,         // reading the password from its source
    pop_before_smtp,  // the POP3 login (RFC 1939) some ISPs want first
    connect,
    tls_handshake,  // after STARTTLS, or at once for implicit TLS
    greeting,
    ehlo,
    starttls,
    auth,
    quit,
};

// The words --check prints: "setup", "password", "POP-before-SMTP", "connect",
// "TLS handshake", "greeting", "EHLO", "STARTTLS", "AUTH", "QUIT".
std::string_view step_name(Step step);

// Called as each step of the session begins. A failure belongs to the last step
// announced.
using StepObserver = std::function<void(Step step)>;

// Greeting, EHLO, STARTTLS and EHLO again, AUTH when config.auth is set, then
// QUIT: the same checks as submit() (TLS never optional), without a transaction.
// As in submit(), the answer to QUIT decides nothing (it is only recorded).
// `report` is filled as the session goes, so after a failure it still holds what
// was learnt before it. Throws Error as submit() does.
void probe(Transport& transport, const SessionConfig& config, ProbeReport& report,
           const StepObserver& step);

}  // namespace okuru
