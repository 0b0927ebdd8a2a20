// Opening connections: getaddrinfo, every address tried (Happy Eyeballs, RFC
// 8305, when both IPv6 and IPv4 exist), connect deadline, TCP_NODELAY, and the
// TLS layer on top (implicit at once, or later through start_tls()).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "tls.hpp"
#include "transport.hpp"

namespace okuru {

struct ConnectParams {
    std::string host;
    std::uint16_t port = 587;
    std::chrono::milliseconds timeout{30'000};
    bool implicit_tls = false;  // handshake right after connect (port 465)
    TlsParams tls;
};

// Throws Error(Exit::tempfail) when no address answers, Error(Exit::nohost) when the
// name does not resolve permanently, Error(Exit::unavailable) on certificate failure.
std::unique_ptr<Transport> open_connection(const ConnectParams& params);

}  // namespace okuru
