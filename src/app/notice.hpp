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
#include "app/notice_format.hpp"
#include "store/deadletter.hpp"

namespace okuru {

// Refusal (one recipient given up, with the server's reply) is in
// app/notice_format.hpp, with the builder of the notice's text.

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
