// The real Transport: a connected non-blocking TCP socket (TCP_NODELAY) with
// poll()-bounded reads, writes and TLS handshake, and GnuTLS on top once
// start_tls() has run. Built by open_connection() (net.hpp).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "base/errors.hpp"
#include "base/fd.hpp"
#include "net/tls_session.hpp"
#include "net/transport.hpp"

namespace okuru {

// What a socket errno (connect, send, recv) means for a caller deciding on it:
// refused, timed_out, unreachable, connection_lost, or none for the rest.
Cause socket_error_cause(int err);

// Waits until `fd` has one of `events` (POLLIN/POLLOUT) or the deadline passes.
// Returns false on timeout. Throws Error(Exit::tempfail) if poll fails.
bool wait_fd(int fd, short events, Clock::time_point deadline);

class TcpTransport final : public Transport {
  public:
    // `context` may be null: start_tls() then loads it from `tls` first.
    TcpTransport(Fd fd, std::string peer_name, TlsParams tls,
                 std::shared_ptr<const tls::Context> context,
                 std::chrono::milliseconds write_timeout,
                 Clock::time_point deadline = Clock::time_point::max());
    ~TcpTransport() override;

    void write(std::string_view data) override;
    std::size_t read(std::span<char> buf, Clock::time_point deadline) override;
    void start_tls(Clock::time_point deadline) override;
    bool secure() const override { return session_ != nullptr; }
    std::optional<TlsDetails> tls_details() const override;
    std::optional<TlsDetails> presented_certificate() const override;
    std::optional<ChannelBinding> channel_binding() const override;
    bool has_client_certificate() const override;
    std::string peer_name() const override { return peer_; }

  private:
    void write_plain(std::string_view data);
    void write_tls(std::string_view data);
    void check_quiet_before_handshake();
    // The earlier of `until` and the overall deadline.
    Clock::time_point bounded(Clock::time_point until) const { return std::min(until, deadline_); }
    // Throws the timeout for a wait that ended at bounded(until): the overall
    // deadline's own message when that was the bound, else `otherwise`.
    [[noreturn]] void time_out(Clock::time_point until, const std::string& otherwise) const;

    Fd fd_;  // declared first: closed after the session is gone
    std::string peer_;
    TlsParams tls_;
    std::shared_ptr<const tls::Context> context_;
    std::chrono::milliseconds write_timeout_;
    Clock::time_point deadline_;             // the submission's overall deadline (ConnectParams)
    std::unique_ptr<tls::Session> session_;  // set once the peer is verified
    bool plain_dialogue_ = false;            // bytes were exchanged before TLS (STARTTLS)
    std::optional<TlsDetails> presented_;    // certificate of a handshake that failed verification
};

}  // namespace okuru
