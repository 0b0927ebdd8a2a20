// Re-encoding a body whose lines are too long for SMTP (RFC 5321 4.5.3.1.6,
// RFC 5322 2.1.1: 998 octets before CR LF), so that the recipient reads exactly
// the text that was written instead of lines cut at 998 octets (inside a
// UTF-8 character, as a plain cut would do).
//
// Only the leaf parts that hold an over-long line change; every other byte of
// the message, headers included, passes as it came:
//  - a part already in base64 is re-wrapped at 76 characters, one in
//    quoted-printable gets soft line breaks (both decode to the same octets);
//  - otherwise a text/* part (or one with no Content-Type: text/plain, RFC 2045
//    5.2) becomes quoted-printable, any other part base64, and its
//    Content-Transfer-Encoding says so (RFC 2045 6);
//  - a message without MIME-Version gets MIME-Version, a text/plain
//    Content-Type (charset utf-8 when the text is UTF-8) and the encoding.
// Multipart bodies are followed through their boundaries (RFC 2046 5.1), nested
// ones too, and into message/rfc822 parts (which stay 8bit, RFC 2046 5.2.1:
// the message inside is re-encoded). Memory is bounded: lines stream in 64 KiB
// pieces (only an over-long header line of a part is held whole).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "message/message.hpp"
#include "message/spool.hpp"

namespace okuru {

// Quoted-printable (RFC 2045 6.7), streaming. Input is canonical text with
// CR LF line breaks, which stay hard line breaks; encoded lines stay within 76
// characters, and a soft break never falls inside a UTF-8 character.
class QpEncoder {
  public:
    void feed(std::string_view in, std::string& out);
    void finish(std::string& out);  // no line break added after the last line

  private:
    void put_char(std::string_view encoded, std::string& out);
    void end_line(std::string& out);
    std::string line_;     // encoded text of the current output line
    std::string pending_;  // octets of an incomplete UTF-8 character, or a CR
};

// Base64 (RFC 2045 6.8), streaming, in lines of 76 characters.
class Base64Encoder {
  public:
    void feed(std::string_view in, std::string& out);
    void finish(std::string& out);  // no line break added after the last line

  private:
    void put(std::string_view quad, std::string& out);
    unsigned char held_[3] = {};
    std::size_t n_held_ = 0;
    std::size_t column_ = 0;
};

// The longest line of a body in wire form (octets before CR LF).
std::size_t longest_line(const Spool& body);

// Re-encodes `msg` in place when a body line exceeds 998 octets (see above);
// returns false, touching nothing, when no line does.
bool encode_long_lines(InputMessage& msg);

}  // namespace okuru
