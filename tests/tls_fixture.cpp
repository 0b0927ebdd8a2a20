// The throwaway PKI (certtool) and the server side of test TLS connections.
#include "tls_fixture.hpp"

#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "net/tls.hpp"

namespace okuru::test {
namespace {

void run(const std::string& command) {
    if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) {
        throw std::runtime_error("test PKI: failed: " + command);
    }
}

struct PkiBuilder {
    std::string dir;
    std::string leaf_key;  // one key for every leaf: key generation is the slow part

    std::string path(const std::string& name) const { return dir + "/" + name; }

    std::string write_template(const std::string& name, const std::string& text) const {
        const std::string file = path(name + ".tmpl");
        std::ofstream(file) << text;
        return file;
    }

    std::string new_key(const std::string& name) const {
        const std::string file = path(name + ".key");
        run("certtool --generate-privkey --key-type=ecdsa --outfile " + file);
        return file;
    }

    CertPair self_signed(const std::string& name, const std::string& tmpl) const {
        CertPair p{path(name + ".pem"),
                   name == "ca" || name == "other-ca" ? new_key(name) : leaf_key};
        run("certtool --generate-self-signed --load-privkey " + p.key + " --template " +
            write_template(name, tmpl) + " --outfile " + p.cert);
        return p;
    }

    CertPair signed_by(const CertPair& ca, const std::string& name, const std::string& tmpl) const {
        CertPair p{path(name + ".pem"), leaf_key};
        run("certtool --generate-certificate --load-privkey " + p.key + " --load-ca-certificate " +
            ca.cert + " --load-ca-privkey " + ca.key + " --template " + write_template(name, tmpl) +
            " --outfile " + p.cert);
        return p;
    }
};

const char* const ca_template = "cn = okuru test CA\nca\ncert_signing_key\nexpiration_days = 3\n";
const char* const local_names = "dns_name = localhost\nip_address = 127.0.0.1\n";
const char* const server_usage = "tls_www_server\nsigning_key\n";

std::string leaf(const std::string& cn, const std::string& names, const std::string& dates) {
    return "cn = " + cn + "\n" + names + server_usage +
           (dates.empty() ? "expiration_days = 3\n" : dates);
}

struct PkiHolder {
    Pki pki;
    ~PkiHolder() {
        std::error_code ec;
        if (!pki.dir.empty()) std::filesystem::remove_all(pki.dir, ec);
    }
};

}  // namespace

const Pki& test_pki() {
    static PkiHolder holder = [] {
        PkiHolder h;
        char tmpl[] = "/tmp/okuru-net-pki-XXXXXX";
        if (!::mkdtemp(tmpl)) throw std::runtime_error("test PKI: mkdtemp failed");
        h.pki.dir = tmpl;
        PkiBuilder b{tmpl, ""};
        b.leaf_key = b.new_key("leaf");
        Pki& p = h.pki;
        p.ca = b.self_signed("ca", ca_template);
        const CertPair other_ca = b.self_signed("other-ca", ca_template);
        p.server = b.signed_by(p.ca, "server", leaf("localhost", local_names, ""));
        p.self_signed = b.self_signed("self", leaf("localhost", local_names, ""));
        p.other_ca_server = b.signed_by(other_ca, "other", leaf("localhost", local_names, ""));
        p.wrong_host =
            b.signed_by(p.ca, "wrong", leaf("wrong", "dns_name = wrong.example.test\n", ""));
        p.expired = b.signed_by(p.ca, "expired",
                                leaf("localhost", local_names,
                                     "activation_date = \"2019-01-01 00:00:00\"\n"
                                     "expiration_date = \"2020-01-01 00:00:00\"\n"));
        p.not_yet_valid = b.signed_by(p.ca, "future",
                                      leaf("localhost", local_names,
                                           "activation_date = \"2090-01-01 00:00:00\"\n"
                                           "expiration_date = \"2091-01-01 00:00:00\"\n"));
        p.wildcard = b.signed_by(p.ca, "wildcard",
                                 leaf("*.example.test", "dns_name = *.example.test\n", ""));
        p.client =
            b.signed_by(p.ca, "client",
                        "cn = okuru client\ntls_www_client\nsigning_key\nexpiration_days = 3\n");
        return h;
    }();
    return holder.pki;
}

