// Reading SMTP replies (RFC 5321 4.2): multi-line, with RFC 3463 enhanced status
// codes. Anything malformed is refused with Exit::protocol: codes outside
// 200-599, a line without a valid separator, mixed codes in one reply, control
// bytes, lines over 4096 octets, replies over 64 KiB in total.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "net/transport.hpp"

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
    // RFC 5321 4.5.3.1.5 allows 512 octets per reply line; real servers send
    // longer text, so the limits are generous but finite: a hostile server cannot
    // make okuru buffer without bound (a reply that never ends hits the total).
    static constexpr std::size_t max_line = 4096;
    static constexpr std::size_t max_reply = 64 * 1024;

    explicit ReplyReader(Transport& transport) : transport_(transport) {}
    // Reads one complete reply. Throws Error(Exit::protocol) for garbage,
    // Error(Exit::tempfail) for timeout or a connection closed mid-reply.
    Reply read(std::chrono::milliseconds timeout) { return read(timeout, ""); }
    // The same; `what` ("MAIL FROM", "greeting") names the awaited reply in the
    // timeout message: "timed out after 300 s waiting for reply to MAIL FROM".
    Reply read(std::chrono::milliseconds timeout, std::string_view what);
    // Bytes received but not yet consumed (STARTTLS injection check, RFC 3207).
    bool has_buffered() const { return pos_ < buffer_.size(); }
    void discard_buffer() {
        buffer_.clear();
        pos_ = 0;
    }
    // The unconsumed bytes, escaped and shortened, for error messages.
    std::string buffered_excerpt() const;

  private:
    std::string read_line(Clock::time_point deadline);
    Transport& transport_;
    std::string buffer_;
    std::size_t pos_ = 0;
    std::chrono::milliseconds timeout_{0};
    std::string_view what_;
};

// "300 s", "1.5 s": how long a timeout was, for messages.
std::string format_duration(std::chrono::milliseconds d);

}  // namespace okuru
