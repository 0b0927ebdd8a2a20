// Reading SMTP replies (RFC 5321 4.2): multi-line, with RFC 3463 enhanced status
// codes. Anything malformed is refused with Exit::protocol: codes outside
// 200-599, a line without a valid separator, mixed codes in one reply, control
// bytes, lines over 4096 octets, replies over 64 KiB in total.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "transport.hpp"

namespace okuru {

struct Reply {
    int code = 0;
    std::string enhanced;            // "5.1.1", or "" when absent
    std::vector<std::string> lines;  // text after "NNN-"/"NNN " on each line

    bool positive() const { return code >= 200 && code < 400; }
    bool transient() const { return code >= 400 && code < 500; }
    bool permanent() const { return code >= 500; }
    // "550 5.1.1 <x@y>: Recipient address rejected" (lines joined by " / "),
    // control bytes escaped: safe to print.
    std::string str() const;
};

class ReplyReader {
public:
    explicit ReplyReader(Transport& transport) : transport_(transport) {}
    // Reads one complete reply. Throws Error(Exit::protocol) for garbage,
    // Error(Exit::tempfail) for timeout or a connection closed mid-reply.
    Reply read(std::chrono::milliseconds timeout);
    // Bytes received but not yet consumed (STARTTLS injection check, RFC 3207).
    bool has_buffered() const { return pos_ < buffer_.size(); }
    void discard_buffer() { buffer_.clear(); pos_ = 0; }

private:
    std::string read_line(Clock::time_point deadline);
    Transport& transport_;
    std::string buffer_;
    std::size_t pos_ = 0;
};

}  // namespace okuru
