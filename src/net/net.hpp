// Opening connections: getaddrinfo, every address tried (Happy Eyeballs, RFC
// 8305, when both IPv6 and IPv4 exist), connect deadline, TCP_NODELAY, and the
// TLS layer on top (implicit at once, or later through start_tls()).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/errors.hpp"
#include "net/tls.hpp"
#include "net/transport.hpp"

namespace okuru {

struct Endpoint;

// How a host name becomes addresses: returns 0 and fills `out`, or an EAI_*
// code (errno set for EAI_SYSTEM). A seam so that tests can play a resolver
// that is down or answers NXDOMAIN without touching the network.
using Lookup =
    std::function<int(const std::string& host, std::uint16_t port, std::vector<Endpoint>& out)>;

struct ConnectParams {
    std::string host;  // name or address literal to connect to
    std::uint16_t port = 587;
    // Bounds connecting to every address and, with implicit_tls, the handshake too.
    std::chrono::milliseconds timeout{30'000};
    bool implicit_tls = false;  // handshake right after connect (port 465)
    // Load trust anchors, client certificate and priority before connecting, so a bad
    // ca_file is reported before any network traffic (set it for STARTTLS accounts).
    // Implicit TLS always does; otherwise start_tls() loads them when first needed.
    bool prepare_tls = false;
    // How long one write may wait for the socket to drain.
    std::chrono::milliseconds write_timeout{300'000};
    // The submission's overall deadline: it also bounds connecting, the
    // handshake and every later read and write of the connection, so that a
    // server answering each reply just inside `timeout` cannot hold okuru (and
    // the cron job behind it) for ever.
    Clock::time_point deadline = Clock::time_point::max();
    TlsParams tls;  // tls.verify_host empty: `host`
    Lookup lookup;  // empty: getaddrinfo
};

// Throws Error(Exit::tempfail) when no address answers or the name does not
// resolve (see resolve() in tcp_connect.hpp), Error(Exit::nohost) for a name under
// .invalid, Error(Exit::unavailable) on certificate failure,
// Error(Exit::config) for unusable TLS settings.
std::unique_ptr<Transport> open_connection(const ConnectParams& params);

// RFC 8305 4: the order in which to try resolved addresses, given their families
// (AF_INET6 / AF_INET) in resolver order: families alternate, starting with the
// family of the first address. Returns indexes into `families`.
std::vector<std::size_t> happy_eyeballs_order(std::span<const int> families);

// What a getaddrinfo() failure means for the caller. Every lookup failure of the
// relay is tempfail (a later retry may fix a resolver outage, and from here a
// typo looks the same), oserr for EAI_MEMORY. The cause tells them apart:
// unresolvable when the resolver answered that the name does not exist,
// resolver_failed when it gave no answer.
Exit resolve_error_exit(int eai_code);
Cause resolve_error_cause(int eai_code);

// RFC 8305 5: the delay before the next connection attempt starts while earlier
// ones are still pending.
inline constexpr std::chrono::milliseconds connection_attempt_delay{250};

}  // namespace okuru
