// Name resolution and the connection race (RFC 8305 Happy Eyeballs v2, minus
// the asynchronous resolution part: getaddrinfo returns both families at once).
#include "net/net.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/interrupt.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "net/tcp_connect.hpp"

namespace okuru {
namespace {

struct AddrinfoFree {
    void operator()(addrinfo* p) const noexcept { freeaddrinfo(p); }
};

bool in_invalid_domain(std::string_view name) {
    std::string host = ascii_lower(name);
    if (!host.empty() && host.back() == '.') host.pop_back();
    return host == "invalid" || (host.size() > 8 && host.ends_with(".invalid"));
}

}  // namespace

int system_lookup(const std::string& host, std::uint16_t port, std::vector<Endpoint>& out) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
    addrinfo* raw = nullptr;
    const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &raw);
    if (rc != 0) return rc;  // errno untouched for EAI_SYSTEM
    std::unique_ptr<addrinfo, AddrinfoFree> list(raw);
    for (const addrinfo* ai = list.get(); ai; ai = ai->ai_next) {
        if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
            ai->ai_addrlen > sizeof(sockaddr_storage)) {
            continue;
        }
        Endpoint ep;
        std::memcpy(&ep.addr, ai->ai_addr, ai->ai_addrlen);
        ep.len = ai->ai_addrlen;
        ep.family = ai->ai_family;
        char text[INET6_ADDRSTRLEN] = "";
        const void* bytes = ai->ai_family == AF_INET
                                ? static_cast<const void*>(
                                      &reinterpret_cast<const sockaddr_in*>(ai->ai_addr)->sin_addr)
                                : &reinterpret_cast<const sockaddr_in6*>(ai->ai_addr)->sin6_addr;
        inet_ntop(ai->ai_family, bytes, text, sizeof text);
        ep.text = text;
        out.push_back(std::move(ep));
    }
    return 0;
}

std::vector<Endpoint> resolve(const std::string& host, std::uint16_t port, const Lookup& lookup) {
    // RFC 6761 6.4: names under .invalid never exist; answer without asking DNS.
    // The one lookup failure kept permanent: no resolver coming back can fix it.
    if (in_invalid_domain(host)) {
        throw Error(Exit::nohost,
                    "cannot resolve " + log::escape(host) + ": the .invalid domain never exists",
                    Cause::unresolvable);
    }
    std::vector<Endpoint> out;
    errno = 0;
    const int rc = lookup ? lookup(host, port, out) : system_lookup(host, port, out);
    if (rc != 0) {
        const int err = errno;
        std::string why = rc == EAI_SYSTEM ? std::strerror(err) : gai_strerror(rc);
        const Cause cause = resolve_error_cause(rc);
        if (cause == Cause::resolver_failed) why += " (the DNS resolver gave no answer)";
        throw Error(resolve_error_exit(rc), "cannot resolve " + log::escape(host) + ": " + why,
                    cause);
    }
    if (out.empty()) {
        throw Error(Exit::tempfail, "cannot resolve " + log::escape(host) + ": no address",
                    Cause::unresolvable);
    }
    return out;
}

bool any_resolves(std::span<const std::string_view> names, const Lookup& lookup) {
    for (std::string_view name : names) {
        std::vector<Endpoint> out;
        const std::string host(name);
        const int rc = lookup ? lookup(host, 443, out) : system_lookup(host, 443, out);
        if (rc == 0 && !out.empty()) return true;
    }
    return false;
}

namespace {

struct Attempt {
    Fd fd;
    std::size_t index;
};

int poll_timeout(Clock::time_point until) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now()).count();
    return left <= 0 ? 0 : int(std::min<long long>(left, 1 << 30));
}

}  // namespace

Fd connect_race(const std::vector<Endpoint>& eps, Clock::time_point deadline, std::size_t& winner,
                std::vector<int>& errors) {
    std::vector<Attempt> pending;
    std::size_t next = 0;
    Clock::time_point next_start = Clock::now();
    for (;;) {
        const auto now = Clock::now();
        if (now >= deadline) {
            for (const auto& a : pending) errors[a.index] = attempt_deadline;
            return Fd();
        }
        if (next < eps.size() && (pending.empty() || now >= next_start)) {
            const std::size_t i = next++;
            const Endpoint& ep = eps[i];
            Fd fd(::socket(ep.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP));
            if (!fd) {
                errors[i] = errno;
                continue;
            }
            if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&ep.addr), ep.len) == 0) {
                winner = i;
                return fd;
            }
            if (errno == EINPROGRESS) {
                pending.push_back({std::move(fd), i});
                next_start = now + connection_attempt_delay;
            } else {
                errors[i] = errno;
            }
            continue;
        }
        if (pending.empty()) return Fd();  // every address failed

        std::vector<pollfd> fds;
        for (const auto& a : pending) fds.push_back({a.fd.get(), POLLOUT, 0});
        const auto wake = next < eps.size() ? std::min(deadline, next_start) : deadline;
        const int n = interruptible_poll(fds.data(), fds.size(), poll_timeout(wake));
        if (n < 0 && errno != EINTR) throw_system(Exit::tempfail, "poll", errno);
        for (std::size_t k = fds.size(); n > 0 && k-- > 0;) {
            if (fds[k].revents == 0) continue;
            int err = 0;
            socklen_t len = sizeof err;
            if (::getsockopt(fds[k].fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
            if (err == 0) {
                winner = pending[k].index;
                return std::move(pending[k].fd);
            }
            errors[pending[k].index] = err;
            pending.erase(pending.begin() + std::ptrdiff_t(k));
            next_start = Clock::now();  // RFC 8305 5: a failure starts the next at once
        }
    }
}

