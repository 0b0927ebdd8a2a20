// What happens between the end of the TLS handshake and the first byte of
// application data: the certificate checks (or the pin that replaces them), and
// the facts -v shows so a user can check and pin the certificate.
#include <ctime>

#include "base/errors.hpp"
#include "base/log.hpp"
#include "net/tls_session.hpp"

namespace okuru::tls {
namespace {

std::string take_datum(gnutls_datum_t& d) {
    std::string s(reinterpret_cast<const char*>(d.data), d.size);
    gnutls_free(d.data);
    d.data = nullptr;
    return s;
}

std::string utc_time(time_t t) {
    if (t == time_t(-1)) return "unknown";
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

CertificatePtr import_der(const std::string& der) {
    gnutls_x509_crt_t crt = nullptr;
    if (gnutls_x509_crt_init(&crt) < 0) throw Error(Exit::software, "out of memory");
    CertificatePtr owned(crt);
    gnutls_datum_t d{reinterpret_cast<unsigned char*>(const_cast<char*>(der.data())),
                     static_cast<unsigned>(der.size())};
    if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0) return nullptr;
    return owned;
}

std::string sha256(const std::string& data) {
    unsigned char digest[32];
    gnutls_hash_fast(GNUTLS_DIG_SHA256, data.data(), data.size(), digest);
    return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

}  // namespace

std::string peer_certificate_der(gnutls_session_t session) {
    unsigned count = 0;
    const gnutls_datum_t* list = gnutls_certificate_get_peers(session, &count);
    if (!list || count == 0) return {};
    return std::string(reinterpret_cast<const char*>(list[0].data), list[0].size);
}

TlsDetails describe_session(gnutls_session_t session) {
    TlsDetails d;
    const char* version = gnutls_protocol_get_name(gnutls_protocol_get_version(session));
    d.version = version ? version : "unknown";
    const char* suite = gnutls_ciphersuite_get(session);
    d.cipher = suite ? suite : "unknown";

    const std::string der = peer_certificate_der(session);
    if (der.empty()) {
        throw Error(Exit::unavailable, "the server sent no certificate", Cause::no_certificate);
    }
    d.sha256 = colon_hex(sha256(der));
    CertificatePtr crt = import_der(der);
    if (!crt) return d;
    gnutls_datum_t dn{};
    if (gnutls_x509_crt_get_dn3(crt.get(), &dn, 0) >= 0) d.subject = log::escape(take_datum(dn));
    if (gnutls_x509_crt_get_issuer_dn3(crt.get(), &dn, 0) >= 0) {
        d.issuer = log::escape(take_datum(dn));
    }
    d.not_before = utc_time(gnutls_x509_crt_get_activation_time(crt.get()));
    d.not_after = utc_time(gnutls_x509_crt_get_expiration_time(crt.get()));
    return d;
}

namespace {

// Our own words for each bit (gnutls_certificate_verification_status_print is
// vaguer, e.g. about which name was expected).
const struct {
    unsigned bit;
    const char* text;
} status_words[] = {
    {GNUTLS_CERT_SIGNER_NOT_FOUND, "the certificate issuer is unknown"},
    {GNUTLS_CERT_SIGNER_NOT_CA, "the certificate's signer is not a CA"},
    {GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE,
     "the certificate violates its signer's constraints (name or path length)"},
    {GNUTLS_CERT_INSECURE_ALGORITHM,
     "the certificate chain uses an insecure algorithm or too small a key (a SHA-1 "
     "signature, or an RSA or DSA key under 2048 bits)"},
    {GNUTLS_CERT_SIGNATURE_FAILURE, "the certificate's signature is invalid"},
    {GNUTLS_CERT_REVOKED, "the certificate has been revoked"},
    {GNUTLS_CERT_EXPIRED, "the certificate has expired"},
    {GNUTLS_CERT_NOT_ACTIVATED, "the certificate is not yet activated"},
    {GNUTLS_CERT_PURPOSE_MISMATCH, "the certificate is not meant for a TLS server"},
    {GNUTLS_CERT_MISSING_OCSP_STATUS, "the server did not staple the required OCSP status"},
    {GNUTLS_CERT_INVALID_OCSP_STATUS, "the stapled OCSP status is invalid"},
    {GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED, "the revocation data is outdated"},
    {GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE, "the revocation data is from the future"},
    {GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS, "the certificate has an unknown critical extension"},
};

}  // namespace

Cause verify_status_cause(unsigned status) {
    if (status == 0) return Cause::none;
    if (status & GNUTLS_CERT_UNEXPECTED_OWNER) return Cause::certificate_wrong_name;
    if (status & GNUTLS_CERT_EXPIRED) return Cause::certificate_expired;
    if (status & GNUTLS_CERT_NOT_ACTIVATED) return Cause::certificate_not_yet_valid;
    // No advice that would switch the checks off fits these: a pin replaces them all.
    if (status &
        (GNUTLS_CERT_REVOKED | GNUTLS_CERT_SIGNATURE_FAILURE | GNUTLS_CERT_INSECURE_ALGORITHM)) {
        return Cause::certificate_forged;
    }
    if (status & GNUTLS_CERT_SIGNER_NOT_FOUND) return Cause::certificate_untrusted;
    for (const auto& entry : status_words) {
        if (status & entry.bit) return Cause::certificate_rejected;
    }
    return Cause::certificate_untrusted;  // "the certificate is not trusted"
}

std::string describe_verify_status(unsigned status, const std::string& host) {
    std::string out;
    auto add = [&out](const std::string& text) { out += (out.empty() ? "" : "; ") + text; };
    for (const auto& entry : status_words) {
        if (status & entry.bit) add(entry.text);
    }
    if (status & GNUTLS_CERT_UNEXPECTED_OWNER) {
        add("the certificate does not match the host name " + log::escape(host));
    }
    if (out.empty()) add("the certificate is not trusted");
    return out;
}

void Session::verify() {
    const std::string& host = context_->params().verify_host;
    // The certificate must be there before anything else is looked at.
    details_ = describe_session(session_.get());

    const std::string& pin = context_->pin();
    if (!pin.empty()) {
        const std::string got = details_.sha256;
        std::string got_hex, expected;
        for (char c : got) {
            if (c != ':') got_hex += c;
        }
        for (std::size_t i = 0; i < pin.size(); i += 2) {
            expected += (i ? ":" : "") + pin.substr(i, 2);
        }
        if (!constant_time_equal(pin, got_hex)) {
            throw Error(Exit::unavailable,
                        "certificate fingerprint mismatch for " + log::escape(host) +
                            ": expected " + expected + ", got " + got,
                        Cause::pin_mismatch);
        }
        return;  // the pin replaces CA, name and date checks (see TlsParams)
    }

    context_->add_system_roots_for(session_.get());
    unsigned status = 0;
    // Checks the chain against the trust store, the validity period, the host
    // name (RFC 6125; an address literal is matched against iPAddress entries),
    // the key sizes and signature algorithms of the session's verification
    // profile, and the key purpose: a certificate whose extended key usage does
    // not include TLS server authentication (RFC 5280 4.2.1.12; a client-only
    // certificate) is refused, whatever tls_priority says.
    gnutls_typed_vdata_st checks[2]{};
    checks[0].type = GNUTLS_DT_DNS_HOSTNAME;
    checks[0].data = reinterpret_cast<unsigned char*>(const_cast<char*>(host.c_str()));
    checks[1].type = GNUTLS_DT_KEY_PURPOSE_OID;
    checks[1].data = reinterpret_cast<unsigned char*>(const_cast<char*>(GNUTLS_KP_TLS_WWW_SERVER));
    int rc = gnutls_certificate_verify_peers(session_.get(), checks, 2, &status);
    if (rc < 0) {
        throw Error(
            Exit::unavailable,
            "certificate verification failed for " + log::escape(host) + ": " + gnutls_strerror(rc),
            Cause::certificate_rejected);
    }
    if (status != 0) {
        std::string why = describe_verify_status(status, host);
        if ((status & GNUTLS_CERT_SIGNER_NOT_FOUND) && details_.subject == details_.issuer) {
            why += " (the certificate is self-signed: trust it with ca_file or fingerprint)";
        }
        throw Error(Exit::unavailable,
                    "certificate verification failed for " + log::escape(host) + ": " + why,
                    verify_status_cause(status));
    }
}

}  // namespace okuru::tls