std::string pem_sha256_hex(const std::string& pem_file) {
    std::ifstream in(pem_file);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string pem = ss.str();
    gnutls_x509_crt_t crt;
    gnutls_x509_crt_init(&crt);
    gnutls_datum_t d{reinterpret_cast<unsigned char*>(const_cast<char*>(pem.data())),
                     unsigned(pem.size())};
    unsigned char digest[32];
    std::size_t size = sizeof digest;
    const int rc = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0
                       ? -1
                       : gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, digest, &size);
    gnutls_x509_crt_deinit(crt);
    if (rc < 0) throw std::runtime_error("cannot read certificate " + pem_file);
    std::string hex;
    for (char c : colon_hex(std::string(reinterpret_cast<char*>(digest), size))) {
        if (c != ':') hex += c;
    }
    return hex;
}

ServerConn::~ServerConn() {
    if (session_) gnutls_deinit(session_);
    if (creds_) gnutls_certificate_free_credentials(creds_);
}

int ServerConn::handshake(const CertPair& cert, const std::string& priority,
                          bool request_client_cert) {
    gnutls_certificate_allocate_credentials(&creds_);
    int rc = gnutls_certificate_set_x509_key_file(creds_, cert.cert.c_str(), cert.key.c_str(),
                                                  GNUTLS_X509_FMT_PEM);
    if (rc < 0) throw std::runtime_error("server key: " + std::string(gnutls_strerror(rc)));
    if (request_client_cert) {
        gnutls_certificate_set_x509_trust_file(creds_, test_pki().ca.cert.c_str(),
                                               GNUTLS_X509_FMT_PEM);
    }
    gnutls_init(&session_, GNUTLS_SERVER | GNUTLS_NO_SIGNAL);
    const char* err = nullptr;
    rc = gnutls_priority_set_direct(session_, priority.c_str(), &err);
    if (rc < 0) throw std::runtime_error("server priority: " + std::string(gnutls_strerror(rc)));
    gnutls_credentials_set(session_, GNUTLS_CRD_CERTIFICATE, creds_);
    if (request_client_cert) gnutls_certificate_server_set_request(session_, GNUTLS_CERT_REQUEST);
    gnutls_transport_set_int(session_, fd_.get());
    gnutls_handshake_set_timeout(session_, 10'000);
    do {
        rc = gnutls_handshake(session_);
    } while (rc < 0 && !gnutls_error_is_fatal(rc));
    secure_ = rc == 0;
    return rc;
}

bool ServerConn::client_sent_certificate() const {
    unsigned n = 0;
    return secure_ && gnutls_certificate_get_peers(session_, &n) && n > 0;
}

std::string ServerConn::server_name() const {
    char name[256];
    std::size_t size = sizeof name;
    unsigned type = 0;
    if (!session_ || gnutls_server_name_get(session_, name, &size, &type, 0) < 0) return {};
    return std::string(name, size);
}

void ServerConn::send(std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = secure_ ? gnutls_record_send(session_, data.data(), data.size())
                                  : ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) throw std::runtime_error("test server: send failed");
        data.remove_prefix(std::size_t(n));
    }
}

std::optional<std::string> ServerConn::read_line() {
    for (;;) {
        const auto eol = buffer_.find("\r\n");
        if (eol != std::string::npos) {
            std::string line = buffer_.substr(0, eol);
            buffer_.erase(0, eol + 2);
            return line;
        }
        char buf[512];
        const ssize_t n = secure_ ? gnutls_record_recv(session_, buf, sizeof buf)
                                  : ::recv(fd_.get(), buf, sizeof buf, 0);
        if (n <= 0) return std::nullopt;
        buffer_.append(buf, std::size_t(n));
    }
}

}  // namespace okuru::test
