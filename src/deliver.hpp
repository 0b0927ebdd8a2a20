// One submission through one account: POP-before-SMTP if configured, the
// connection (the account's host, then each fallback host), and the SMTP
// session. The message and envelope are already final here.
#pragma once

#include <optional>
#include <string>

#include "config.hpp"
#include "secret.hpp"
#include "smtp_session.hpp"

namespace okuru {

struct DeliveryOptions {
    DsnOptions dsn;
    // Secrets read while privileged (system-wide setgid use); empty: load on demand.
    const Secret* preloaded_password = nullptr;
};

// The EHLO name: the account's `ehlo`, else this host's FQDN, else "localhost".
std::string ehlo_name_for(const Account& account);

// Tries each host in order; connection failures (temporary, unresolvable) move on
// to the next host. Throws the last Error (with the host as context).
SubmitResult deliver(const Account& account, const Envelope& envelope, const Content& content,
                     const DeliveryOptions& options);

}  // namespace okuru
