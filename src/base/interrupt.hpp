// SIGTERM, SIGINT and SIGHUP while a message is being submitted: the signal is
// held and delivered only inside the network waits (ppoll), which then throw, so
// the session stops before the end of data (the server discards the partial
// message) and the normal failure path saves the message and exits 75.
// SIGALRM, SIGVTALRM and SIGPROF are a deadline someone set (timers survive
// execve): treated the same. Signals that mean nothing to okuru but whose
// default action would kill it after the message was read (SIGUSR1, SIGUSR2,
// SIGIO, SIGPWR, SIGXFSZ) are absorbed for the whole run (issue 10, part 7).
#pragma once

#include <poll.h>
#include <signal.h>

namespace okuru {

// Absorbs the stray signals for the rest of the run: a handler that does nothing
// (SA_RESTART), not SIG_IGN, so that programs okuru runs (password_command) get
// the default actions back at execve. With SIGXFSZ absorbed, a write past a file
// size limit fails with EFBIG and takes the error path instead of killing okuru.
void absorb_stray_signals();

// RAII: while alive, the held signals are blocked except inside interruptible_poll.
class InterruptGuard {
  public:
    InterruptGuard();
    ~InterruptGuard();
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

  private:
    sigset_t old_mask_;
    struct sigaction old_actions_[6];
};

// poll() that lets a held signal in; throws Error(Exit::tempfail, "interrupted by
// SIGTERM") if one arrived. Returns what poll returns otherwise (EINTR retried).
int interruptible_poll(pollfd* fds, nfds_t n, int timeout_ms);

}  // namespace okuru
