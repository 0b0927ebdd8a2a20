// RFC 5322 address lists (From/To/Cc/Bcc header bodies) and RFC 5321 envelope
// paths (what -f and recipient arguments may contain). Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace okuru {

struct Mailbox {
    std::string display_name;  // as written (may hold encoded words), unquoted; may be empty
    std::string local_part;    // as written (a quoted-string keeps its quotes)
    std::string domain;        // empty when the address is unqualified ("root")

    std::string addr_spec() const;  // local@domain, or local when unqualified
};

// Parses an address-list header body (folding allowed; groups are flattened,
// comments dropped). Throws Error(Exit::dataerr) describing the problem.
std::vector<Mailbox> parse_address_list(std::string_view field_body);

// Renders a mailbox for a header: `addr` or `"Doe, John" <addr>` with quoting
// only where RFC 5322 needs it; encoded words are kept as they are.
std::string format_mailbox(const Mailbox& m);

// Validates an envelope address taken from argv or from headers (-t): accepts
// "addr" or "<addr>", returns the addr-spec. Refuses (naming `what`) a leading
// '-', CR, LF, NUL, other controls, spaces outside quotes, '<' '>' inside, an
// empty local part, more than 256 octets. `allow_empty` permits "<>" (-f <>).
// Throws Error(Exit::dataerr).
std::string parse_envelope_address(std::string_view arg, std::string_view what,
                                   bool allow_empty = false);

// True if the address holds non-ASCII octets (needs SMTPUTF8, RFC 6531).
bool needs_smtputf8(std::string_view address);

// The domain part after the last '@' (lower-cased), or "" if none.
std::string domain_of(std::string_view address);

}  // namespace okuru
