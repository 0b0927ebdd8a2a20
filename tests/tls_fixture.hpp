// TLS test helpers: a throwaway PKI made with certtool at test time (removed at
// exit), and the server side of a TLS connection (GnuTLS, blocking socket with
// 10 s timeouts) for scripted servers in test threads.
#pragma once

#include <gnutls/gnutls.h>

#include <optional>
#include <string>
#include <string_view>

#include "net/tcp_transport.hpp"

namespace okuru::test {

struct CertPair {
    std::string cert, key;  // PEM files
};

struct Pki {
    std::string dir;
    CertPair ca;               // trusted by the tests (ca_file)
    CertPair server;           // localhost + 127.0.0.1, signed by ca
    CertPair self_signed;      // localhost + 127.0.0.1, signed by itself
    CertPair other_ca_server;  // localhost + 127.0.0.1, signed by an unrelated CA
    CertPair wrong_host;       // wrong.example.test only
    CertPair expired;          // localhost, valid 2019-2020
    CertPair not_yet_valid;    // localhost, valid from 2090
    CertPair wildcard;         // *.example.test
    CertPair client;           // TLS client certificate, signed by ca
};

// Made once per process; throws std::runtime_error if certtool fails.
const Pki& test_pki();

// SHA-256 of a PEM certificate's DER, as 64 lower-case hex digits.
std::string pem_sha256_hex(const std::string& pem_file);

// The server end of one connection.
class ServerConn {
  public:
    explicit ServerConn(Fd& fd) : fd_(fd) {}
    ~ServerConn();
    ServerConn(const ServerConn&) = delete;
    ServerConn& operator=(const ServerConn&) = delete;

    // Runs the server handshake; returns the GnuTLS result (0: success).
    int handshake(const CertPair& cert, const std::string& priority = "NORMAL",
                  bool request_client_cert = false);
    bool client_sent_certificate() const;
    std::string server_name() const;  // SNI the client sent; empty: none

    void send(std::string_view data);        // plaintext until handshake() succeeded
    std::optional<std::string> read_line();  // without CRLF; nullopt at EOF/error

  private:
    Fd& fd_;
    gnutls_certificate_credentials_t creds_ = nullptr;
    gnutls_session_t session_ = nullptr;
    bool secure_ = false;
    std::string buffer_;
};

}  // namespace okuru::test
