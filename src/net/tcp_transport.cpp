// TcpTransport: every wait is a poll() with a deadline, so a stalled server can
// never hang okuru; the socket stays non-blocking for its whole life.
#include "net/tcp_transport.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/errors.hpp"
#include "base/interrupt.hpp"
#include "base/log.hpp"

namespace okuru {

Cause socket_error_cause(int err) {
    switch (err) {
        case ECONNREFUSED:
            return Cause::refused;
        case ETIMEDOUT:
            return Cause::timed_out;
        case ENETUNREACH:
        case EHOSTUNREACH:
        case ENETDOWN:
        case EHOSTDOWN:
            return Cause::unreachable;
        case EPIPE:
        case ECONNRESET:
        case ECONNABORTED:
            return Cause::connection_lost;
        default:
            return Cause::none;
    }
}

bool wait_fd(int fd, short events, Clock::time_point deadline) {
    if (events & POLLIN) {
        // Acknowledge what arrives at once: the server writes its reply in pieces
        // (TLS handshake, then greeting), and with its Nagle algorithm waiting for
        // our delayed ACK each piece would cost ~40 ms on an idle link. The kernel
        // clears the flag by itself, so it is set again before every wait.
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
    }
    for (;;) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        const int timeout = left.count() <= 0 ? 0 : int(std::min<long long>(left.count(), 1 << 30));
        pollfd p{fd, events, 0};
        const int n = interruptible_poll(&p, 1, timeout);
        if (n > 0) return true;  // ready, or an error/hang-up the next call will report
        if (n == 0) {
            if (Clock::now() >= deadline) return false;
            continue;
        }
        if (errno != EINTR) throw_system(Exit::tempfail, "poll", errno);
    }
}

TcpTransport::TcpTransport(Fd fd, std::string peer_name, TlsParams tls,
                           std::shared_ptr<const tls::Context> context,
                           std::chrono::milliseconds write_timeout, Clock::time_point deadline)
    : fd_(std::move(fd)),
      peer_(std::move(peer_name)),
      tls_(std::move(tls)),
      context_(std::move(context)),
      write_timeout_(write_timeout),
      deadline_(deadline) {}

void TcpTransport::time_out(Clock::time_point until, const std::string& otherwise) const {
    if (deadline_ <= until) {
        throw Error(Exit::tempfail,
                    "the submission's deadline passed (the deadline key) with " + peer_,
                    Cause::timed_out);
    }
    throw Error(Exit::tempfail, otherwise, Cause::timed_out);
}

TcpTransport::~TcpTransport() {
    // Best effort close_notify: one non-blocking attempt, no waiting for the reply.
    if (session_) gnutls_bye(session_->get(), GNUTLS_SHUT_WR);
}

void TcpTransport::write(std::string_view data) {
    // Checked before each write and read, not only when one waits: a server that
    // trickles its replies byte by byte never makes a read wait.
    if (Clock::now() >= deadline_) time_out(deadline_, {});
    if (session_) {
        write_tls(data);
    } else {
        write_plain(data);
    }
}

void TcpTransport::write_plain(std::string_view data) {
    plain_dialogue_ = true;
    while (!data.empty()) {
        // MSG_NOSIGNAL: a peer that has gone away gives EPIPE, not a SIGPIPE death.
        const ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
        if (n >= 0) {
            data.remove_prefix(std::size_t(n));
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            const auto until = Clock::now() + write_timeout_;
            if (!wait_fd(fd_.get(), POLLOUT, bounded(until)))
                time_out(until, "timed out sending to " + peer_);
        } else if (const int err = errno; err != EINTR) {
            throw_system(Exit::tempfail, "cannot send to " + peer_, err, socket_error_cause(err));
        }
    }
}

void TcpTransport::write_tls(std::string_view data) {
    gnutls_session_t s = session_->get();
    while (!data.empty()) {
        // GnuTLS cuts the buffer into records of at most 16 KiB; with TCP_NODELAY a
        // small pipelined group leaves as one record in one segment.
        const ssize_t n = gnutls_record_send(s, data.data(), data.size());
        if (n > 0) {
            data.remove_prefix(std::size_t(n));
        } else if (n == GNUTLS_E_AGAIN) {
            // Retried with the same arguments, as GnuTLS requires.
            const auto until = Clock::now() + write_timeout_;
            if (!wait_fd(fd_.get(), POLLOUT, bounded(until)))
                time_out(until, "timed out sending to " + peer_);
        } else if (n != GNUTLS_E_INTERRUPTED) {
            throw Error(Exit::tempfail, "cannot send to " + peer_ + ": " + gnutls_strerror(int(n)));
        }
    }
}

