// One error type for the whole program: a message and the sysexits(3) code the
// process ends with. Context ("while connecting to x:587") is added by nesting
// with std::throw_with_nested; main() prints the chain and returns the code.
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

class Error : public std::runtime_error {
  public:
    Error(Exit code, const std::string& message) : std::runtime_error(message), code_(code) {}
    Exit code() const noexcept { return code_; }

  private:
    Exit code_;
};

// Must be called inside a catch block: rethrows the current exception nested in an
// Error that says `context` and keeps the inner exit code.
[[noreturn]] void rethrow_with_context(const std::string& context);

// "outer: inner: innermost" for a (possibly nested) exception chain.
std::string describe(const std::exception& e);

// The exit code of the innermost okuru::Error in the chain (software for others,
// oserr for std::bad_alloc).
Exit exit_code(const std::exception& e);

// Throws Error(code, what + ": " + strerror(err)).
[[noreturn]] void throw_system(Exit code, const std::string& what, int err);

// Severity order used when one invocation makes several submissions: success <
// temporary < permanent/other. Returns the more severe of the two.
Exit worst(Exit a, Exit b);

// True for the codes a caller should retry (EX_TEMPFAIL).
inline bool is_temporary(Exit e) {
    return e == Exit::tempfail;
}

}  // namespace okuru
