// The overall deadline of one submission (issue 12) at the transport: it bounds
// every read and write however long the per-call timeout, so a server that
// answers each reply just inside `timeout` still cannot hold okuru for ever.
// End to end (a slow scripted server): tests/integration/test_deadline.py.
#include <fcntl.h>
#include <sys/socket.h>

#include <array>
#include <catch2/catch.hpp>
#include <chrono>

#include "net/tcp_transport.hpp"

using namespace okuru;
using namespace std::chrono_literals;

namespace {

// A connected non-blocking pair: the client end for the transport, the other
// kept silent (a server that never answers).
struct Pair {
    Fd client, server;
    Pair() {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
        client = Fd(fds[0]);
        server = Fd(fds[1]);
    }
};

}  // namespace

TEST_CASE("deadline - a read ends at the overall deadline, not the reply timeout") {
    Pair p;
    const auto start = Clock::now();
    TcpTransport t(std::move(p.client), "peer", TlsParams{}, nullptr, 300s, start + 200ms);
    std::array<char, 16> buf{};
    try {
        t.read(buf, start + 60s);  // the per-reply deadline is far away
        FAIL("read returned");
    } catch (const Error& e) {
        CHECK(e.code() == Exit::tempfail);
        CHECK(cause_of(e) == Cause::timed_out);
        CHECK_THAT(e.what(), Catch::Contains("deadline"));
    }
    const auto took = Clock::now() - start;
    CHECK(took >= 190ms);
    CHECK(took < 5s);
}

TEST_CASE("deadline - the reply timeout still ends a read before the deadline") {
    Pair p;
    const auto start = Clock::now();
    TcpTransport t(std::move(p.client), "peer", TlsParams{}, nullptr, 300s, start + 60s);
    std::array<char, 16> buf{};
    try {
        t.read(buf, start + 100ms);
        FAIL("read returned");
    } catch (const Error& e) {
        CHECK_THAT(e.what(), Catch::StartsWith("timed out waiting for peer"));
    }
}

TEST_CASE("deadline - nothing is written once it has passed") {
    Pair p;
    TcpTransport t(std::move(p.client), "peer", TlsParams{}, nullptr, 300s, Clock::now() - 1ms);
    CHECK_THROWS_WITH(t.write("QUIT\r\n"), Catch::Contains("deadline"));
    std::array<char, 16> buf{};
    CHECK(::recv(p.server.get(), buf.data(), buf.size(), 0) == -1);  // nothing arrived
}

TEST_CASE("deadline - a write that cannot drain ends at the deadline") {
    Pair p;
    const auto start = Clock::now();
    TcpTransport t(std::move(p.client), "peer", TlsParams{}, nullptr, 300s, start + 200ms);
    // Far more than the socket buffers hold, and the server never reads.
    const std::string big(64 << 20, 'x');
    CHECK_THROWS_WITH(t.write(big), Catch::Contains("deadline"));
    CHECK(Clock::now() - start < 5s);
}
