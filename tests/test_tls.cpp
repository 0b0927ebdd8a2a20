// tls: real handshakes against an in-process GnuTLS server on 127.0.0.1 with a
// throwaway PKI. Every bad certificate must fail with Exit::unavailable, name
// the failed check, and leave the server without a byte of application data.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "net/net.hpp"
#include "net/tls_roots.hpp"
#include "net/tls_session.hpp"
#include "net_fixture.hpp"
#include "tls_fixture.hpp"

using namespace okuru;
using namespace std::chrono_literals;

namespace {

struct Outcome {
    std::unique_ptr<Transport> transport;  // on success
    std::optional<Error> error;            // on failure
    std::string greeting;                  // what the client read after the handshake
    int server_handshake = -1;
    std::string server_sni;
    bool server_saw_client_cert = false;
    std::optional<std::string> server_got;  // first line the client sent over TLS
};

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// A stand-in for the system bundle: the real one (if installed) with the test CA
// in the middle, so the root is found by name among ~150, as a system root is.
const std::string& bundle_with_test_ca() {
    static const std::string path = [] {
        const auto& pki = test::test_pki();
        const std::string system = read_all(tls::system_bundle_path);
        const std::size_t half = system.find("-----BEGIN", system.size() / 2);
        std::string text = system.substr(0, half) + read_all(pki.ca.cert) +
                           (half == std::string::npos ? "" : system.substr(half));
        const std::string file = pki.dir + "/bundle-with-test-ca.pem";
        std::ofstream(file, std::ios::binary) << text;
        return file;
    }();
    return path;
}

// The test CA as ca_file, or (via_bundle) as a root in the system bundle with
// system_trust on: the same checks must hold either way.
TlsParams trusting_test_ca(const std::string& verify_host = "localhost", bool via_bundle = false) {
    TlsParams tls;
    tls.verify_host = verify_host;
    if (via_bundle) {
        tls.system_trust = true;
        tls.system_bundle = bundle_with_test_ca();
    } else {
        tls.ca_file = test::test_pki().ca.cert;
        tls.system_trust = false;
    }
    return tls;
}

// Connects to 127.0.0.1 with implicit TLS, verifying tls.verify_host, against a
// server presenting `cert`; on success reads the greeting and sends QUIT.
Outcome run_tls(const test::CertPair& cert, const TlsParams& tls,
                const std::string& server_priority = "NORMAL", bool request_client_cert = false) {
    Outcome out;
    test::OneShotServer server([&](okuru::Fd& fd) {
        test::ServerConn conn(fd);
        out.server_handshake = conn.handshake(cert, server_priority, request_client_cert);
        if (out.server_handshake != 0) return;
        out.server_sni = conn.server_name();
        out.server_saw_client_cert = conn.client_sent_certificate();
        conn.send("220 ready\r\n");
        out.server_got = conn.read_line();
    });
    ConnectParams params;
    params.host = "127.0.0.1";
    params.port = server.port();
    params.timeout = 5s;
    params.implicit_tls = true;
    params.tls = tls;
    try {
        out.transport = open_connection(params);
        char buf[64];
        out.greeting.assign(buf, out.transport->read(buf, Clock::now() + 5s));
        out.transport->write("QUIT\r\n");
    } catch (const Error& e) {
        out.error = e;
    }
    server.join();
    CHECK(server.failure().empty());
    return out;
}

std::string with_colons(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 2) out += (i ? ":" : "") + hex.substr(i, 2);
    return out;
}

}  // namespace

