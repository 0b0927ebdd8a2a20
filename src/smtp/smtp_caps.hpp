// ESMTP capabilities from an EHLO reply (RFC 5321 4.1.1.1 and the extension RFCs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "smtp/smtp_reply.hpp"

namespace okuru {

struct Capabilities {
    bool starttls = false;              // RFC 3207
    bool pipelining = false;            // RFC 2920
    bool chunking = false;              // RFC 3030
    bool eightbitmime = false;          // RFC 6152
    bool smtputf8 = false;              // RFC 6531
    bool dsn = false;                   // RFC 3461
    bool enhanced_status = false;       // RFC 2034
    std::optional<std::uint64_t> size;  // RFC 1870; 0 means "no fixed limit"
    std::vector<std::string> auth;      // RFC 4954 mechanisms, upper-case

    static Capabilities parse(const Reply& ehlo_reply);
};

}  // namespace okuru
