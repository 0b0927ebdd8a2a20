// -bs (app/smtp_mode.cpp): how the outcome of a message's attempts becomes
// the reply to the SMTP client's final dot.
#pragma once

#include <vector>

#include "app/attempt.hpp"
#include "server/session.hpp"

namespace okuru {

// 250 only when every part was either accepted by the relay or kept for retry
// (responsibility has passed, as to an MTA's queue; the text says which); 5xx
// when the relay refused it for good; 4xx when it failed and nothing was kept,
// so that the client tries again.
server::DataReply final_dot_reply(const std::vector<Attempted>& done);

}  // namespace okuru
