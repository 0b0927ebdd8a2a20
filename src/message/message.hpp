// Reading the message from stdin and preparing its header block. The header
// block is parsed and held in memory (bounded); the body is streamed into a
// Spool in wire form. Only the headers okuru must change are touched: Bcc and
// Resent-Bcc removed, Date / Message-ID / From added when missing, bare names
// and this host's addresses qualified in the address fields, an account's From
// rewrite, and fields over 998 octets refolded (header_fold.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "message/address.hpp"
#include "message/spool.hpp"

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
    Spool body;                   // wire form, ends with CR LF (or empty), lines <= 998
    bool eight_bit = false;       // any octet >= 0x80 in headers or body
    bool body_reencoded = false;  // lines over 998 octets: see encode_long_lines
    // NUL bytes (RFC 5322 forbids them): dropped from header fields, as
    // sendmail does; kept in the body spool (and so in a dead letter) and sent
    // as spaces (smtp ContentReader).
    std::size_t nul_dropped = 0;
    std::size_t nul_in_body = 0;
};

// Reads the whole message from fd in 64 KiB chunks, in constant memory. Line
// endings are normalised first (LineNormalizer), then:
//  - the header block runs to the first empty line (consumed); EOF inside it
//    ends the message (headers only is valid);
//  - a line that is not a header field ("name:" with printable ASCII name, no
//    space before the colon; not a continuation) starts the body, with every
//    later line, as sendmail and Postfix do; so a first line like that means an
//    empty header block;
//  - a leading mbox "From " line is dropped (as Postfix's sendmail does);
//  - lines are kept whole: HeaderBlock::render folds an over-long header field
//    at token boundaries (fold_field), and a body with a line over 998 octets
//    is re-encoded (encode_long_lines, body_encode.hpp);
//  - without -i (dot_ends_input), a line "." ends input; stdin is not read further;
//  - NUL bytes are dropped from header fields and kept in the body (counted in
//    nul_dropped / nul_in_body; okuru(8) INPUT THAT RFC 5322 FORBIDS).
// Throws Error(Exit::dataerr) for an empty input or a header block over the
// limit; Error(Exit::ioerr) on read errors.
InputMessage read_message(int fd, const ReadOptions& options);

// -t: addresses of To/Cc/Bcc, or of Resent-To/Cc/Bcc if any Resent- header exists.
// Throws Error(Exit::dataerr) for unparsable address headers.
std::vector<std::string> header_recipients(const HeaderBlock& headers);

// The first From: mailbox's address, if any.
std::optional<std::string> header_sender(const HeaderBlock& headers);

// How the address fields of a header block are rewritten: each gets a whole
// addr-spec (bare "root", or "root@localhost", or "a@x.example") and returns
// it rewritten (or unchanged).
struct HeaderQualifier {
    // To/Cc/Resent-To/Resent-Cc: may fan one name out to several addresses
    // (aliases) or to none.
    std::function<std::vector<std::string>(std::string_view)> recipient;
    // From/Sender/Reply-To/Resent-From/Resent-Sender/Resent-Reply-To: the
    // envelope sender's rule, so that From: and MAIL FROM agree.
    std::function<std::string(std::string_view)> sender;
};

// Rewrites the addresses of the address fields through `q` (each result keeps
// the display name). Only fields where some address changes are re-rendered;
// others, and fields that do not parse, keep their bytes.
void qualify_headers(HeaderBlock& headers, const HeaderQualifier& q);

struct HeaderFinish {
    std::string envelope_sender;           // qualified
    std::optional<std::string> full_name;  // -F
    std::string from_rewrite;              // account's from_header, empty: keep
    std::string message_id_domain;         // domain for a generated Message-ID
    std::int64_t now = 0;                  // time for Date:, 0: the current time
};

// Removes Bcc/Resent-Bcc, adds Date/Message-ID/From when missing (appended, as
// Postfix's cleanup does), applies the From rewrite (every From: mailbox gets
// from_rewrite, display names kept); returns the rendered header block followed
// by the empty line (CR LF). A generated From: uses from_rewrite if set, else the
// envelope sender (none for the null sender); a non-ASCII -F name is RFC 2047
// encoded. Message-ID uses message_id_domain, else the From domain, else the host.
std::string finish_headers(HeaderBlock headers, const HeaderFinish& finish);

// RFC 5322 3.3 date in the local zone: "Mon, 23 Nov 2026 10:37:33 +0900".
std::string rfc5322_date(std::int64_t unix_time);
// "<random.time@domain>" unique per call.
std::string make_message_id(std::string_view domain);

}  // namespace okuru
