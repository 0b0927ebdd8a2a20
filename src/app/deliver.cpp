#include "app/deliver.hpp"

#include <netdb.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <vector>

#include "base/errors.hpp"
#include "base/log.hpp"
#include "base/privilege.hpp"
#include "net/net.hpp"
#include "smtp/pop3.hpp"

namespace okuru {
namespace {

std::string host_fqdn() {
    char name[HOST_NAME_MAX + 1] = {};
    if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return {};
    if (std::strchr(name, '.')) return name;
    addrinfo hints{};
    hints.ai_flags = AI_CANONNAME;
    addrinfo* res = nullptr;
    std::string out;
    if (getaddrinfo(name, nullptr, &hints, &res) == 0 && res) {
        if (res->ai_canonname && std::strchr(res->ai_canonname, '.')) out = res->ai_canonname;
        freeaddrinfo(res);
    }
    return out;
}

TlsParams tls_params(const Account& a, const std::string& host) {
    TlsParams p;
    p.verify_host = host;  // always the configured name, never a DNS-derived one
    p.ca_file = a.ca_file;
    p.system_trust = a.system_trust;
    p.fingerprint = a.fingerprint;
    p.priority = a.tls_priority;
    p.client_cert = a.client_cert;
    p.client_key = a.client_key;
    if (a.client_identity) p.client_pem = a.client_identity->reveal();
    return p;
}

}  // namespace

std::string tls_label(TlsMode m) {
    switch (m) {
        case TlsMode::starttls:
            return "STARTTLS";
        case TlsMode::implicit:
            return "implicit TLS";
        case TlsMode::none:
            return "no TLS";
    }
    return "";
}

std::string ehlo_name_for(const Account& account) {
    if (!account.ehlo_name.empty()) return account.ehlo_name;
    // Looked up once per process (it may ask the resolver), however many
    // submissions or saved messages this run sends.
    static const std::string fqdn = host_fqdn();
    return fqdn.empty() ? "localhost" : fqdn;
}

Secret account_password(const Account& account, const Secret* preloaded) {
    if (preloaded) return Secret(preloaded->reveal());
    return load_secret(account.password, "password of account " + account.name,
                       current_privilege());
}

void pop_login(const Account& account, const DeliveryOptions& options) {
    if (account.pop_before_smtp) {
        const Pop3Settings& pop = *account.pop_before_smtp;
        const std::string user = pop.user.empty() ? account.user : pop.user;
        try {
            Secret secret =
                pop.password.kind == PasswordSource::Kind::none
                    ? account_password(account, options.preloaded_password)
                    : load_secret(pop.password, "POP3 password of account " + account.name,
                                  current_privilege());
            TlsParams pop_tls = tls_params(account, pop.host);
            pop_tls.fingerprint.clear();  // the pin names the SMTP server's certificate
            pop_before_smtp(pop, user, secret, pop_tls, account.connect_timeout);
        } catch (const std::exception&) {
            rethrow_with_context("POP-before-SMTP login at " + pop.host);
        }
    }
}

SessionConfig session_config_for(const Account& account, const HostPort& hp,
                                 const DeliveryOptions& options) {
    SessionConfig session;
    session.server = hp.host;
    session.tls = account.tls;
    session.ehlo_name = ehlo_name_for(account);
    session.command_timeout = account.command_timeout;
    session.dsn = options.dsn;
    session.partial = options.partial;
    if (!account.user.empty() || !account.oauth_token_command.empty()) {
        AuthConfig auth;
        auth.user = account.user;
        // DIGEST-MD5's digest-uri, GSSAPI's principal and OAUTHBEARER's host= name
        // the server as configured (RFC 2831 2.1.2, RFC 7628 3.1).
        auth.hostname = hp.host;
        auth.port = hp.port;
        auth.mechanisms = account.auth_mechanisms;
        auth.allow_plaintext = account.allow_plaintext_auth;
        if (account.password.kind != PasswordSource::Kind::none || options.preloaded_password)
            auth.password = [&account, preloaded = options.preloaded_password] {
                return account_password(account, preloaded);
            };
        if (!account.oauth_token_command.empty()) {
            PasswordSource token{PasswordSource::Kind::command, {}, account.oauth_token_command};
            auth.oauth_token = [token, name = account.name] {
                return load_secret(token, "OAuth token of account " + name, current_privilege());
            };
        }
        session.auth = std::move(auth);
    }
    return session;
}

std::vector<HostPort> hosts_of(const Account& account) {
    std::vector<HostPort> hosts{{account.host, account.port}};
    for (const HostPort& h : account.fallback_hosts)
        hosts.push_back({h.host, h.port ? h.port : account.port});
    return hosts;
}

ConnectParams connect_params_for(const Account& account, const HostPort& hp) {
    ConnectParams cp;
    cp.host = hp.host;
    cp.port = hp.port;
    cp.timeout = account.connect_timeout;
    cp.implicit_tls = account.tls == TlsMode::implicit;
    // Load CA file, client key and priority now, so a mistake there is
    // reported before connecting rather than after STARTTLS.
    cp.prepare_tls = account.tls == TlsMode::starttls;
    cp.tls = tls_params(account, hp.host);
    return cp;
}

namespace {

// The fallback loop of deliver(): `relay` is set to each host as it is tried.
// Throws the last Error (with the host as context).
SubmitResult submit_to_hosts(const Account& account, const Envelope& envelope,
                             const Content& content, const DeliveryOptions& options,
                             Clock::time_point deadline, std::string& relay) {
    const std::vector<HostPort> hosts = hosts_of(account);

    for (std::size_t i = 0; i < hosts.size(); ++i) {
        const HostPort& hp = hosts[i];
        const std::string where = hp.host + ":" + std::to_string(hp.port);
        relay = where;
        std::unique_ptr<Transport> transport;
        try {
            ConnectParams cp = connect_params_for(account, hp);
            cp.deadline = deadline;  // shared by every host tried
            log::info("connecting to " + where + " (" + tls_label(account.tls) + ")");
            transport = options.connect ? options.connect(cp) : open_connection(cp);
        } catch (const Error& e) {
            const bool next =
                i + 1 < hosts.size() && (e.code() == Exit::tempfail || e.code() == Exit::nohost);
            if (!next) rethrow_with_context("account " + account.name);
            log::warn(e.what() + std::string("; trying ") + hosts[i + 1].host);
            continue;
        }
        try {
            log_tls_details(*transport);
            return submit(*transport, session_config_for(account, hp, options), envelope, content);
        } catch (const std::exception&) {
            rethrow_with_context("account " + account.name + " via " + transport->peer_name());
        }
    }
    throw Error(Exit::software, "no host configured for account " + account.name);
}

}  // namespace

Delivery deliver(const Account& account, const Envelope& envelope, const Content& content,
                 const DeliveryOptions& options) {
    Delivery out;
    // One deadline for the whole submission (POP-before-SMTP, every host tried,
    // connect, TLS, each reply and write), counted from here.
    const Clock::time_point deadline = Clock::now() + account.deadline;
    try {
        out.relay = account.host + ":" + std::to_string(account.port);
        pop_login(account, options);
        out.accepted = submit_to_hosts(account, envelope, content, options, deadline, out.relay);
    } catch (...) {
        out.failure = std::current_exception();
    }
    return out;
}

}  // namespace okuru
