// One submission through one account: POP-before-SMTP if configured, the
// connection (the account's host, then each fallback host), and the SMTP
// session. The message and envelope are already final here.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/secret.hpp"
#include "net/net.hpp"
#include "smtp/smtp_session.hpp"

namespace okuru {

// How deliver() opens a connection to one host: open_connection() for real, a
// scripted peer in tests. Throws as open_connection() does.
using Connector = std::function<std::unique_ptr<Transport>(const ConnectParams&)>;

struct DeliveryOptions {
    DsnOptions dsn;
    // Secrets read while privileged (system-wide setgid use); empty: load on demand.
    const Secret* preloaded_password = nullptr;
    Connector connect;     // empty: open_connection
    bool partial = false;  // SessionConfig::partial (okuru.toml partial_delivery)
};

// What deliver() did with one message: accepted by a host, or failed.
struct Delivery {
    // "host:port" of the host tried last: the one that accepted the message, or
    // the last one that failed (the log record's relay=). The account's first host
    // when none was reached (POP-before-SMTP or a password failed first).
    std::string relay;
    std::optional<SubmitResult> accepted;  // set when a server accepted the message
    std::exception_ptr failure;            // set otherwise: the Error, with context
    bool ok() const { return accepted.has_value(); }
};

// The EHLO name: the account's `ehlo`, else this host's FQDN, else "localhost".
std::string ehlo_name_for(const Account& account);

// "STARTTLS", "implicit TLS" or "no TLS", for messages.
std::string tls_label(TlsMode mode);

// The pieces deliver() is made of, shared with the diagnostics (--check):
// the account's password (preloaded or from its source), the POP-before-SMTP
// login when configured, the session settings, the hosts in the order tried,
// and how to connect to one of them.
Secret account_password(const Account& account, const Secret* preloaded);
void pop_login(const Account& account, const DeliveryOptions& options);
// The session for one host: its name is the server's in messages and in the
// SASL mechanisms that bind to it.
SessionConfig session_config_for(const Account& account, const HostPort& host,
                                 const DeliveryOptions& options);
std::vector<HostPort> hosts_of(const Account& account);
ConnectParams connect_params_for(const Account& account, const HostPort& host);

// POP-before-SMTP if configured, then each host in order: connection failures
// (temporary, unresolvable) move on to the next host; anything else, or the last
// host failing, ends it. Never throws: a failure is returned in Delivery::failure
// (the Error with the account and host as context), with the relay tried last.
Delivery deliver(const Account& account, const Envelope& envelope, const Content& content,
                 const DeliveryOptions& options);

}  // namespace okuru
