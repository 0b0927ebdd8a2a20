// From a message read and its request to the submissions that carry it:
// qualification, aliases and routing, then the final envelope and header block
// of each part. Shared by every way a message comes in: the command line, a
// message kept for --resend-failed, and an SMTP client (-bs).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "app/attempt.hpp"
#include "config/config.hpp"
#include "config/route.hpp"
#include "message/dsn.hpp"
#include "message/message.hpp"

namespace okuru {

// What one message needs beyond the configuration: from the command line, or
// from the envelope saved with a failed message.
struct Request {
    std::optional<std::string> account;   // -a, or the account tried before
    std::optional<std::string> sender;    // validated -f ("" = null sender)
    std::vector<std::string> recipients;  // validated, possibly bare names
    // A message of the system spool: the user who dropped it, authorised as
    // that user even when root resends it (app/authorize.hpp).
    std::optional<uid_t> submitter;
};

struct Prepared {
    std::string sender;  // qualified envelope sender before any account rewrite
    std::vector<Submission> plan;
};

// Qualification and routing, shared by a new message and a resent one (both
// steps are idempotent, so a saved message goes through them again safely).
// Rewrites the addresses in msg's headers as the envelope's are rewritten.
Prepared prepare(const Config& config, const Request& req, InputMessage& msg);

// One submission of a prepared message, final: its envelope (with the DSN
// requests `dsn`, kept and sent again with it) and header block.
Planned planned(const Submission& s, const std::string& sender, const InputMessage& msg,
                const std::optional<std::string>& full_name, const DsnOptions& dsn);

// The login name of the real uid (the sender of last resort).
std::string login_name();

}  // namespace okuru
