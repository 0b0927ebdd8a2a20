#include "store/retry.hpp"

#include <algorithm>
#include <cstdint>

namespace okuru::retry {

std::chrono::seconds backoff(const Policy& policy, std::uint32_t attempts) {
    // Doubling from the minimum; the loop stops at the cap, so no shift overflows
    // however many attempts a file claims.
    std::chrono::seconds wait = policy.minimal_backoff;
    for (std::uint32_t i = 1; i < attempts && wait < policy.maximal_backoff; ++i) wait *= 2;
    return std::min(wait, policy.maximal_backoff);
}

Schedule first_failure(const Policy& policy, std::int64_t now) {
    return Schedule{now, 1, now + backoff(policy, 1).count()};
}

Schedule after_failure(const Policy& policy, Schedule schedule, std::int64_t now) {
    if (schedule.first_attempt == 0 || schedule.first_attempt > now) schedule.first_attempt = now;
    if (schedule.attempts < UINT32_MAX) ++schedule.attempts;
    schedule.next_attempt = now + backoff(policy, schedule.attempts).count();
    return schedule;
}

bool expired(const Policy& policy, const Schedule& schedule, std::int64_t now) {
    return schedule.first_attempt != 0 && now - schedule.first_attempt >= policy.max_age.count();
}

Decision decide(const Policy& policy, const Schedule& schedule, std::int64_t now, bool force) {
    if (expired(policy, schedule, now)) return Decision::give_up;
    // A next attempt far in the future (a clock set back, an edited file) is
    // still bounded by the longest wait.
    const bool due = schedule.next_attempt <= now ||
                     schedule.next_attempt - now > policy.maximal_backoff.count();
    return force || due ? Decision::attempt : Decision::wait;
}

}  // namespace okuru::retry