TEST_CASE("tls - good certificate: handshake, details and channel binding") {
    const auto& pki = test::test_pki();
    const std::string host = GENERATE(as<std::string>{}, "localhost", "127.0.0.1");
    Outcome out = run_tls(pki.server, trusting_test_ca(host));
    REQUIRE_FALSE(out.error);
    REQUIRE(out.transport);
    CHECK(out.transport->secure());
    CHECK(out.greeting == "220 ready\r\n");
    CHECK(out.server_got == "QUIT");
    // RFC 6066 3: SNI for names only, never for an address literal.
    CHECK(out.server_sni == (host == "localhost" ? "localhost" : ""));

    const auto details = out.transport->tls_details();
    REQUIRE(details);
    CHECK(details->version == "TLS1.3");
    CHECK_THAT(details->cipher, Catch::StartsWith("TLS_"));
    CHECK_THAT(details->subject, Catch::Contains("CN=localhost"));
    CHECK_THAT(details->issuer, Catch::Contains("CN=okuru test CA"));
    CHECK_THAT(details->not_before, Catch::Matches(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC)"));
    CHECK_THAT(details->not_after, Catch::EndsWith(" UTC"));
    CHECK(details->sha256 == with_colons(test::pem_sha256_hex(pki.server.cert)));

    const auto cb = out.transport->channel_binding();
    REQUIRE(cb);
    CHECK(cb->type == "tls-exporter");
    CHECK(cb->data.size() == 32);
    CHECK_FALSE(out.transport->has_client_certificate());
}

TEST_CASE("tls - TLS 1.2 server: tls-unique channel binding") {
    Outcome out =
        run_tls(test::test_pki().server, trusting_test_ca(), "NORMAL:-VERS-ALL:+VERS-TLS1.2");
    REQUIRE_FALSE(out.error);
    CHECK(out.transport->tls_details()->version == "TLS1.2");
    const auto cb = out.transport->channel_binding();
    REQUIRE(cb);
    CHECK(cb->type == "tls-unique");
    CHECK(cb->data.size() == 12);  // RFC 5929 3: the first Finished message
}

TEST_CASE("tls - every bad certificate fails before application data, naming the check") {
    const auto& pki = test::test_pki();
    struct Case {
        const char* name;
        const test::CertPair* cert;
        std::string verify_host;
        std::string words;
        Cause cause;
    };
    const Case cases[] = {
        {"self-signed", &pki.self_signed, "localhost",
         "the certificate issuer is unknown (the certificate is self-signed",
         Cause::certificate_untrusted},
        {"unknown CA", &pki.other_ca_server, "localhost", "the certificate issuer is unknown",
         Cause::certificate_untrusted},
        {"wrong host name", &pki.wrong_host, "localhost",
         "the certificate does not match the host name localhost", Cause::certificate_wrong_name},
        {"configured name differs", &pki.server, "mail.example.test",
         "the certificate does not match the host name mail.example.test",
         Cause::certificate_wrong_name},
        {"expired", &pki.expired, "localhost", "the certificate has expired",
         Cause::certificate_expired},
        {"not yet valid", &pki.not_yet_valid, "localhost", "the certificate is not yet activated",
         Cause::certificate_not_yet_valid},
        // RFC 6125 6.4.3: a wildcard covers exactly one label.
        {"wildcard two labels down", &pki.wildcard, "a.b.example.test",
         "the certificate does not match the host name a.b.example.test",
         Cause::certificate_wrong_name},
        {"wildcard for the bare domain", &pki.wildcard, "example.test",
         "the certificate does not match the host name example.test",
         Cause::certificate_wrong_name},
    };
    const bool via_bundle = GENERATE(false, true);
    for (const Case& c : cases) {
        SECTION(c.name) {
            Outcome out = run_tls(*c.cert, trusting_test_ca(c.verify_host, via_bundle));
            REQUIRE(out.error);
            CHECK(out.error->code() == Exit::unavailable);
            CHECK_THAT(out.error->what(), Catch::StartsWith("certificate verification failed for " +
                                                            c.verify_host + ": ") &&
                                              Catch::Contains(c.words));
            CHECK(out.error->cause() == c.cause);
            CHECK(out.server_handshake == 0);  // it was the client that refused
            CHECK_FALSE(out.server_got);       // and it sent nothing over the session
        }
    }
}

TEST_CASE("tls - a wildcard matches one label") {
    const bool via_bundle = GENERATE(false, true);
    Outcome out =
        run_tls(test::test_pki().wildcard, trusting_test_ca("mx.example.test", via_bundle));
    CHECK_FALSE(out.error);
    CHECK(out.greeting == "220 ready\r\n");
}

TEST_CASE("tls - fingerprint pin") {
    const auto& pki = test::test_pki();
    const std::string self_pin = test::pem_sha256_hex(pki.self_signed.cert);
    const std::string server_pin = test::pem_sha256_hex(pki.server.cert);

    SECTION("the right pin accepts a self-signed certificate without any CA") {
        for (std::string pin : {self_pin, with_colons(self_pin)}) {
            for (char& c : pin) c = char(std::toupper(static_cast<unsigned char>(c)));
            CAPTURE(pin);
            TlsParams tls;
            tls.verify_host = "localhost";
            tls.system_trust = false;
            tls.fingerprint = pin;
            Outcome out = run_tls(pki.self_signed, tls);
            CHECK_FALSE(out.error);
            CHECK(out.greeting == "220 ready\r\n");
        }
    }
    SECTION("a wrong pin fails even with a CA-valid certificate") {
        TlsParams tls = trusting_test_ca();
        tls.fingerprint = self_pin;
        Outcome out = run_tls(pki.server, tls);
        REQUIRE(out.error);
        CHECK(out.error->code() == Exit::unavailable);
        CHECK(std::string(out.error->what()) ==
              "certificate fingerprint mismatch for localhost: expected " + with_colons(self_pin) +
                  ", got " + with_colons(server_pin));
        CHECK(out.error->cause() == Cause::pin_mismatch);
        CHECK_FALSE(out.server_got);
    }
}

TEST_CASE("tls - a TLS 1.0/1.1-only server is refused") {
    Outcome out = run_tls(test::test_pki().server, trusting_test_ca(),
                          "NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0");
    REQUIRE(out.error);
    CHECK(out.error->code() == Exit::unavailable);
    CHECK_THAT(out.error->what(), Catch::Contains("the server's TLS version is not acceptable"));
    CHECK(out.error->cause() == Cause::tls_version_too_old);
    CHECK(out.server_handshake != 0);
}

TEST_CASE("tls - client certificate is sent when the server asks") {
    const auto& pki = test::test_pki();
    TlsParams tls = trusting_test_ca();
    tls.client_cert = pki.client.cert;
    tls.client_key = pki.client.key;
    Outcome out = run_tls(pki.server, tls, "NORMAL", true);
    REQUIRE_FALSE(out.error);
    CHECK(out.transport->has_client_certificate());
    CHECK(out.server_saw_client_cert);
}

TEST_CASE("tls - unusable settings are config errors before any connection") {
    const auto& pki = test::test_pki();
    struct Case {
        const char* name;
        TlsParams tls;
        std::string message;
    };
    TlsParams base = trusting_test_ca();
    auto with = [&base](auto change) {
        TlsParams t = base;
        change(t);
        return t;
    };
    const Case cases[] = {
        {"no trust anchor", with([](TlsParams& t) { t.ca_file.clear(); }),
         "no trusted CA certificates: system_trust is false and no ca_file is set"},
        {"missing ca_file", with([&](TlsParams& t) { t.ca_file = pki.dir + "/missing.pem"; }),
         "cannot load ca_file " + pki.dir + "/missing.pem: "},
        {"ca_file without certificates", with([&](TlsParams& t) { t.ca_file = pki.ca.key; }),
         "ca_file " + pki.ca.key + " holds no PEM certificates"},
        {"bad priority", with([](TlsParams& t) { t.priority = "NORMAL:+VERS-TLS9.9"; }),
         "invalid TLS priority string \"NORMAL:+VERS-TLS9.9\" at position 8 (\"+VERS-TLS9.9\")"},
        {"pin too short", with([](TlsParams& t) { t.fingerprint = "ab:cd"; }),
         "fingerprint \"ab:cd\" has 2 bytes; a SHA-256 fingerprint has 32"},
        {"pin not hex", with([](TlsParams& t) { t.fingerprint = std::string(64, 'g'); }),
         "fingerprint \"" + std::string(64, 'g') + "\" is not hex"},
        {"client key without certificate",
         with([&](TlsParams& t) { t.client_key = pki.client.key; }),
         "client_cert and client_key must be set together"},
        {"unreadable client certificate", with([&](TlsParams& t) {
             t.client_cert = pki.dir + "/none.pem";
             t.client_key = pki.client.key;
         }),
         "cannot load client certificate " + pki.dir + "/none.pem with key "},
    };
    for (const Case& c : cases) {
        SECTION(c.name) {
            ConnectParams params;
            params.host = "127.0.0.1";
            params.port = 9;  // never reached: the settings fail first
            params.implicit_tls = GENERATE(true, false);
            params.prepare_tls = true;
            params.tls = c.tls;
            try {
                open_connection(params);
                FAIL("connected with unusable TLS settings");
            } catch (const Error& e) {
                CHECK(e.code() == Exit::config);
                CHECK_THAT(e.what(), Catch::StartsWith(c.message));
            }
        }
    }
}

TEST_CASE("tls - system trust store loads when enabled") {
    TlsParams tls = trusting_test_ca();
    tls.system_trust = true;
    Outcome out = run_tls(test::test_pki().server, tls);
    CHECK_FALSE(out.error);
    CHECK(out.greeting == "220 ready\r\n");
}

TEST_CASE("tls - system trust finds a root by name in the bundle, and only there") {
    const auto& pki = test::test_pki();
    SECTION("a chain to a root in the bundle verifies with no ca_file") {
        Outcome out = run_tls(pki.server, trusting_test_ca("localhost", true));
        CHECK_FALSE(out.error);
        CHECK(out.greeting == "220 ready\r\n");
    }
    SECTION("the system bundle alone does not trust the test CA") {
        TlsParams tls = trusting_test_ca("localhost", true);
        tls.system_bundle = tls::system_bundle_path;
        Outcome out = run_tls(pki.server, tls);
        REQUIRE(out.error);
        CHECK(out.error->cause() == Cause::certificate_untrusted);
        CHECK_FALSE(out.server_got);
    }
    SECTION("a bundle with no certificate leaves nothing to trust") {
        const std::string empty = pki.dir + "/empty-bundle.pem";
        std::ofstream(empty) << "no certificates here\n";
        TlsParams tls = trusting_test_ca("localhost", true);
        tls.system_bundle = empty;
        CHECK_THROWS_WITH(tls::Context(tls), Catch::StartsWith("no trusted CA certificates"));
    }
}

TEST_CASE("tls - the bundle index names every system root exactly as GnuTLS does") {
    // What is provable offline about real system roots: no test can be signed by
    // one, but every root GnuTLS would load is indexed, under the very bytes
    // GnuTLS looks issuers up by; the lookup itself is proven with the test CA.
    const std::string text = read_all(tls::system_bundle_path);
    if (text.empty()) {
        WARN("no system CA bundle at " << tls::system_bundle_path);
        return;
    }
    const auto ders = tls::pem_certificates(text);
    gnutls_certificate_credentials_t creds = nullptr;
    REQUIRE(gnutls_certificate_allocate_credentials(&creds) == 0);
    const int loaded = gnutls_certificate_set_x509_system_trust(creds);
    gnutls_certificate_free_credentials(creds);
    CHECK(ders.size() > 100);
    CHECK(int(ders.size()) == loaded);
    for (const std::string& der : ders) {
        const auto names = tls::raw_names(der);
        REQUIRE(names);
        gnutls_x509_crt_t crt = nullptr;
        REQUIRE(gnutls_x509_crt_init(&crt) == 0);
        tls::CertificatePtr owned(crt);
        gnutls_datum_t d{reinterpret_cast<unsigned char*>(const_cast<char*>(der.data())),
                         static_cast<unsigned>(der.size())};
        REQUIRE(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) == 0);
        gnutls_datum_t subject{}, issuer{};
        REQUIRE(gnutls_x509_crt_get_raw_dn(crt, &subject) == 0);
        REQUIRE(gnutls_x509_crt_get_raw_issuer_dn(crt, &issuer) == 0);
        CHECK(names->subject ==
              std::string_view(reinterpret_cast<const char*>(subject.data), subject.size));
        CHECK(names->issuer ==
              std::string_view(reinterpret_cast<const char*>(issuer.data), issuer.size));
        gnutls_free(subject.data);
        gnutls_free(issuer.data);
    }
    const auto bundle = tls::RootBundle::load(tls::system_bundle_path);
    REQUIRE(bundle);
    REQUIRE(bundle->size() == ders.size());
    // Read in pieces, the bundle's blocks straddle them: each root read back by
    // its offset is the one pem_certificates() decoded from the whole text.
    for (std::size_t i = 0; i < ders.size(); ++i) CHECK(bundle->der(i) == ders[i]);
}

