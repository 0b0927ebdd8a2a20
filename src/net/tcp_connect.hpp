// The pieces of open_connection() below the Transport: resolution into
// endpoints and the RFC 8305 connection race. Separate so tests can race
// endpoints of their choosing (a stalled one against a live one).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include "net/tcp_transport.hpp"

namespace okuru {

struct Endpoint {
    sockaddr_storage addr{};
    socklen_t len = 0;
    int family = 0;
    std::string text;  // "192.0.2.1" / "2001:db8::1"
};

// getaddrinfo (AI_ADDRCONFIG), in resolver order. Throws Error(nohost / tempfail).
std::vector<Endpoint> resolve(const std::string& host, std::uint16_t port);

// In connect_race's errors: the attempt was still pending when the deadline passed.
inline constexpr int attempt_deadline = -1;

// Starts attempts in the given order, a new one every connection_attempt_delay (or
// at once when the previous failed), and returns the first socket to connect
// (non-blocking); the others are closed. Returns an empty Fd when all fail or the
// deadline passes; errors[i] then says why endpoint i failed: an errno, or
// attempt_deadline (0: not tried).
Fd connect_race(const std::vector<Endpoint>& eps, Clock::time_point deadline, std::size_t& winner,
                std::vector<int>& errors);

// One entry of connect_race's errors in words ("Connection refused", "connection
// timed out" for attempt_deadline).
std::string attempt_error_text(int err);

// The cause of a failed race, from every endpoint's error: refused if any
// address refused (something is wrong with the port, not the network), else
// timed_out if any attempt timed out, else unreachable if any had no route, else
// none.
Cause connect_failure_cause(const std::vector<int>& errors);

}  // namespace okuru
