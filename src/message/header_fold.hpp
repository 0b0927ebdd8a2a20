// Folding header fields so that no line exceeds the 998 octets of RFC 5322
// 2.1.1. Pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace okuru {

// RFC 5322 2.1.1: a line MUST be at most 998 octets before CR LF, SHOULD be 78.
constexpr std::size_t header_line_max = 998;
constexpr std::size_t header_line_preferred = 78;

// "Name:value" as it goes on the wire, without the final CR LF. `value` is the
// field body as held in a Header (folding kept, CR LF inside). When every line
// already fits in 998 octets the bytes are returned unchanged. Otherwise the
// field is unfolded (RFC 5322 2.2.3: the CR LF before each WSP removed) and
// folded again, near 78 octets where it can, at 998 at most:
//  - before a space or tab between tokens;
//  - in address fields (From, To, Cc, ...), also after a comma between
//    addresses (CR LF SP is inserted: CFWS may stand there);
//  - never inside a quoted string or an <addr-spec> of an address field, and
//    never inside a word.
// A run of more than 998 octets with no such point (a 2,000-octet token) is
// broken as Postfix's smtp_line_length_limit does: CR LF SP inserted, here at a
// UTF-8 character boundary, so that every line stays within 998 octets.
std::string fold_field(std::string_view name, std::string_view value);

// True for the fields whose body is an address list (RFC 5322 3.6.2, 3.6.3,
// 3.6.6), where a comma separates addresses.
bool is_address_field(std::string_view name);

}  // namespace okuru
