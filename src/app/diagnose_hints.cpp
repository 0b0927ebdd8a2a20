// hint_for(): from a failed step of --check to one line of advice, keyed on the
// step and the error's cause (never on its text), as Postfix keys its decisions
// on status codes. Kept apart from the probing so that each rule can be tested
// on its own.
#include <string_view>

#include "app/diagnose.hpp"

namespace okuru {
namespace {

bool host_is(std::string_view host, std::string_view domain) {
    return host == domain || (host.size() > domain.size() && host.ends_with(domain) &&
                              host[host.size() - domain.size() - 1] == '.');
}

std::string port_text(std::uint16_t port) {
    return std::to_string(port);
}

std::string check_host(const HintInput& in) {
    return in.named_on_command_line ? "the host name" : "host = in the account";
}

// A failed lookup. Only the comparison with well-known names tells an offline
// machine (everything fails, whatever the resolver says) from a name that does
// not exist (NXDOMAIN for it alone): EAI_NONAME also comes from a resolver that
// only has /etc/hosts, and EAI_AGAIN also from one domain's broken servers.
std::optional<std::string> lookup_hint(const HintInput& in) {
    if (in.others_resolve == false) {
        return "this machine cannot resolve any name right now (well-known names fail too): "
               "check the network connection and the DNS servers (/etc/resolv.conf); a "
               "message sent now is kept and retried (exit 75)";
    }
    if (in.cause == Cause::resolver_failed) {
        std::string hint = "the DNS servers for " + in.host + " give no answer";
        if (in.others_resolve) hint += " while other names resolve";
        return hint +
               ": usually a passing fault at its DNS provider (messages are kept and "
               "retried); if it lasts, check " +
               check_host(in);
    }
    if (in.others_resolve) {
        return "the name " + in.host + " does not exist (other names resolve): check " +
               check_host(in);
    }
    return "the name " + in.host + " does not resolve: check " + check_host(in);
}

std::optional<std::string> connect_hint(const HintInput& in) {
    switch (in.cause) {
        case Cause::unresolvable:
        case Cause::resolver_failed:
            return lookup_hint(in);
        case Cause::refused:
            return "nothing listens on " + in.host + " port " + port_text(in.port) +
                   ": check host and port (submission is 587 with STARTTLS or 465 with "
                   "implicit TLS)";
        case Cause::timed_out: {
            std::string hint = "no answer from " + in.host + " port " + port_text(in.port) +
                               ": a firewall or the network drops it";
            if (in.port == 25) {
                hint +=
                    "; most ISPs block outgoing port 25 (OP25B): use the submission port "
                    "587 (STARTTLS) or 465 (implicit TLS)";
            } else {
                hint += " (some networks block outgoing mail ports)";
            }
            return hint;
        }
        case Cause::unreachable:
            return "this machine has no route to " + in.host + ": check the network connection";
        default:
            return std::nullopt;
    }
}

std::optional<std::string> certificate_hint(const HintInput& in) {
    switch (in.cause) {
        case Cause::pin_mismatch:
            return "the server presents a different certificate than the pinned one: if it "
                   "was renewed, check the new one (okuru --serverinfo) and update fingerprint";
        case Cause::certificate_wrong_name:
            return "the certificate does not name " + in.host +
                   ": set host to a name it covers (okuru --serverinfo shows the certificate)";
        case Cause::certificate_expired:
            return "the server's certificate has expired (or this machine's clock is wrong: "
                   "check the date)";
        case Cause::certificate_not_yet_valid:
            return "the certificate is not valid yet: check this machine's clock";
        case Cause::certificate_untrusted: {
            // Only an unknown issuer (a private CA, a self-signed server) is worth
            // trusting by hand. Revoked, badly signed or insecure certificates get
            // no advice that would switch the checks off: a pin replaces them all.
            std::string hint =
                "the certificate is not trusted by the system store: for a private CA set "
                "ca_file = \"/path/to/ca.pem\"";
            if (!in.presented_fingerprint.empty()) {
                hint += "; for a self-signed server you trust, pin it with fingerprint = \"" +
                        in.presented_fingerprint + "\" (compare it on the server first)";
            }
            return hint;
        }
        default:
            return std::nullopt;
    }
}

std::optional<std::string> login_refused_hint(const HintInput& in) {
    if (host_is(in.host, "gmail.com") || host_is(in.host, "googlemail.com")) {
        return "Gmail refused the login: use an app password (Google account, Security, "
               "2-Step Verification, App passwords) or OAuth2 (auth = [\"XOAUTH2\"], see "
               "the gmail examples)";
    }
    if (host_is(in.host, "office365.com") || host_is(in.host, "outlook.com")) {
        return "Microsoft refused the login: basic authentication is switched off for most "
               "accounts; use OAuth2 (auth = [\"XOAUTH2\"], see the microsoft365 example)";
    }
    return "the server refused the user name or password: check user and the password "
           "source (many providers want an app password, not the account password)";
}

std::optional<std::string> auth_hint(const HintInput& in) {
    switch (in.cause) {
        case Cause::plaintext_auth_refused:
            return "use tls = \"starttls\" or tls = \"implicit\" so that the password travels "
                   "encrypted";
        case Cause::no_auth_offered:
            return "the server offers no login here: check the port (submission is 587 or 465, "
                   "not 25) and that the server expects authentication";
        case Cause::external_without_certificate:
            return "EXTERNAL logs in with a TLS client certificate: set client_cert and "
                   "client_key";
        case Cause::no_credentials:
            return "give the account password_file, password_command or password (see "
                   "okuru.toml(5))";
        case Cause::oauth_token_failed:
            return "the token command failed: run it by hand to see why (oauth_token_command)";
        case Cause::mechanism_not_offered:
        case Cause::no_usable_mechanism:
            return "pin a mechanism the server offers with auth = [...] (okuru --serverinfo "
                   "lists them)";
        case Cause::login_refused:
            return login_refused_hint(in);
        default:
            return std::nullopt;
    }
}

}  // namespace

std::optional<std::string> hint_for(const HintInput& in) {
    switch (in.step) {
        case Step::connect:
            return connect_hint(in);
        case Step::tls_handshake:
            if (in.cause == Cause::tls_version_too_old) {
                return "the server only speaks TLS older than 1.2: ask its operator to upgrade; "
                       "okuru does not fall back";
            }
            return certificate_hint(in);
        case Step::pop_before_smtp:
            return certificate_hint(in);
        case Step::starttls:
            if (in.cause != Cause::no_starttls) return std::nullopt;
            return "the server offers no STARTTLS on port " + port_text(in.port) +
                   ": if this port expects implicit TLS (usually 465), use tls = \"implicit\"";
        case Step::auth:
        case Step::password:
            return auth_hint(in);
        default:
            return std::nullopt;
    }
}

}  // namespace okuru
