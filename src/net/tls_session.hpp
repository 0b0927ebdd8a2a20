// The GnuTLS side of the transport: RAII handles, the client context loaded from
// TlsParams before any connection (trust anchors, client certificate, priority),
// one client session per connection, and the checks made after the handshake
// and before any application data (certificate, pin), plus what -v shows.
#pragma once

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "base/errors.hpp"
#include "net/tls.hpp"
#include "net/tls_roots.hpp"
#include "net/transport.hpp"

namespace okuru::tls {

template <typename Handle, void (*Free)(Handle)>
struct HandleFree {
    void operator()(Handle h) const noexcept { Free(h); }
};
template <typename Handle, void (*Free)(Handle)>
using HandlePtr = std::unique_ptr<std::remove_pointer_t<Handle>, HandleFree<Handle, Free>>;

using CredentialsPtr =
    HandlePtr<gnutls_certificate_credentials_t, gnutls_certificate_free_credentials>;
using PriorityPtr = HandlePtr<gnutls_priority_t, gnutls_priority_deinit>;
using SessionPtr = HandlePtr<gnutls_session_t, gnutls_deinit>;
using CertificatePtr = HandlePtr<gnutls_x509_crt_t, gnutls_x509_crt_deinit>;

// Everything that can be checked without a connection: loaded once per host.
class Context {
  public:
    // Throws Error(Exit::config) for an unreadable CA file, client certificate or key,
    // a bad priority string or pin, or when no trust anchor is left at all.
    explicit Context(const TlsParams& params);

    gnutls_certificate_credentials_t credentials() const { return creds_.get(); }
    gnutls_priority_t priority() const { return priority_.get(); }
    const TlsParams& params() const { return params_; }
    const std::string& pin() const { return pin_; }  // normalised; empty: none

    // Before the chain is verified: moves the system roots whose subject is the
    // subject or issuer of a certificate the server presented into the trust list.
    // GnuTLS finds anchors only by those names, so this is the whole system store
    // as far as this chain is concerned, parsed for a handful of roots instead of
    // ~150. Mutates the credentials (logically const: the set of roots that can
    // verify a chain is unchanged).
    void add_system_roots_for(gnutls_session_t session) const;

  private:
    TlsParams params_;
    CredentialsPtr creds_;
    PriorityPtr priority_;
    std::string pin_;
    std::optional<RootBundle> bundle_;  // system_trust read lazily; nullopt: GnuTLS's own
    mutable std::vector<bool> added_;   // per bundle root: already in the trust list
};

// A client session over a connected socket; the caller drives the handshake
// (non-blocking, with its own deadline) and then calls verify().
class Session {
  public:
    // Throws Error(Exit::software) if GnuTLS cannot set the session up.
    Session(std::shared_ptr<const Context> context, int fd);

    gnutls_session_t get() const { return session_.get(); }

    // After a successful gnutls_handshake(): the pin, or the certificate chain, host
    // name and validity. Throws Error(Exit::unavailable) naming the failed check.
    void verify();

    // Turns a fatal gnutls_handshake() code into an Error that says what went wrong.
    [[noreturn]] void fail_handshake(int rc, const std::string& peer) const;

    const TlsDetails& details() const { return details_; }
    std::optional<ChannelBinding> channel_binding() const;
    bool sent_client_certificate() const;

  private:
    std::shared_ptr<const Context> context_;
    SessionPtr session_;
    TlsDetails details_;
};

// Version, cipher suite and leaf certificate facts of an established session.
// Throws Error(Exit::unavailable) if the server sent no certificate.
TlsDetails describe_session(gnutls_session_t session);

// The leaf certificate (DER) the server sent; empty if none.
std::string peer_certificate_der(gnutls_session_t session);

// The verification status bits in words, "; "-separated, host named where relevant.
std::string describe_verify_status(unsigned status, const std::string& host);

// The one cause a failed verification status stands for, the most specific
// first: wrong name, expired, not yet valid, forged (revoked, bad signature,
// insecure algorithm), untrusted (unknown issuer, or no bit okuru knows), else
// certificate_rejected. none for status 0.
Cause verify_status_cause(unsigned status);

}  // namespace okuru::tls
