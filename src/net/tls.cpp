// TLS context and session set-up (GnuTLS); the post-handshake checks are in
// tls_verify.cpp.
#include "net/tls.hpp"

#include <arpa/inet.h>

#include <cctype>

#include "base/errors.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "net/tls_session.hpp"

namespace okuru {

std::string_view tls_mode_name(TlsMode mode) {
    switch (mode) {
        case TlsMode::starttls:
            return "starttls";
        case TlsMode::implicit:
            return "implicit";
        case TlsMode::none:
            return "none";
    }
    return "";
}

std::optional<TlsMode> parse_tls_mode(std::string_view word) {
    for (TlsMode m : all_tls_modes)
        if (word == tls_mode_name(m)) return m;
    return std::nullopt;
}

std::string normalize_fingerprint(std::string_view text) {
    std::string_view body = text;
    if (body.size() > 7) {
        std::string prefix(body.substr(0, 7));
        for (char& c : prefix) c = char(std::tolower(static_cast<unsigned char>(c)));
        if (prefix == "sha256:") body.remove_prefix(7);
    }
    std::string hex;
    for (char c : body) {
        if (c == ':' || c == ' ' || c == '\t') continue;
        if (!std::isxdigit(static_cast<unsigned char>(c))) {
            throw Error(Exit::config, "fingerprint \"" + log::escape(text) +
                                          "\" is not hex (expected the SHA-256 of the "
                                          "certificate, colons optional)");
        }
        hex += char(std::tolower(static_cast<unsigned char>(c)));
    }
    if (hex.size() != 64) {
        throw Error(Exit::config, "fingerprint \"" + log::escape(text) + "\" has " +
                                      std::to_string(hex.size() / 2) +
                                      " bytes; a SHA-256 fingerprint has 32");
    }
    return hex;
}

std::string colon_hex(std::string_view bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) {
        if (!out.empty()) out += ':';
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

std::string effective_tls_priority(std::string_view configured) {
    std::string priority =
        configured.empty() ? std::string(default_tls_priority) : std::string(configured);
    const std::string upper = ascii_upper(priority);
    // GnuTLS's own switches that accept SHA-1, MD5, version 1 CAs or any broken
    // algorithm in a chain: no old server justifies them (a pin is the way to
    // trust one certificate whatever signed it).
    if (upper.find("%VERIFY_ALLOW") != std::string::npos) {
        throw Error(Exit::config, "tls_priority \"" + log::escape(priority) +
                                      "\" may not use %VERIFY_ALLOW_...: SHA-1 and broken "
                                      "signatures are never accepted (pin the certificate with "
                                      "fingerprint instead)");
    }
    if (upper.find("%PROFILE_") == std::string::npos) priority += ":%PROFILE_MEDIUM";
    return priority;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

namespace tls {
namespace {

std::string gnutls_text(int rc) {
    return gnutls_strerror(rc);
}

bool is_ip_literal(const std::string& host) {
    unsigned char buf[sizeof(in6_addr)];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 ||
           inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

Context::Context(const TlsParams& params) : params_(params) {
    if (!params_.fingerprint.empty()) pin_ = normalize_fingerprint(params_.fingerprint);

    gnutls_certificate_credentials_t creds = nullptr;
    if (gnutls_certificate_allocate_credentials(&creds) < 0) {
        throw Error(Exit::software, "cannot allocate TLS credentials");
    }
    creds_.reset(creds);

    int anchors = 0;
    if (params_.system_trust) {
        // Parsing every root costs more CPU than the rest of a submission; the
        // bundle is only indexed here and the roots a chain needs are parsed in
        // add_system_roots_for(). Where the bundle is not at Debian's path, GnuTLS
        // loads its own system store (a file elsewhere, or p11-kit) as before.
        const bool own = !params_.system_bundle.empty();
        bundle_ = RootBundle::load(own ? params_.system_bundle : system_bundle_path);
        if (bundle_) {
            anchors += int(bundle_->size());
            added_.assign(bundle_->size(), false);
        } else if (!own) {
            int n = gnutls_certificate_set_x509_system_trust(creds);
            if (n > 0) anchors += n;
        }
    }
    if (!params_.ca_file.empty()) {
        int n = gnutls_certificate_set_x509_trust_file(creds, params_.ca_file.c_str(),
                                                       GNUTLS_X509_FMT_PEM);
        if (n < 0) {
            throw Error(Exit::config,
                        "cannot load ca_file " + params_.ca_file + ": " + gnutls_text(n));
        }
        if (n == 0) {
            throw Error(Exit::config, "ca_file " + params_.ca_file + " holds no PEM certificates");
        }
        anchors += n;
    }
    // With a pin the chain is not consulted, so an empty store is fine then.
    if (anchors == 0 && pin_.empty()) {
        throw Error(Exit::config,
                    params_.system_trust
                        ? "no trusted CA certificates: install ca-certificates or set ca_file"
                        : "no trusted CA certificates: system_trust is false and no ca_file "
                          "is set");
    }

    if (params_.client_cert.empty() != params_.client_key.empty()) {
        throw Error(Exit::config, "client_cert and client_key must be set together");
    }
    if (!params_.client_cert.empty()) {
        const gnutls_datum_t pem{
            reinterpret_cast<unsigned char*>(const_cast<char*>(params_.client_pem.data())),
            static_cast<unsigned>(params_.client_pem.size())};
        int rc = params_.client_pem.empty()
                     ? gnutls_certificate_set_x509_key_file(creds, params_.client_cert.c_str(),
                                                            params_.client_key.c_str(),
                                                            GNUTLS_X509_FMT_PEM)
                     : gnutls_certificate_set_x509_key_mem(creds, &pem, &pem, GNUTLS_X509_FMT_PEM);
        if (rc < 0) {
            throw Error(Exit::config, "cannot load client certificate " + params_.client_cert +
                                          " with key " + params_.client_key + ": " +
                                          gnutls_text(rc));
        }
    }

    const std::string priority = effective_tls_priority(params_.priority);
    gnutls_priority_t prio = nullptr;
    const char* err_pos = nullptr;
    int rc = gnutls_priority_init(&prio, priority.c_str(), &err_pos);
    if (rc < 0) {
        // Named as the user wrote it: the profile okuru may have appended is ours.
        const std::string written =
            params_.priority.empty() ? std::string(default_tls_priority) : params_.priority;
        std::string where;
        if (rc == GNUTLS_E_INVALID_REQUEST && err_pos) {
            const auto at = static_cast<std::size_t>(err_pos - priority.c_str());
            if (at < written.size()) {
                where = " at position " + std::to_string(at + 1) + " (\"" +
                        log::escape(written.substr(at)) + "\")";
            }
        }
        throw Error(Exit::config, "invalid TLS priority string \"" + log::escape(written) + "\"" +
                                      where + ": " + gnutls_text(rc));
    }
    priority_.reset(prio);
}

void Context::add_system_roots_for(gnutls_session_t session) const {
    if (!bundle_) return;
    unsigned count = 0;
    const gnutls_datum_t* peers = gnutls_certificate_get_peers(session, &count);
    gnutls_x509_trust_list_t list = nullptr;
    gnutls_certificate_get_trust_list(creds_.get(), &list);
    auto add_named = [&](const gnutls_datum_t& name) {
        const std::string_view raw(reinterpret_cast<const char*>(name.data), name.size);
        for (std::size_t i : bundle_->with_subject(raw)) {
            if (added_[i]) continue;
            gnutls_x509_crt_t crt = nullptr;
            if (gnutls_x509_crt_init(&crt) < 0) throw Error(Exit::software, "out of memory");
            CertificatePtr owned(crt);
            const std::string der = bundle_->der(i);
            gnutls_datum_t d{reinterpret_cast<unsigned char*>(const_cast<char*>(der.data())),
                             static_cast<unsigned>(der.size())};
            if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0) continue;
            // On success the list owns the certificate.
            if (gnutls_x509_trust_list_add_cas(list, &crt, 1, 0) == 1) owned.release();
            added_[i] = true;
        }
    };
    // The names GnuTLS looks anchors up by (RFC 5280 6.1: the issuer of each
    // certificate; and a chain that includes a trusted certificate is cut there):
    // taken from GnuTLS's own parse, so they are the exact bytes it compares.
    for (unsigned i = 0; peers && i < count; ++i) {
        gnutls_x509_crt_t crt = nullptr;
        if (gnutls_x509_crt_init(&crt) < 0) throw Error(Exit::software, "out of memory");
        CertificatePtr owned(crt);
        if (gnutls_x509_crt_import(crt, &peers[i], GNUTLS_X509_FMT_DER) < 0) continue;
        gnutls_datum_t name{};
        if (gnutls_x509_crt_get_raw_issuer_dn(crt, &name) >= 0) {
            add_named(name);
            gnutls_free(name.data);
        }
        if (gnutls_x509_crt_get_raw_dn(crt, &name) >= 0) {
            add_named(name);
            gnutls_free(name.data);
        }
    }
}

Session::Session(std::shared_ptr<const Context> context, int fd) : context_(std::move(context)) {
    gnutls_session_t session = nullptr;
    // GNUTLS_NO_SIGNAL: send with MSG_NOSIGNAL, so a closed peer cannot SIGPIPE us.
    // GNUTLS_NO_TICKETS: a one-shot process never resumes, and without the
    // psk_key_exchange_modes extension a TLS 1.3 server sends no NewSessionTicket
    // (RFC 8446 4.2.9), which would otherwise delay its greeting.
    const unsigned flags = GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL | GNUTLS_NO_TICKETS;
    int rc = gnutls_init(&session, flags);
    if (rc < 0) throw Error(Exit::software, "cannot create TLS session: " + gnutls_text(rc));
    session_.reset(session);

    rc = gnutls_priority_set(session, context_->priority());
    if (rc >= 0) {
        rc = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, context_->credentials());
    }
    const std::string& host = context_->params().verify_host;
    // RFC 6066 3: SNI carries DNS names only, never an address literal.
    if (rc >= 0 && !host.empty() && !is_ip_literal(host)) {
        rc = gnutls_server_name_set(session, GNUTLS_NAME_DNS, host.data(), host.size());
    }
    if (rc < 0) throw Error(Exit::software, "cannot set up TLS session: " + gnutls_text(rc));
    gnutls_transport_set_int(session, fd);
}

namespace {

// Most often a server that offers only key exchanges without forward secrecy.
constexpr const char no_common_suite_hint[] =
    " (no cipher suite in common? okuru requires forward secrecy: an ECDHE or DHE key "
    "exchange; an old server that knows only static RSA needs \"+RSA\" in tls_priority)";

}  // namespace

void Session::fail_handshake(int rc, const std::string& peer) const {
    const std::string what = "TLS handshake with " + peer + " failed: ";
    switch (rc) {
        case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
            throw Error(Exit::unavailable,
                        what +
                            "the server's TLS version is not acceptable (TLS 1.2 or later "
                            "is required unless tls_priority allows older ones)",
                        Cause::tls_version_too_old);
        case GNUTLS_E_FATAL_ALERT_RECEIVED: {
            const auto alert = gnutls_alert_get(session_.get());
            if (alert == GNUTLS_A_PROTOCOL_VERSION) {
                throw Error(Exit::unavailable,
                            what +
                                "the server's TLS version is not acceptable (the server "
                                "refused TLS 1.2 and later: protocol_version alert)",
                            Cause::tls_version_too_old);
            }
            const char* name = gnutls_alert_get_name(alert);
            std::string why =
                what + "the server sent the alert \"" + (name ? name : "unknown") + "\"";
            // What a server that only knows static RSA key exchange answers our
            // offer (RFC 5246 7.4.1.3: no acceptable choice -> handshake_failure).
            if (alert == GNUTLS_A_HANDSHAKE_FAILURE || alert == GNUTLS_A_INSUFFICIENT_SECURITY)
                why += no_common_suite_hint;
            throw Error(Exit::unavailable, why, Cause::tls_alert);
        }
        case GNUTLS_E_PUSH_ERROR:
        case GNUTLS_E_PULL_ERROR:
        case GNUTLS_E_PREMATURE_TERMINATION:
            throw Error(Exit::tempfail, what + "connection lost: " + gnutls_text(rc),
                        Cause::connection_lost);
        case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
        case GNUTLS_E_UNEXPECTED_PACKET:
        case GNUTLS_E_UNEXPECTED_HANDSHAKE_PACKET:
            throw Error(Exit::protocol,
                        what + "the server does not speak TLS here (" + gnutls_text(rc) +
                            "); is the port meant for STARTTLS rather than implicit TLS?",
                        Cause::not_tls);
        case GNUTLS_E_NO_CIPHER_SUITES:
        case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
        case GNUTLS_E_NO_PRIORITIES_WERE_SET:
            throw Error(Exit::unavailable, what + "no cipher suite in common (" + gnutls_text(rc) +
                                               ")" + no_common_suite_hint);
        default:
            throw Error(Exit::unavailable, what + gnutls_text(rc));
    }
}

std::optional<ChannelBinding> Session::channel_binding() const {
    // RFC 9266: tls-exporter on TLS 1.3; tls-unique (RFC 5929) is only defined for
    // TLS 1.2 and earlier.
    const bool tls13 = gnutls_protocol_get_version(session_.get()) == GNUTLS_TLS1_3;
    const auto type = tls13 ? GNUTLS_CB_TLS_EXPORTER : GNUTLS_CB_TLS_UNIQUE;
    gnutls_datum_t data{};
    if (gnutls_session_channel_binding(session_.get(), type, &data) < 0) return std::nullopt;
    ChannelBinding cb{tls13 ? "tls-exporter" : "tls-unique",
                      std::string(reinterpret_cast<const char*>(data.data), data.size)};
    gnutls_free(data.data);
    return cb;
}

bool Session::sent_client_certificate() const {
    return gnutls_certificate_get_ours(session_.get()) != nullptr;
}

}  // namespace tls
}  // namespace okuru