TEST_CASE("tls - the bundle index holds blocks cut by its read pieces") {
    const auto& pki = test::test_pki();
    const std::string pem = read_all(pki.ca.cert);
    const std::string der = tls::pem_certificates(pem).at(0);
    const std::string path = pki.dir + "/cut-bundle.pem";
    // The index reads 32 KiB at a time: put a block's start, its label, its body
    // and its end line across that boundary in turn.
    for (std::size_t before :
         {32768 - 1200, 32768 - 700, 32768 - 20, 32768 - 5, 32768 - 1, 32768, 32768 + 3}) {
        CAPTURE(before);
        std::ofstream(path, std::ios::trunc) << std::string(before - 1, 'x') << "\n"
                                             << pem << pem << "-----BEGIN CERTIFICATE-----\nAAAA\n";
        const auto bundle = tls::RootBundle::load(path);
        REQUIRE(bundle);
        REQUIRE(bundle->size() == 2);  // the third block has no end: not a root
        CHECK(bundle->der(0) == der);
        CHECK(bundle->der(1) == der);
        const auto names = tls::raw_names(der);
        REQUIRE(names);
        CHECK(bundle->with_subject(names->subject) == std::vector<std::size_t>{0, 1});
    }
    CHECK_FALSE(tls::RootBundle::load(pki.dir));  // a directory is no bundle
}

