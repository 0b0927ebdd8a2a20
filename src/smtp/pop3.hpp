// POP-before-SMTP: some old ISPs open SMTP relaying only for an address that
// has just logged in to their POP3 server (RFC 1939; STLS per RFC 2595).
#pragma once

#include <chrono>
#include <string>

#include "config/config.hpp"
#include "config/secret.hpp"
#include "net/tls.hpp"

namespace okuru {

// Logs in (USER/PASS over TLS only: implicit TLS, or STLS before anything else) and
// out. `tls` gives the trust settings; the name checked is always pop.host, and the
// caller must clear tls.fingerprint if it pins the SMTP server's certificate.
// Throws Error(Exit::noperm) for rejected credentials ("POP3 login failed: -ERR ..."),
// Error(Exit::unavailable) when TLS is refused or the certificate fails,
// Error(Exit::config) for tls = "none", Error(Exit::protocol) for garbage,
// Error(Exit::tempfail) for network trouble. The password is never logged.
void pop_before_smtp(const Pop3Settings& pop, const std::string& user, const Secret& password,
                     const TlsParams& tls, std::chrono::milliseconds timeout);

}  // namespace okuru
