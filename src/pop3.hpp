// POP-before-SMTP: some old ISPs open SMTP relaying only for an address that
// has just logged in to their POP3 server (RFC 1939; STLS per RFC 2595).
#pragma once

#include "config.hpp"
#include "secret.hpp"
#include "tls.hpp"

namespace okuru {

// Logs in (USER/PASS over TLS only) and out. Throws Error(Exit::noperm) for rejected
// credentials, Error(Exit::tempfail) for network trouble.
void pop_before_smtp(const Pop3Settings& pop, const std::string& user, const Secret& password,
                     const TlsParams& tls, std::chrono::milliseconds timeout);

}  // namespace okuru