std::string attempt_error_text(int err) {
    return err == attempt_deadline ? "connection timed out" : std::strerror(err);
}

Cause connect_failure_cause(const std::vector<int>& errors) {
    auto any = [&errors](Cause c) {
        return std::any_of(errors.begin(), errors.end(), [c](int err) {
            return err != 0 &&
                   (err == attempt_deadline ? Cause::timed_out : socket_error_cause(err)) == c;
        });
    };
    for (Cause c : {Cause::refused, Cause::timed_out, Cause::unreachable}) {
        if (any(c)) return c;
    }
    return Cause::none;
}

std::vector<std::size_t> happy_eyeballs_order(std::span<const int> families) {
    std::vector<std::size_t> first, other, out;
    for (std::size_t i = 0; i < families.size(); ++i) {
        (families[i] == families[0] ? first : other).push_back(i);
    }
    for (std::size_t k = 0; k < std::max(first.size(), other.size()); ++k) {
        if (k < first.size()) out.push_back(first[k]);
        if (k < other.size()) out.push_back(other[k]);
    }
    return out;
}

Exit resolve_error_exit(int eai_code) {
    // Postfix defers mail for a relayhost it cannot resolve: a resolver outage
    // and a mistyped name look alike from here, and expiry ends the retries.
    return eai_code == EAI_MEMORY ? Exit::oserr : Exit::tempfail;
}

Cause resolve_error_cause(int eai_code) {
    switch (eai_code) {
        case EAI_NONAME:
#ifdef EAI_NODATA
        case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
        case EAI_ADDRFAMILY:
#endif
            return Cause::unresolvable;  // the resolver answered: no such name
        case EAI_AGAIN:                  // timeout, no server reachable
        case EAI_FAIL:                   // SERVFAIL, REFUSED
        case EAI_SYSTEM:                 // e.g. no route to the configured server
            return Cause::resolver_failed;
        default:
            return Cause::none;
    }
}

std::unique_ptr<Transport> open_connection(const ConnectParams& params) {
    TlsParams tls = params.tls;
    if (tls.verify_host.empty()) tls.verify_host = params.host;
    // Settings errors (ca_file, key, priority, pin) before any network traffic.
    std::shared_ptr<const tls::Context> context;
    if (params.implicit_tls || params.prepare_tls) {
        context = std::make_shared<const tls::Context>(tls);
    }

    const auto deadline = std::min(Clock::now() + params.timeout, params.deadline);
    const std::string where = log::escape(params.host) + ":" + std::to_string(params.port);
    const std::vector<Endpoint> resolved = resolve(params.host, params.port, params.lookup);
    std::vector<int> families;
    for (const auto& ep : resolved) families.push_back(ep.family);
    std::vector<Endpoint> eps;
    for (std::size_t i : happy_eyeballs_order(families)) eps.push_back(resolved[i]);

    std::vector<int> errors(eps.size());
    std::size_t winner = 0;
    Fd fd = connect_race(eps, deadline, winner, errors);
    if (!fd) {
        std::string detail;
        for (std::size_t i = 0; i < eps.size(); ++i) {
            if (errors[i] == 0) continue;
            detail +=
                (detail.empty() ? "" : "; ") + eps[i].text + ": " + attempt_error_text(errors[i]);
        }
        Cause cause = connect_failure_cause(errors);
        if (detail.empty()) {
            detail = attempt_error_text(attempt_deadline);
            cause = Cause::timed_out;
        }
        throw Error(Exit::tempfail, "cannot connect to " + where + ": " + detail, cause);
    }
    // Every write is a complete flight (a pipelined group): no Nagle delay.
    const int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    std::string peer =
        log::escape(params.host) + "[" + eps[winner].text + "]:" + std::to_string(params.port);
    log::debug("connected to " + peer);
    auto transport = std::make_unique<TcpTransport>(std::move(fd), std::move(peer), tls, context,
                                                    params.write_timeout, params.deadline);
    if (params.implicit_tls) transport->start_tls(deadline);
    return transport;
}

}  // namespace okuru