std::size_t TcpTransport::read(std::span<char> buf, Clock::time_point deadline) {
    if (buf.empty()) return 0;
    if (Clock::now() >= deadline_) time_out(deadline_, {});
    for (;;) {
        if (session_) {
            gnutls_session_t s = session_->get();
            // Decrypted bytes may already be buffered: polling the socket would miss them.
            const ssize_t n = gnutls_record_recv(s, buf.data(), buf.size());
            if (n >= 0) return std::size_t(n);
            // A server that drops TCP without close_notify after QUIT: end of stream.
            if (n == GNUTLS_E_PREMATURE_TERMINATION) return 0;
            if (n == GNUTLS_E_INTERRUPTED || n == GNUTLS_E_REHANDSHAKE) continue;
            if (n != GNUTLS_E_AGAIN && gnutls_error_is_fatal(int(n))) {
                throw Error(Exit::tempfail,
                            "cannot read from " + peer_ + ": " + gnutls_strerror(int(n)));
            }
            if (n != GNUTLS_E_AGAIN) continue;  // a warning alert: keep reading
        } else {
            plain_dialogue_ = true;
            const ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
            if (n >= 0) return std::size_t(n);
            if (errno == EINTR) continue;
            if (const int err = errno; err != EAGAIN && err != EWOULDBLOCK) {
                throw_system(Exit::tempfail, "cannot read from " + peer_, err,
                             socket_error_cause(err));
            }
        }
        if (!wait_fd(fd_.get(), POLLIN, bounded(deadline)))
            time_out(deadline, "timed out waiting for " + peer_);
    }
}

void TcpTransport::check_quiet_before_handshake() {
    // The server must say nothing between its STARTTLS reply and our ClientHello:
    // bytes here were injected into the plaintext stream (RFC 3207 5, and the
    // "STARTTLS response injection" class of attacks).
    char c;
    const ssize_t n = ::recv(fd_.get(), &c, 1, MSG_PEEK);
    if (n == 0) {
        throw Error(Exit::tempfail, peer_ + " closed the connection before TLS",
                    Cause::connection_lost);
    }
    if (n > 0 && !plain_dialogue_) {
        throw Error(Exit::protocol,
                    peer_ +
                        " sent plaintext where a TLS handshake was expected "
                        "(is the port meant for STARTTLS, not implicit TLS?)",
                    Cause::not_tls);
    }
    if (n > 0) {
        throw Error(Exit::protocol,
                    peer_ + " sent data before the TLS handshake (response injection?)");
    }
}

void TcpTransport::start_tls(Clock::time_point deadline) {
    if (session_) throw Error(Exit::software, "TLS is already active with " + peer_);
    if (!context_) context_ = std::make_shared<const tls::Context>(tls_);
    check_quiet_before_handshake();

    auto session = std::make_unique<tls::Session>(context_, fd_.get());
    gnutls_session_t s = session->get();
    for (;;) {
        const int rc = gnutls_handshake(s);
        if (rc == GNUTLS_E_SUCCESS) break;
        if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
            const short events = gnutls_record_get_direction(s) ? POLLOUT : POLLIN;
            if (!wait_fd(fd_.get(), events, bounded(deadline)))
                time_out(deadline, "TLS handshake with " + peer_ + " timed out");
            continue;
        }
        if (!gnutls_error_is_fatal(rc)) continue;  // warning alert
        session->fail_handshake(rc, peer_);
    }
    try {
        session->verify();
    } catch (const Error&) {
        presented_ = session->details();
        // Tell the server why we hang up; nothing of ours has been sent.
        gnutls_alert_send(s, GNUTLS_AL_FATAL, GNUTLS_A_BAD_CERTIFICATE);
        throw;
    }
    session_ = std::move(session);
}

std::optional<TlsDetails> TcpTransport::tls_details() const {
    if (!session_) return std::nullopt;
    return session_->details();
}

std::optional<TlsDetails> TcpTransport::presented_certificate() const {
    if (session_) return session_->details();
    return presented_;
}

std::optional<ChannelBinding> TcpTransport::channel_binding() const {
    if (!session_) return std::nullopt;
    return session_->channel_binding();
}

bool TcpTransport::has_client_certificate() const {
    return session_ && session_->sent_client_certificate();
}

}  // namespace okuru
