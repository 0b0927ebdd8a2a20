// Reading the message from stdin and preparing its header block. The header
// block is parsed and held in memory (bounded); the body is streamed into a
// Spool in wire form. Only the headers okuru must change are touched: Bcc and
// Resent-Bcc removed, Date / Message-ID / From added when missing, bare names
// qualified in From/To/Cc, and an account's From rewrite.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "address.hpp"
#include "spool.hpp"

namespace okuru {

struct Header {
    std::string name;   // as written
    std::string value;  // everything after the colon, folding kept (CR LF), no final CR LF
};

class HeaderBlock {
public:
    std::vector<Header>& fields() { return fields_; }
    const std::vector<Header>& fields() const { return fields_; }
    // Case-insensitive look-ups.
    const Header* find(std::string_view name) const;
    std::vector<const Header*> find_all(std::string_view name) const;
    void remove_all(std::string_view name);
    void add(std::string name, std::string value);  // appended at the end
    // name: value CRLF ... (no blank line).
    std::string render() const;

private:
    std::vector<Header> fields_;
};

struct ReadOptions {
    bool dot_ends_input = true;  // sendmail without -i: a line "." ends the message
    std::size_t max_header_bytes = 1 << 20;
};

struct InputMessage {
    HeaderBlock headers;
    Spool body;               // wire form, ends with CR LF (or empty)
    bool eight_bit = false;   // any octet >= 0x80 in headers or body
    std::size_t lines_split = 0;
};

// Reads the whole message from fd. Throws Error(Exit::dataerr) for an empty input,
// NUL bytes, or a header block over the limit; Error(Exit::ioerr) on read errors.
// A first line that is not a header field starts the body (as sendmail does).
InputMessage read_message(int fd, const ReadOptions& options);

// -t: addresses of To/Cc/Bcc, or of Resent-To/Cc/Bcc if any Resent- header exists.
// Throws Error(Exit::dataerr) for unparsable address headers.
std::vector<std::string> header_recipients(const HeaderBlock& headers);

// The first From: mailbox's address, if any.
std::optional<std::string> header_sender(const HeaderBlock& headers);

// Rewrites every bare address in From/To/Cc/Reply-To/Sender (and Resent-) via
// `expand` (which may fan one name out to several addresses).
void qualify_headers(HeaderBlock& headers,
                     const std::function<std::vector<std::string>(std::string_view)>& expand);

struct HeaderFinish {
    std::string envelope_sender;    // qualified
    std::optional<std::string> full_name;  // -F
    std::string from_rewrite;       // account's from_header, empty: keep
    std::string message_id_domain;  // domain for a generated Message-ID
    std::int64_t now = 0;           // time for Date:, 0: the current time
};

// Removes Bcc/Resent-Bcc, adds Date/Message-ID/From when missing, applies the From
// rewrite; returns the rendered header block followed by the empty line (CR LF).
std::string finish_headers(HeaderBlock headers, const HeaderFinish& finish);

// RFC 5322 3.3 date in the local zone: "Mon, 23 Nov 2026 10:37:33 +0900".
std::string rfc5322_date(std::int64_t unix_time);
// "<random.time@domain>" unique per call.
std::string make_message_id(std::string_view domain);

}  // namespace okuru
