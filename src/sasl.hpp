// SMTP AUTH mechanisms (RFC 4954) through GNU SASL, plus XOAUTH2 and
// OAUTHBEARER (RFC 7628) built in. Knows nothing of SMTP framing: it chooses a
// mechanism and turns base64 challenges into base64 responses.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "secret.hpp"
#include "transport.hpp"

namespace okuru {

struct AuthConfig {
    std::string user;
    std::vector<std::string> mechanisms;  // pinned list, upper-case; empty: automatic
    bool allow_plaintext = false;         // credentials over an unencrypted link (LAN only)
    std::function<Secret()> password;     // called at most once, only when needed
    std::function<Secret()> oauth_token;  // XOAUTH2 / OAUTHBEARER bearer token
    std::string hostname;                 // server host name (DIGEST-MD5, GSSAPI, OAUTHBEARER)
    std::uint16_t port = 0;
};

// Mechanisms okuru can use here, strongest first (what libgsasl supports plus
// the built-in OAuth ones).
std::vector<std::string> available_mechanisms();

class SaslClient {
public:
    // Chooses the mechanism: the pinned list in its order, else the strongest
    // offered. Throws Error(Exit::unavailable) naming what the server offers and
    // what was wanted, or Error(Exit::noperm) when credentials would travel in
    // the clear.
    SaslClient(const AuthConfig& config, const std::vector<std::string>& offered,
               const Transport& transport);
    ~SaslClient();
    SaslClient(const SaslClient&) = delete;
    SaslClient& operator=(const SaslClient&) = delete;

    const std::string& mechanism() const;
    // Base64 initial response for "AUTH MECH IR" (RFC 4954 4: "=" for empty), or
    // nullopt when the mechanism must wait for a challenge.
    std::optional<std::string> initial_response();
    // Base64 challenge (from a 334 reply) -> base64 response. Throws Error.
    std::string step(std::string_view challenge_b64);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace okuru
