// Pieces of the SASL module that need no libgsasl session: strict base64, the
// XOAUTH2 / OAUTHBEARER client messages, and the mechanism choice. Split out of
// sasl.cpp so the tests can drive them directly (e.g. a library without GSSAPI).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace okuru::sasl_detail {

// Overwrites the bytes (explicit_bzero, not optimised away) and empties the string.
void wipe(std::string& s) noexcept;

std::string base64_encode(std::string_view raw);
// Strict RFC 4648 base64: nullopt on any byte outside the alphabet or bad padding.
std::optional<std::string> base64_decode(std::string_view text);

// Google's XOAUTH2 client message (raw, not base64):
// "user=" USER ^A "auth=Bearer " TOKEN ^A ^A.
std::string xoauth2_message(std::string_view user, std::string_view token);

// RFC 7628 3.1 client initial response (raw): gs2 header "n,a=USER," then
// ^A "host=" HOST ^A "port=" PORT ^A "auth=Bearer " TOKEN ^A ^A. host is left out
// when empty, port when 0. USER is escaped as an RFC 5801 saslname ("," and "=").
std::string oauthbearer_message(std::string_view user, std::string_view host, std::uint16_t port,
                                std::string_view token);

// What the mechanism choice depends on (see choose_mechanism).
struct ChoiceInput {
    std::vector<std::string> pinned;   // as configured (any case); empty: automatic
    std::vector<std::string> offered;  // the server's EHLO AUTH list (any case)
    bool secure = false;               // TLS is up
    bool allow_plaintext = false;      // insecure_allow_plaintext_auth
    bool has_password = false;
    bool has_oauth_token = false;
    bool has_client_certificate = false;
    bool has_channel_binding = false;
    std::string host;  // for messages
    // Whether libgsasl has a client for this (upper-case) name.
    std::function<bool(const std::string&)> library_supports;
};

// The mechanism to use (upper-case). Throws Error(Exit::unavailable) when
// credentials would travel in the clear or nothing usable is offered, and
// Error(Exit::config) when the account has no credentials at all.
std::string choose_mechanism(const ChoiceInput& in);

// Mechanisms okuru drives, in the order available_mechanisms() reports them.
const std::vector<std::string>& known_mechanisms();

bool is_builtin(std::string_view mech);  // XOAUTH2, OAUTHBEARER
bool needs_password(std::string_view mech);

}  // namespace okuru::sasl_detail
