// hint_for(): from a failed step of --check to one line of advice. Kept apart
// from the probing so that each rule can be tested on its own.
#include <string_view>

#include "app/diagnose.hpp"

namespace okuru {
namespace {

bool has(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

bool host_is(std::string_view host, std::string_view domain) {
    return host == domain || (host.size() > domain.size() && host.ends_with(domain) &&
                              host[host.size() - domain.size() - 1] == '.');
}

std::string port_text(std::uint16_t port) {
    return std::to_string(port);
}

std::optional<std::string> connect_hint(const HintInput& in) {
    if (in.code == Exit::nohost) {
        return "the name " + in.host + " does not resolve: check " +
               (in.named_on_command_line ? "the host name" : "host = in the account");
    }
    if (has(in.message, "Connection refused")) {
        return "nothing listens on " + in.host + " port " + port_text(in.port) +
               ": check host and port (submission is 587 with STARTTLS or 465 with "
               "implicit TLS)";
    }
    if (has(in.message, "timed out")) {
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
    if (has(in.message, "Network is unreachable") || has(in.message, "No route to host"))
        return "this machine has no route to " + in.host + ": check the network connection";
    return std::nullopt;
}

std::optional<std::string> certificate_hint(const HintInput& in) {
    if (has(in.message, "fingerprint mismatch")) {
        return "the server presents a different certificate than the pinned one: if it "
               "was renewed, check the new one (okuru --serverinfo) and update fingerprint";
    }
    if (has(in.message, "does not match the host name")) {
        return "the certificate does not name " + in.host +
               ": set host to a name it covers (okuru --serverinfo shows the certificate)";
    }
    if (has(in.message, "expired")) {
        return "the server's certificate has expired (or this machine's clock is wrong: "
               "check the date)";
    }
    if (has(in.message, "not yet")) {
        return "the certificate is not valid yet: check this machine's clock";
    }
    // Only an unknown issuer (a private CA, a self-signed server) is worth trusting
    // by hand. Revoked, badly signed or insecure certificates get no advice that
    // would switch the checks off: a pin replaces them all.
    if (has(in.message, "revoked") || has(in.message, "signature is invalid") ||
        has(in.message, "insecure algorithm") ||
        (!has(in.message, "issuer is unknown") && !has(in.message, "is not trusted")))
        return std::nullopt;
    std::string hint =
        "the certificate is not trusted by the system store: for a private CA set "
        "ca_file = \"/path/to/ca.pem\"";
    if (!in.presented_fingerprint.empty()) {
        hint += "; for a self-signed server you trust, pin it with fingerprint = \"" +
                in.presented_fingerprint + "\" (compare it on the server first)";
    }
    return hint;
}

bool certificate_failure(const HintInput& in) {
    return (in.step == "TLS handshake" || in.step == "POP-before-SMTP") &&
           (has(in.message, "certificate verification failed") ||
            has(in.message, "fingerprint mismatch"));
}

std::optional<std::string> auth_hint(const HintInput& in) {
    if (has(in.message, "over an unencrypted connection"))
        return "use tls = \"starttls\" or tls = \"implicit\" so that the password travels "
               "encrypted";
    if (has(in.message, "does not offer AUTH")) {
        return "the server offers no login here: check the port (submission is 587 or 465, "
               "not 25) and that the server expects authentication";
    }
    if (has(in.message, "EXTERNAL"))
        return "EXTERNAL logs in with a TLS client certificate: set client_cert and client_key";
    if (has(in.message, "no credentials for AUTH"))
        return "give the account password_file, password_command or password (see okuru.toml(5))";
    if (has(in.message, "OAuth token of account"))
        return "the token command failed: run it by hand to see why (oauth_token_command)";
    if (has(in.message, "not offered") || has(in.message, "no usable mechanism"))
        return "pin a mechanism the server offers with auth = [...] (okuru --serverinfo lists "
               "them)";
    if (in.code != Exit::noperm) return std::nullopt;
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

}  // namespace

std::optional<std::string> hint_for(const HintInput& in) {
    const std::string& step = in.step;
    if (step == "connect") return connect_hint(in);
    if (certificate_failure(in)) return certificate_hint(in);
    if (step == "STARTTLS" && has(in.message, "does not offer STARTTLS")) {
        return "the server offers no STARTTLS on port " + port_text(in.port) +
               ": if this port expects implicit TLS (usually 465), use tls = \"implicit\"";
    }
    if (step == "TLS handshake" && has(in.message, "TLS version is not acceptable")) {
        return "the server only speaks TLS older than 1.2: ask its operator to upgrade; "
               "okuru does not fall back";
    }
    if (step == "AUTH" || step == "password") return auth_hint(in);
    return std::nullopt;
}

}  // namespace okuru
