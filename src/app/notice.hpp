// Failure notices (RFC 3464 delivery status notifications) sent to the envelope
// sender when okuru gives a message up: a permanent refusal, a recipient refused
// while others were accepted, or a message that outlived max_age. Sent through
// the normal routing; never a notice about a notice.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "app/attempt.hpp"
#include "store/deadletter.hpp"

namespace okuru {

// One recipient the message could not reach, with what the server said.
struct Refusal {
    std::string recipient;   // as sent in RCPT TO
    std::string reply;       // the server's reply, e.g. "550 5.1.1 <x@y>: unknown"
    bool permanent = true;   // 5xx (or given up after max_age)
    std::string remote_mta;  // the relay that answered, "" when none did
};

// Sends the notice for `envelope` (the original message's) to its sender, naming
// each refused recipient; `why` is the human-readable reason ("refused by the
// server", "no delivery for 5 days"); `original_headers` go in the notice's third
// part; `arrival` is when okuru first took the message (Unix seconds, 0: unknown).
// Never throws: a notice that cannot be sent is logged and said on stderr; a null
// sender or a notice's own failure is only logged.
void notify_failure(const AttemptContext& context, const SavedEnvelope& envelope,
                    std::string_view original_headers, const std::vector<Refusal>& refused,
                    std::string_view why, std::int64_t arrival = 0) noexcept;

}  // namespace okuru
