// The RFC 3461 delivery status notification parameters a caller asks for with
// -N, -R and -V: part of a message's envelope, sent with MAIL FROM and RCPT TO on
// the first attempt and every retry, and kept with a message that waits for one.
#pragma once

#include <optional>
#include <string>

namespace okuru {

struct DsnOptions {
    std::optional<std::string> notify;  // "NEVER" or a "SUCCESS,DELAY,FAILURE" subset
    std::optional<std::string> ret;     // "FULL" / "HDRS"
    std::optional<std::string> envid;   // 1-100 printable ASCII; xtext-encoded by the session
};

// RFC 3461 4.1: no failure notice is wanted when NOTIFY is NEVER or a list
// without FAILURE; okuru honours it for the notices it writes itself.
bool wants_failure_notice(const DsnOptions& dsn);

}  // namespace okuru
