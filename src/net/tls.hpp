// TLS client settings and the GnuTLS session (RAII), with certificate checks:
// system trust store (plus an optional CA file), host name of the configured
// host (never a DNS-derived name), SNI, TLS 1.2 minimum, optional SHA-256 pin.
// The GnuTLS handles themselves live in tls_session.hpp (used by the transport).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace okuru {

// How a connection gets its TLS: STARTTLS after the greeting (RFC 3207), at once
// (RFC 8314 implicit TLS), or not at all (a LAN relay; never with a password
// unless the configuration says so explicitly).
enum class TlsMode { starttls, implicit, none };
inline constexpr std::array<TlsMode, 3> all_tls_modes{TlsMode::starttls, TlsMode::implicit,
                                                      TlsMode::none};

// The one name table for the modes: "starttls", "implicit", "none" (configuration,
// --tls, --pretend, log records).
std::string_view tls_mode_name(TlsMode mode);
std::optional<TlsMode> parse_tls_mode(std::string_view word);

// TLS 1.2 minimum; GnuTLS's NORMAL set otherwise, without static RSA key
// exchange (no forward secrecy: a stolen server key would decrypt every recorded
// session, password included; RFC 9325 4.1), and the MEDIUM verification
// profile (112-bit security: RSA and DSA keys of 2048 bits, elliptic curves of
// 256 bits and DH groups of 2048 bits at least, in the whole chain; RFC 9325 4.5).
inline constexpr std::string_view default_tls_priority =
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-RSA:%PROFILE_MEDIUM";

// The priority string a session uses: `configured` (empty: the default), with
// %PROFILE_MEDIUM appended when it names no verification profile, so that
// widening versions or ciphers does not also accept weak keys unless a profile
// (%PROFILE_LOW) says so. The keywords that would accept SHA-1 or broken
// signatures (%VERIFY_ALLOW_SIGN_WITH_SHA1, %VERIFY_ALLOW_BROKEN, ...) are refused:
// Error(Exit::config). The key purpose is checked in code (Session::verify) and
// cannot be changed by any string.
std::string effective_tls_priority(std::string_view configured);

struct TlsParams {
    // The configured host name: SNI and name check. Empty: the host connected to
    // (open_connection fills it in). May differ from the host connected to, e.g. a
    // connection to 127.0.0.1 that must present a certificate for "mail.example".
    std::string verify_host;
    std::string ca_file;  // extra PEM trust anchors
    bool system_trust = true;
    // The PEM bundle system_trust reads; empty: the system's (tls_roots.hpp). Only
    // tests set it, to prove the root lookup with a CA of their own.
    std::string system_bundle;
    // SHA-256 pin of the leaf certificate (hex, colons optional); empty: none.
    // A pin REPLACES the CA, host name and validity-period checks, as in msmtp: the
    // user has named the exact certificate (the usual case is a self-signed LAN
    // server whose name or dates would not verify anyway).
    std::string fingerprint;
    std::string priority;                 // GnuTLS priority string; empty: default_tls_priority
    std::string client_cert, client_key;  // PEM files; empty: none
    // Set: the certificate and key (PEM, both in one text) the caller already read
    // (setgid use: with the privilege); the files are then not opened. Not owned.
    std::string_view client_pem;
};

// A pin as 64 lower-case hex digits: colons, spaces and case are ignored, and an
// optional "sha256:" prefix is dropped. Throws Error(Exit::config) unless it is
// exactly 32 bytes of hex.
std::string normalize_fingerprint(std::string_view text);

// Colon-separated lower-case hex ("ab:cd:..."), as -v shows fingerprints.
std::string colon_hex(std::string_view bytes);

// Compares two equal-length strings without an early exit (pins are not secret,
// but this keeps the comparison's timing independent of where they differ).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace okuru
