// One error type for the whole program: a message, the sysexits(3) code the
// process ends with, and (where the thrower knows it) a Cause that code can
// decide on instead of reading the message. Context ("while connecting to
// x:587") is added by nesting with std::throw_with_nested; main() prints the
// chain and returns the code.
#pragma once

#include <stdexcept>
#include <string>

namespace okuru {

// sysexits.h values, spelled out so callers can reason about them by name.
enum class Exit : int {
    ok = 0,
    usage = 64,        // EX_USAGE: bad command line
    dataerr = 65,      // EX_DATAERR: bad input (message, address)
    noinput = 66,      // EX_NOINPUT: input file missing
    nouser = 67,       // EX_NOUSER: recipient unknown (permanent)
    nohost = 68,       // EX_NOHOST: host name unknown
    unavailable = 69,  // EX_UNAVAILABLE: permanent failure
    software = 70,     // EX_SOFTWARE: internal error
    oserr = 71,        // EX_OSERR: system error (fork, ...)
    osfile = 72,       // EX_OSFILE: system file missing
    cantcreat = 73,    // EX_CANTCREAT: cannot create output file
    ioerr = 74,        // EX_IOERR: I/O error
    tempfail = 75,     // EX_TEMPFAIL: try again later
    protocol = 76,     // EX_PROTOCOL: remote broke the protocol
    noperm = 77,       // EX_NOPERM: authentication / permission refused
    config = 78,       // EX_CONFIG: configuration error
};

// Why something failed, as far as a caller may want to decide on it (the
// diagnostics' hints, the session's own advice). Set by the code that detects
// the failure; the message stays free prose. `none`: nothing more specific than
// the exit code is known.
enum class Cause {
    none,
    // Reaching the server.
    unresolvable,     // the name does not exist (not a temporary DNS failure)
    refused,          // nothing listens on the port (ECONNREFUSED)
    timed_out,        // no answer within the deadline (connect, reply, handshake, write)
    unreachable,      // no route to the network or host
    connection_lost,  // closed or reset by the peer
    // TLS.
    not_tls,                    // plaintext where a TLS handshake was expected
    no_starttls,                // the server does not offer STARTTLS
    tls_version_too_old,        // the server only speaks TLS older than allowed
    tls_alert,                  // the server ended the handshake with an alert
    no_certificate,             // the server sent none
    certificate_untrusted,      // unknown issuer (private CA, self-signed)
    certificate_expired,        //
    certificate_not_yet_valid,  //
    certificate_wrong_name,     // does not name the configured host
    certificate_forged,         // revoked, bad signature, insecure algorithm
    certificate_rejected,       // any other failed check (purpose, OCSP, constraints)
    pin_mismatch,               // not the pinned certificate
    // Logging in.
    plaintext_auth_refused,        // credentials would travel unencrypted
    no_auth_offered,               // the server offers no AUTH at all
    mechanism_not_offered,         // none of the pinned mechanisms is offered
    no_usable_mechanism,           // offered, but none usable with this account
    external_without_certificate,  // EXTERNAL chosen but no client certificate
    no_credentials,                // no password, token or client certificate
    oauth_token_failed,            // the token command failed or printed nothing
    login_refused,                 // the server refused the credentials
    // Name resolution (issue 10, part 6); `unresolvable` above is the resolver's
    // own answer that the name does not exist (NXDOMAIN, EAI_NONAME).
    resolver_failed,  // no answer from the resolver (EAI_AGAIN, SERVFAIL, none reachable)
    // Sending.
    message_refused,  // 5xx to MAIL, RCPT or DATA: this message will never be accepted
};

// Must be called inside a catch block: rethrows the current exception with the
// same text and exit code, tagged with `cause` unless the chain already has one
// (the thrower's own cause is more specific than the caller's). Anything that
// is not an okuru::Error is rethrown unchanged.
[[noreturn]] void rethrow_with_cause(Cause cause);

class Error : public std::runtime_error {
  public:
    Error(Exit code, const std::string& message, Cause cause = Cause::none)
        : std::runtime_error(message), code_(code), cause_(cause) {}
    Exit code() const noexcept { return code_; }
    // This error's own cause; cause_of() looks through the nesting.
    Cause cause() const noexcept { return cause_; }

  private:
    friend void rethrow_with_cause(Cause cause);
    Exit code_;
    Cause cause_;
};

// Must be called inside a catch block: rethrows the current exception nested in an
// Error that says `context` and keeps the inner exit code and cause.
[[noreturn]] void rethrow_with_context(const std::string& context);

// "outer: inner: innermost" for a (possibly nested) exception chain.
std::string describe(const std::exception& e);

// The exit code of the innermost okuru::Error in the chain (software for others,
// oserr for std::bad_alloc).
Exit exit_code(const std::exception& e);

// The cause of the innermost okuru::Error in the chain that has one; none if no
// error in the chain knows.
Cause cause_of(const std::exception& e);

// Throws Error(code, what + ": " + strerror(err), cause).
[[noreturn]] void throw_system(Exit code, const std::string& what, int err,
                               Cause cause = Cause::none);

// Severity order used when one invocation makes several submissions: success <
// temporary < permanent/other. Returns the more severe of the two.
Exit worst(Exit a, Exit b);

}  // namespace okuru
