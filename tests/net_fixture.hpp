// Test helpers for the network tests: a listening socket on a loopback address
// with a kernel-chosen port (never a fixed one), and a one-connection server
// thread that runs a script against whoever connects.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>

#include "net/tcp_transport.hpp"

namespace okuru::test {

class Listener {
  public:
    // `address` is an IPv4 or IPv6 literal; throws std::runtime_error if unusable.
    explicit Listener(const std::string& address = "127.0.0.1", int backlog = 8) {
        sockaddr_storage ss{};
        socklen_t len = 0;
        auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
        if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
            v4->sin_family = AF_INET;
            len = sizeof *v4;
        } else if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
            v6->sin6_family = AF_INET6;
            len = sizeof *v6;
        } else {
            throw std::runtime_error("bad address " + address);
        }
        fd_ = Fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!fd_ || ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
            ::listen(fd_.get(), backlog) != 0 ||
            ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
            throw std::runtime_error("cannot listen on " + address + ": " + std::strerror(errno));
        }
        port_ = ntohs(ss.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
    }

    std::uint16_t port() const { return port_; }

    // The next connection, with 10 s send/receive timeouts so a test server can
    // never hang the suite; an empty Fd if nobody connects in time.
    Fd accept(std::chrono::milliseconds wait = std::chrono::seconds(10)) {
        pollfd p{fd_.get(), POLLIN, 0};
        if (::poll(&p, 1, int(wait.count())) <= 0) return Fd();
        Fd conn(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        timeval tv{10, 0};
        ::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(conn.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        return conn;
    }

  private:
    Fd fd_;
    std::uint16_t port_ = 0;
};

// Accepts one connection on 127.0.0.1 in a thread and runs `script` on it.
// Exceptions in the script are kept in failure() for the test to check.
class OneShotServer {
  public:
    explicit OneShotServer(std::function<void(Fd&)> script,
                           const std::string& address = "127.0.0.1")
        : listener_(address) {
        thread_ = std::thread([this, script = std::move(script)] {
            try {
                Fd conn = listener_.accept();
                if (conn) script(conn);
            } catch (const std::exception& e) {
                failure_ = e.what();
            }
        });
    }
    ~OneShotServer() { join(); }
    OneShotServer(const OneShotServer&) = delete;
    OneShotServer& operator=(const OneShotServer&) = delete;

    std::uint16_t port() const { return listener_.port(); }
    void join() {
        if (thread_.joinable()) thread_.join();
    }
    const std::string& failure() {
        join();
        return failure_;
    }

  private:
    Listener listener_;
    std::string failure_;
    std::thread thread_;
};

}  // namespace okuru::test
