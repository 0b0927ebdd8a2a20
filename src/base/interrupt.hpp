// SIGTERM, SIGINT and SIGHUP while a message is being submitted: the signal is
// held and delivered only inside the network waits (ppoll), which then throw, so
// the session stops before the end of data (the server discards the partial
// message) and the normal failure path saves the message and exits 75.
#pragma once

#include <poll.h>
#include <signal.h>

namespace okuru {

// RAII: while alive, the three signals are blocked except inside interruptible_poll.
class InterruptGuard {
  public:
    InterruptGuard();
    ~InterruptGuard();
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

  private:
    sigset_t old_mask_;
    struct sigaction old_actions_[3];
};

// poll() that lets a held signal in; throws Error(Exit::tempfail, "interrupted by
// SIGTERM") if one arrived. Returns what poll returns otherwise (EINTR retried).
int interruptible_poll(pollfd* fds, nfds_t n, int timeout_ms);

}  // namespace okuru
