// The failure notice as text: an RFC 3464 delivery status notification, built
// without any I/O so that its structure can be tested on its own. notice.cpp
// sends it; this file only decides what it says.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace okuru {

// One recipient the message could not reach, with what the server said.
struct Refusal {
    std::string recipient;   // as sent in RCPT TO
    std::string reply;       // the server's reply, e.g. "550 5.1.1 <x@y>: unknown"
    bool permanent = true;   // 5xx (or given up after max_age)
    std::string remote_mta;  // the relay that answered, "" when none did
};

struct NoticeInput {
    std::string reporting_mta;     // this host's name (Reporting-MTA: dns; ...)
    std::string to;                // the original envelope sender (notice's To:)
    std::string from;              // the notice's From: address
    std::string original_headers;  // the original header block, CR LF or LF
    std::vector<Refusal> refused;
    std::string why;            // human-readable reason for giving up
    std::int64_t arrival = 0;   // when okuru took the original (0: unknown)
    std::int64_t now = 0;       // the notice's Date
    std::string boundary_seed;  // makes the MIME boundary unique (pid, time...)
};

struct NoticeText {
    std::vector<std::pair<std::string, std::string>> headers;  // name, " value"
    std::string body;  // the multipart body, CR LF line ends
    bool eight_bit = false;
    // The whole message, headers, empty line and body (tests, saved copies).
    std::string render() const;
};

// The notice: headers (From, To, Subject, MIME-Version, Content-Type
// multipart/report; report-type=delivery-status, Auto-Submitted: auto-replied,
// References) and the three parts of RFC 3464 2: text/plain for people,
// message/delivery-status, text/rfc822-headers. Date and Message-ID are left
// to the normal header finishing.
NoticeText format_notice(const NoticeInput& in);

// RFC 3464 Status for a recipient given up: the reply's enhanced code when it
// is permanent (5.x.x); a transient one given up keeps its subject and detail
// as 5.x.x; without one, 5.0.0 for a 5xx reply and 5.4.7 (delivery time
// expired, RFC 3463) for anything else.
std::string notice_status(const Refusal& r);

// Whether a header block is a failure notice's (okuru's or any MTA's): an
// "Auto-Submitted: auto-replied" (RFC 3834 5) or a Content-Type multipart/report
// with report-type=delivery-status (RFC 3462). Such a message never gets a
// notice of its own. Cron's "auto-generated" output is not a notice.
bool is_notice(std::string_view headers);

// The unfolded value of the first field `name` in a header block ("" if none).
std::string header_value(std::string_view headers, std::string_view name);

}  // namespace okuru
