// Which SASL mechanism to use with a server (see sasl_internal.hpp).
#include <algorithm>

#include "base/errors.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "sasl/sasl_internal.hpp"

namespace okuru::sasl_detail {
namespace {

std::vector<std::string> upper_all(const std::vector<std::string>& list) {
    std::vector<std::string> out;
    out.reserve(list.size());
    for (const auto& s : list) out.push_back(ascii_upper(s));
    return out;
}

bool contains(const std::vector<std::string>& list, std::string_view s) {
    return std::find(list.begin(), list.end(), s) != list.end();
}

bool is_plus(std::string_view mech) {
    return mech.ends_with("-PLUS");
}

std::string offered_text(const std::vector<std::string>& offered) {
    if (offered.empty()) return "server offers no AUTH mechanism";
    return "server offers AUTH " + log::escape(join(offered, " "));
}

// Why a mechanism cannot be used here: empty text when it can.
struct Unusable {
    std::string text;
    Cause cause = Cause::no_usable_mechanism;
};

Unusable unusable_reason(const ChoiceInput& in, const std::string& mech) {
    if (!contains(known_mechanisms(), mech)) return {"okuru does not support " + log::escape(mech)};
    if (!is_builtin(mech) && !in.library_supports(mech)) return {"GNU SASL lacks " + mech};
    if (is_plus(mech) && !in.has_channel_binding) {
        return {mech + " needs TLS channel binding (tls-exporter or tls-unique)"};
    }
    if (needs_password(mech) && !in.has_password) return {mech + " needs a password"};
    if (is_builtin(mech) && !in.has_oauth_token) return {mech + " needs oauth_token_command"};
    if (mech == "EXTERNAL" && !in.has_client_certificate) {
        return {"EXTERNAL needs a TLS client certificate (client_cert)",
                Cause::external_without_certificate};
    }
    return {};
}

// The automatic preference list for this account and link, strongest first.
std::vector<std::string> automatic_order(const ChoiceInput& in) {
    std::vector<std::string> order;
    if (in.secure) {
        // A bearer token or a client certificate is what the account is set up
        // for when configured; they never reveal the password.
        if (in.has_oauth_token) order.insert(order.end(), {"OAUTHBEARER", "XOAUTH2"});
        if (in.has_client_certificate && !in.has_password) order.push_back("EXTERNAL");
    }
    if (!in.has_password) return order;
    if (in.secure) {
        if (in.has_channel_binding) {
            order.insert(order.end(), {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS"});
        }
        // PLAIN and LOGIN inside verified TLS come before CRAM-MD5 and DIGEST-MD5:
        // TLS already hides the password from the network, and those legacy
        // challenge-response mechanisms make the server keep a plaintext-equivalent
        // secret (the stored MD5 key logs in as well as the password does), are
        // built on MD5, and DIGEST-MD5 is historic (RFC 6331). PLAIN lets the
        // server keep only a salted hash. LOGIN needs two more round trips.
        order.insert(order.end(),
                     {"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5"});
    } else {
        // Without TLS (allowed only by insecure_allow_plaintext_auth) only
        // mechanisms that never put the password itself on the wire; a bearer
        // token would be as exposed as a PLAIN password, so OAuth needs pinning too.
        order.insert(order.end(), {"SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "DIGEST-MD5"});
    }
    return order;
}

}  // namespace

const std::vector<std::string>& known_mechanisms() {
    static const std::vector<std::string> known = {
        "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1", "GSSAPI",
        "EXTERNAL",           "OAUTHBEARER",      "XOAUTH2",       "PLAIN",       "LOGIN",
        "CRAM-MD5",           "DIGEST-MD5",
    };
    return known;
}

bool is_builtin(std::string_view mech) {
    return mech == "XOAUTH2" || mech == "OAUTHBEARER";
}

bool needs_password(std::string_view mech) {
    return mech.starts_with("SCRAM-") || mech == "PLAIN" || mech == "LOGIN" || mech == "CRAM-MD5" ||
           mech == "DIGEST-MD5";
}

std::string choose_mechanism(const ChoiceInput& in) {
    if (!in.secure && !in.allow_plaintext) {
        throw Error(Exit::unavailable,
                    "refusing to send credentials over an unencrypted connection to " +
                        log::escape(in.host) +
                        " (set insecure_allow_plaintext_auth only for a trusted LAN server)",
                    Cause::plaintext_auth_refused);
    }
    const std::vector<std::string> offered = upper_all(in.offered);
    const std::vector<std::string> pinned = upper_all(in.pinned);

    if (!pinned.empty()) {
        std::vector<std::string> reasons;
        Cause cause = Cause::no_usable_mechanism;
        bool any_offered = false;
        for (const auto& mech : pinned) {
            if (!contains(offered, mech)) continue;
            any_offered = true;
            Unusable why = unusable_reason(in, mech);
            if (why.text.empty()) return mech;
            // A missing client certificate is the one reason with its own advice.
            if (why.cause != Cause::no_usable_mechanism) cause = why.cause;
            reasons.push_back(std::move(why.text));
        }
        if (!any_offered) {
            throw Error(Exit::unavailable,
                        offered_text(in.offered) + "; configured mechanisms [" +
                            log::escape(join(pinned, ", ")) + "] not offered",
                        Cause::mechanism_not_offered);
        }
        throw Error(Exit::unavailable, "no usable mechanism: " + join(reasons, "; "), cause);
    }

    if (!in.has_password && !in.has_oauth_token && !in.has_client_certificate) {
        throw Error(Exit::config,
                    "no credentials for AUTH: the account needs a password, an "
                    "oauth_token_command or a client certificate",
                    Cause::no_credentials);
    }
    const std::vector<std::string> order = automatic_order(in);
    for (const auto& mech : order) {
        if (contains(offered, mech) && unusable_reason(in, mech).text.empty()) return mech;
    }
    std::string msg = offered_text(in.offered) + "; no usable mechanism";
    msg += order.empty() ? std::string(" for this account")
                         : " (okuru would use " + join(order, ", ") + ")";
    if (!in.secure && (contains(offered, "PLAIN") || contains(offered, "LOGIN"))) {
        msg += "; PLAIN and LOGIN are never chosen automatically over an unencrypted connection";
    }
    // A server that offers EXTERNAL expects a client certificate this account lacks.
    const bool wants_certificate = contains(offered, "EXTERNAL") && !in.has_client_certificate;
    throw Error(
        Exit::unavailable, msg,
        wants_certificate ? Cause::external_without_certificate : Cause::no_usable_mechanism);
}

}  // namespace okuru::sasl_detail
