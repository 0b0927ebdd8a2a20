// SMTP AUTH mechanisms (RFC 4954) through GNU SASL, plus XOAUTH2 and
// OAUTHBEARER (RFC 7628) built in. Knows nothing of SMTP framing: it chooses a
// mechanism and turns base64 challenges into base64 responses.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/secret.hpp"
#include "net/transport.hpp"

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

// The mechanism SaslClient would choose, without fetching any secret (for
// --serverinfo and --check). Throws as SaslClient's constructor does.
std::string preview_mechanism(const AuthConfig& config, const std::vector<std::string>& offered,
                              const Transport& transport);

class SaslClient {
  public:
    // Chooses the mechanism: the pinned list in its order, else the strongest
    // offered. Throws Error(Exit::unavailable) naming what the server offers and
    // what was wanted, or when credentials would travel in the clear ("refusing to
    // send credentials over an unencrypted connection to HOST ..."), and
    // Error(Exit::config) when the account has no credentials at all. Neither
    // password nor token is fetched here.
    SaslClient(const AuthConfig& config, const std::vector<std::string>& offered,
               const Transport& transport);
    ~SaslClient();
    SaslClient(const SaslClient&) = delete;
    SaslClient& operator=(const SaslClient&) = delete;

    const std::string& mechanism() const;
    // Base64 initial response for "AUTH MECH IR" (RFC 4954 4: "=" for empty), or
    // nullopt when the mechanism must wait for a challenge.
    std::optional<std::string> initial_response();
    // Base64 challenge (from a 334 reply) -> base64 response ("" for an empty
    // line). Throws Error(Exit::protocol) for a malformed challenge or a wrong
    // SCRAM server signature, and whatever the password source throws.
    std::string step(std::string_view challenge_b64);

    // Call on 235: throws Error(Exit::protocol) if the server claims success
    // before SCRAM's server signature was verified (RFC 5802 3).
    void finish() const;
    // For XOAUTH2 / OAUTHBEARER: the server's error challenge (JSON, escaped),
    // empty if none came; worth adding to the "authentication failed" message.
    const std::string& server_error() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace okuru