TEST_CASE("tls - PEM blocks and DER names: malformed input is skipped") {
    const std::string pem = read_all(test::test_pki().ca.cert);
    CHECK(tls::pem_certificates(pem).size() == 1);
    CHECK(tls::pem_certificates("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE "
                                "KEY-----\n")
              .empty());
    CHECK(tls::pem_certificates("-----BEGIN CERTIFICATE-----\n!!!!\n-----END "
                                "CERTIFICATE-----\n")
              .empty());
    CHECK(tls::pem_certificates("-----BEGIN CERTIFICATE-----\nAAAA\n").empty());
    const std::string der = tls::pem_certificates(pem).at(0);
    CHECK(tls::raw_names(der));
    CHECK_FALSE(tls::raw_names(der.substr(0, 40)));
    CHECK_FALSE(tls::raw_names(""));
    CHECK_FALSE(tls::raw_names(std::string("\x30\x84\xff\xff\xff\xff", 6)));
}

TEST_CASE("tls - handshake is bounded by the deadline") {
    test::OneShotServer server([](okuru::Fd& fd) {
        char buf[4096];
        while (::recv(fd.get(), buf, sizeof buf, 0) > 0) {
        }  // takes the ClientHello, answers nothing, until the client gives up
    });
    ConnectParams params;
    params.host = "127.0.0.1";
    params.port = server.port();
    params.timeout = 300ms;
    params.implicit_tls = true;
    params.tls = trusting_test_ca();
    const auto start = Clock::now();
    try {
        open_connection(params);
        FAIL("handshake with a silent server succeeded");
    } catch (const Error& e) {
        CHECK(e.code() == Exit::tempfail);
        CHECK(e.cause() == Cause::timed_out);
        CHECK_THAT(
            e.what(),
            Catch::Matches(R"(TLS handshake with 127\.0\.0\.1\[127\.0\.0\.1\]:\d+ timed out)"));
    }
    CHECK(Clock::now() - start < 2s);
}

