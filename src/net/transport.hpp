// The byte stream an SMTP session talks over. The session is written against
// this interface, so the same code runs over TCP+TLS for real and over a
// scripted peer in tests.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace okuru {

using Clock = std::chrono::steady_clock;

// What -v shows after a handshake, so a user can check and pin the certificate.
struct TlsDetails {
    std::string version;  // "TLS1.3"
    std::string cipher;   // "TLS_AES_256_GCM_SHA384"
    std::string subject, issuer;
    std::string not_before, not_after;  // "2026-11-23 10:00:00 UTC"
    std::string sha256;                 // "ab:cd:..." fingerprint of the leaf certificate
};

// RFC 5929 / RFC 9266 channel binding for SCRAM-*-PLUS.
struct ChannelBinding {
    std::string type;  // "tls-exporter" (TLS 1.3) or "tls-unique" (TLS 1.2)
    std::string data;  // raw bytes
};

class Transport {
  public:
    virtual ~Transport() = default;

    // Sends all of `data` as one flight (one send / one TLS record where it fits).
    // Throws Error(Exit::tempfail) if the connection fails.
    virtual void write(std::string_view data) = 0;

    // Reads what is available, up to buf.size(), waiting at most until `deadline`.
    // Returns 0 at end of stream. Throws Error(Exit::tempfail) on timeout or error.
    virtual std::size_t read(std::span<char> buf, Clock::time_point deadline) = 0;

    // Performs the TLS handshake now (after STARTTLS's 220, or at once for implicit
    // TLS) and verifies the peer. Throws Error(Exit::unavailable) naming the failed
    // check, Error(Exit::tempfail) for network trouble.
    virtual void start_tls(Clock::time_point deadline) = 0;

    virtual bool secure() const = 0;
    virtual std::optional<TlsDetails> tls_details() const { return std::nullopt; }
    // The certificate the server presented, also when its verification failed and
    // the handshake was abandoned (--serverinfo shows it; nothing trusts it).
    virtual std::optional<TlsDetails> presented_certificate() const { return tls_details(); }
    virtual std::optional<ChannelBinding> channel_binding() const { return std::nullopt; }
    virtual bool has_client_certificate() const { return false; }

    // "smtp.example.net[192.0.2.1]:587", for messages.
    virtual std::string peer_name() const = 0;
};

}  // namespace okuru
