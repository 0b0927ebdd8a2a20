// The pieces of open_connection() below the Transport: resolution into
// endpoints and the RFC 8305 connection race. Separate so tests can race
// endpoints of their choosing (a stalled one against a live one).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/net.hpp"
#include "net/tcp_transport.hpp"

namespace okuru {

struct Endpoint {
    sockaddr_storage addr{};
    socklen_t len = 0;
    int family = 0;
    std::string text;  // "192.0.2.1" / "2001:db8::1"
};

// getaddrinfo (AI_ADDRCONFIG), in resolver order: 0 and the endpoints, or the
// EAI_* code (errno set for EAI_SYSTEM). The default Lookup; tests inject others.
int system_lookup(const std::string& host, std::uint16_t port, std::vector<Endpoint>& out);

// The endpoints of host:port from `lookup` (empty: system_lookup). Throws
// Error(tempfail) with Cause::unresolvable when the resolver says the name does
// not exist or Cause::resolver_failed when it gives no answer (issue 10: from
// here an outage and a typo look alike, so both are retried, as Postfix defers
// a relayhost it cannot resolve); Error(nohost) only for a name under .invalid,
// which never exists (RFC 6761 6.4), so no retry can help.
std::vector<Endpoint> resolve(const std::string& host, std::uint16_t port,
                              const Lookup& lookup = {});

// Whether any of `names` resolves: --check asks it of well-known names to tell
// "this machine resolves nothing right now" from "this one name does not exist".
bool any_resolves(std::span<const std::string_view> names, const Lookup& lookup = {});

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