TEST_CASE("tls - plaintext from the server before the handshake is refused") {
    // Bytes after the STARTTLS reply and before the ClientHello were injected
    // (RFC 3207 5); plaintext at once means a STARTTLS port used as implicit TLS.
    const bool starttls = GENERATE(true, false);
    std::atomic<bool> sent{false};
    test::OneShotServer server([&](okuru::Fd& fd) {
        test::ServerConn conn(fd);
        if (starttls) {
            conn.send("220 ready\r\n");
            if (conn.read_line() != "STARTTLS") return;
            conn.send("220 go ahead\r\n");
            ::usleep(50'000);
        }
        conn.send("250 injected\r\n");
        sent = true;
        conn.read_line();
    });
    ConnectParams params;
    params.host = "127.0.0.1";
    params.port = server.port();
    params.tls = trusting_test_ca();
    auto t = open_connection(params);
    char buf[64];
    if (starttls) {
        CHECK(std::string(buf, t->read(buf, Clock::now() + 2s)) == "220 ready\r\n");
        t->write("STARTTLS\r\n");
        CHECK(std::string(buf, t->read(buf, Clock::now() + 2s)) == "220 go ahead\r\n");
    }
    while (!sent) ::usleep(1000);
    ::usleep(50'000);
    try {
        t->start_tls(Clock::now() + 2s);
        FAIL("handshake started over injected plaintext");
    } catch (const Error& e) {
        CHECK(e.code() == Exit::protocol);
        // Injection is an attack, not a wrong TLS mode: no cause that would suggest one.
        CHECK(e.cause() == (starttls ? Cause::none : Cause::not_tls));
        CHECK_THAT(e.what(), Catch::Contains(starttls ? "sent data before the TLS handshake"
                                                      : "sent plaintext where a TLS handshake "
                                                        "was expected"));
    }
    CHECK_FALSE(t->secure());
}

TEST_CASE("tls - fingerprints are normalised before comparing") {
    const std::string hex(64, 'a');
    const std::string spelled = GENERATE_COPY(std::string(64, 'A'), "sha256:" + hex,
                                              "SHA256:" + with_colons(hex), " " + with_colons(hex));
    CAPTURE(spelled);
    CHECK(normalize_fingerprint(spelled) == hex);
    CHECK(constant_time_equal(normalize_fingerprint(spelled), hex));
    CHECK_FALSE(constant_time_equal(hex, std::string(63, 'a') + "b"));
    CHECK_FALSE(constant_time_equal(hex, hex + "a"));
}

TEST_CASE("tls - verification status in words") {
    const auto [status, words] = GENERATE(table<unsigned, std::string>({
        {GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND, "the certificate issuer is unknown"},
        {GNUTLS_CERT_INVALID | GNUTLS_CERT_EXPIRED | GNUTLS_CERT_UNEXPECTED_OWNER,
         "the certificate has expired; the certificate does not match the host name h\\x01x"},
        {GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE,
         "the certificate violates its signer's constraints (name or path length)"},
        {GNUTLS_CERT_INVALID, "the certificate is not trusted"},
    }));
    CHECK(tls::describe_verify_status(status, "h\x01x") == words);
}

TEST_CASE("tls - a verification status tags the most specific cause") {
    const unsigned invalid = GNUTLS_CERT_INVALID;
    const auto [status, cause] = GENERATE_COPY(table<unsigned, Cause>({
        {0, Cause::none},
        {invalid | GNUTLS_CERT_SIGNER_NOT_FOUND, Cause::certificate_untrusted},
        {invalid, Cause::certificate_untrusted},  // "the certificate is not trusted"
        {invalid | GNUTLS_CERT_UNEXPECTED_OWNER, Cause::certificate_wrong_name},
        {invalid | GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_UNEXPECTED_OWNER,
         Cause::certificate_wrong_name},
        {invalid | GNUTLS_CERT_EXPIRED, Cause::certificate_expired},
        {invalid | GNUTLS_CERT_EXPIRED | GNUTLS_CERT_UNEXPECTED_OWNER,
         Cause::certificate_wrong_name},
        {invalid | GNUTLS_CERT_NOT_ACTIVATED, Cause::certificate_not_yet_valid},
        {invalid | GNUTLS_CERT_REVOKED, Cause::certificate_forged},
        {invalid | GNUTLS_CERT_SIGNATURE_FAILURE, Cause::certificate_forged},
        {invalid | GNUTLS_CERT_INSECURE_ALGORITHM, Cause::certificate_forged},
        // An unknown issuer must not earn the pin advice when the chain is forged too.
        {invalid | GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_REVOKED, Cause::certificate_forged},
        {invalid | GNUTLS_CERT_SIGNER_NOT_CA, Cause::certificate_rejected},
        {invalid | GNUTLS_CERT_PURPOSE_MISMATCH, Cause::certificate_rejected},
        {invalid | GNUTLS_CERT_MISSING_OCSP_STATUS, Cause::certificate_rejected},
    }));
    CAPTURE(status);
    CHECK(tls::verify_status_cause(status) == cause);
}
