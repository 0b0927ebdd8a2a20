// SMTP AUTH (RFC 4954) framing around SaslClient. Credentials are only sent over
// TLS (or with the explicitly named LAN override), and no payload in either
// direction is ever logged.
#include <memory>

#include "base/errors.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "sasl/sasl.hpp"
#include "smtp/smtp_internal.hpp"

namespace okuru::smtp {
namespace {

// RFC 4954 4: the AUTH command with its initial response must fit in 512 octets
// (RFC 5321 4.5.3.1.4); otherwise the response waits for an empty 334 challenge.
constexpr std::size_t max_auth_line = 510;
// A SASL exchange is a handful of steps; a server that keeps sending 334 is broken.
constexpr int max_steps = 16;

}  // namespace

std::string authenticate(Conversation& c) {
    const AuthConfig& auth = *c.config.auth;
    if (!c.transport.secure() && !auth.allow_plaintext) {
        // Policy, not a rejected login: the same Exit::unavailable as SaslClient uses.
        throw Error(Exit::unavailable,
                    "refusing to send the credentials of " + auth.user +
                        " over an unencrypted connection to " + c.config.server +
                        " (use tls = \"starttls\" or \"implicit\"; "
                        "insecure_allow_plaintext_auth is for a trusted LAN only)",
                    Cause::plaintext_auth_refused);
    }
    if (c.caps.auth.empty()) {
        throw Error(
            Exit::unavailable,
            "server " + c.config.server + " does not offer AUTH; cannot log in as " + auth.user,
            Cause::no_auth_offered);
    }
    SaslClient sasl(auth, c.caps.auth, c.transport);
    const std::string command = "AUTH " + sasl.mechanism();

    std::optional<std::string> pending = sasl.initial_response();
    if (pending && pending->empty()) pending = "=";  // RFC 4954 4: empty initial response
    std::string flight;
    if (pending && command.size() + 1 + pending->size() <= max_auth_line) {
        Conversation::add_secret(flight, command + " " + *pending,
                                 command + " [initial response redacted]");
        pending.reset();
    } else {
        Conversation::add(flight, command);
    }
    c.write(flight, command);

    for (int step = 0; step < max_steps; ++step) {
        const Reply r = c.read(command, true);
        if (r.code == 235) {
            // SCRAM: success only counts once the server proved it knows the
            // password too (RFC 5802 5: server signature).
            sasl.finish();
            log::info("authenticated as " + auth.user + " with " + sasl.mechanism());
            return sasl.mechanism();
        }
        if (r.code != 334) {
            if (r.positive()) {
                throw Error(Exit::protocol, command + ": unexpected reply " + r.str());
            }
            if (!r.transient()) c.quit_quietly();
            if (!sasl.server_error().empty()) {
                // OAuth servers explain a refusal in a JSON challenge (RFC 7628 3.2.2).
                try {
                    reject(r, command, Stage::auth);
                } catch (const Error& e) {
                    throw Error(
                        e.code(),
                        std::string(e.what()) + " (server said: " + sasl.server_error() + ")",
                        e.cause());
                }
            }
            reject(r, command, Stage::auth);
        }
        std::string response;
        if (pending) {
            // The initial response that did not fit on the AUTH line answers the
            // first (empty) challenge.
            response = std::move(*pending);
            pending.reset();
        } else {
            const std::string challenge = r.lines.empty() ? "" : r.lines.front();
            response = sasl.step(challenge);
        }
        flight.clear();
        Conversation::add_secret(flight, response, "[SASL response redacted]");
        c.write(flight, command);
    }
    throw Error(Exit::protocol, command + ": server sent more than " + std::to_string(max_steps) +
                                    " challenges (server offers AUTH " + join(c.caps.auth, " ") +
                                    ")");
}

}  // namespace okuru::smtp
