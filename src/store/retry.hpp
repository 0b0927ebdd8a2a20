// When a kept message is tried again, and when okuru gives it up: per-message
// exponential backoff and a maximum age, as Postfix's minimal_backoff_time,
// maximal_backoff_time and maximal_queue_lifetime. Pure: the caller passes the
// time ("now", Unix seconds), so tests drive the clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace okuru::retry {

struct Policy {
    // First retry this long after the first failure, then doubling: a timer that
    // fires every few minutes never hammers a relay that is down.
    std::chrono::seconds minimal_backoff{300};
    std::chrono::seconds maximal_backoff{3600};
    // Key "max_age": after this long since the first attempt the message is given up.
    std::chrono::seconds max_age{std::chrono::hours(24 * 5)};
};

// What is recorded with a kept message. All times are Unix seconds.
struct Schedule {
    std::int64_t first_attempt = 0;  // when okuru first tried to send it
    std::uint32_t attempts = 0;      // failed attempts so far
    std::int64_t next_attempt = 0;   // not tried by the timer before this
};

// The wait after the `attempts`-th failed attempt (1: minimal_backoff), doubling
// each time, at most maximal_backoff.
std::chrono::seconds backoff(const Policy& policy, std::uint32_t attempts);

// The schedule of a message whose first attempt failed at `now`.
Schedule first_failure(const Policy& policy, std::int64_t now);

// The schedule after one more failed attempt at `now`.
Schedule after_failure(const Policy& policy, Schedule schedule, std::int64_t now);

enum class Decision {
    wait,     // not due yet: left for a later run
    attempt,  // try it now
    give_up,  // older than max_age: moved aside, the sender told
};

// What a run at `now` does with a message: expired messages are given up even
// when `force` (-q) is set; `force` tries the others whether due or not.
Decision decide(const Policy& policy, const Schedule& schedule, std::int64_t now, bool force);

// Whether `schedule` has outlived policy.max_age at `now`.
bool expired(const Policy& policy, const Schedule& schedule, std::int64_t now);

}  // namespace okuru::retry
