#include "base/interrupt.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <iterator>
#include <string>

#include "base/errors.hpp"

namespace okuru {
namespace {

constexpr int held_signals[6] = {SIGTERM, SIGINT, SIGHUP, SIGALRM, SIGVTALRM, SIGPROF};
constexpr int stray_signals[5] = {SIGUSR1, SIGUSR2, SIGIO, SIGPWR, SIGXFSZ};
volatile sig_atomic_t caught = 0;
bool armed = false;
sigset_t wait_mask;  // the mask to use inside ppoll: the signals let through

void on_signal(int sig) {
    caught = sig;
}

void on_stray_signal(int) {}

}  // namespace

void absorb_stray_signals() {
    struct sigaction sa {};
    sa.sa_handler = on_stray_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (int s : stray_signals) sigaction(s, &sa, nullptr);
}

InterruptGuard::InterruptGuard() {
    sigset_t block;
    sigemptyset(&block);
    for (int s : held_signals) sigaddset(&block, s);
    sigprocmask(SIG_BLOCK, &block, &old_mask_);
    wait_mask = old_mask_;
    for (int s : held_signals) sigdelset(&wait_mask, s);
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (std::size_t i = 0; i < std::size(held_signals); ++i)
        sigaction(held_signals[i], &sa, &old_actions_[i]);
    caught = 0;
    armed = true;
}

InterruptGuard::~InterruptGuard() {
    armed = false;
    for (std::size_t i = 0; i < std::size(held_signals); ++i)
        sigaction(held_signals[i], &old_actions_[i], nullptr);
    sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
}

int interruptible_poll(pollfd* fds, nfds_t n, int timeout_ms) {
    for (;;) {
        if (caught) {
            throw Error(Exit::tempfail, std::string("interrupted by SIG") + sigabbrev_np(caught) +
                                            "; the message was not completed");
        }
        int rc;
        if (armed) {
            timespec ts{timeout_ms / 1000, long(timeout_ms % 1000) * 1'000'000};
            rc = ::ppoll(fds, n, timeout_ms < 0 ? nullptr : &ts, &wait_mask);
        } else {
            rc = ::poll(fds, n, timeout_ms);
        }
        if (rc >= 0 || errno != EINTR) return rc;
    }
}

}  // namespace okuru
