// RFC 5322 address lists (From/To/Cc/Bcc header bodies) and RFC 5321 envelope
// paths (what -f and recipient arguments may contain). Pure functions.
#pragma once

#include <optional>
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

// One element of an address list: a mailbox, or a group ("team: a@x, b@y;",
// "undisclosed-recipients:;") with its members.
struct Address {
    bool is_group = false;
    std::string group_name;  // display name of the group, unquoted
    std::vector<Mailbox>
        mailboxes;  // one for a mailbox (several render as a list); 0..n for a group
};

// Parses an address-list header body (folding allowed; groups are flattened,
// comments dropped). Throws Error(Exit::dataerr) describing the problem.
//  - a bare word ("root", "Logwatch") is an unqualified mailbox;
//  - a comment after an addr-spec without display name ("root (Cron Daemon)")
//    becomes the display name, so re-rendering keeps it;
//  - RFC 5322 4.4 obsolete forms: empty list elements, "." in phrases
//    ("John Q. Public"), CFWS around dots, and source routes (<@a,@b:u@c>, the
//    route is dropped as RFC 5321 4.1.2 advises).
std::vector<Mailbox> parse_address_list(std::string_view field_body);
// Same, keeping groups. Throws Error(Exit::dataerr).
std::vector<Address> parse_addresses(std::string_view field_body);

// Renders a mailbox for a header: `addr` or `"Doe, John" <addr>` with quoting
// only where RFC 5322 needs it; encoded words are kept as they are. Control
// characters in the display name (CR, LF, ...) become spaces: no header injection.
std::string format_mailbox(const Mailbox& m);
// Renders an address list (groups kept) as a field body with a leading space,
// folded (CR LF SP) between elements so lines stay near 78 octets. `name_len`
// is the length of "Name:" already on the first line.
std::string format_address_list(const std::vector<Address>& list, std::size_t name_len);

// Validates an envelope address taken from argv or from headers (-t): accepts
// "addr" or "<addr>", returns the addr-spec. Refuses (naming `what`) a leading
// '-', CR, LF, NUL, other controls (C1 too), invalid UTF-8, spaces (inside
// quotes too: the one rule for the parser, --pretend and the SMTP envelope), '<' '>' inside, an
// empty local part, more than 256 octets. `allow_empty` permits "<>" (-f <>).
// Throws Error(Exit::dataerr).
std::string parse_envelope_address(std::string_view arg, std::string_view what,
                                   bool allow_empty = false);

// A recipient argument of the command line, which may hold a comma-separated
// list with display names as sendmail accepts it ("a@x,b@y", "A <a@x>, b@y":
// cron passes MAILTO as one argument). Returns each addr-spec validated as
// parse_envelope_address does; line breaks and controls are refused before the
// list is parsed (no folding on the command line). Throws Error(Exit::dataerr).
std::vector<std::string> parse_recipient_argument(std::string_view arg);

// Why `s` is not well-formed UTF-8 (RFC 3629: overlong forms, surrogates,
// truncated characters), or holds a C1 control (U+0080..U+009F); nullopt if fine.
std::optional<std::string> utf8_problem(std::string_view s);

// True if the address holds non-ASCII octets (needs SMTPUTF8, RFC 6531).
bool needs_smtputf8(std::string_view address);

// The domain part after the last '@' (lower-cased), or "" if none.
std::string domain_of(std::string_view address);

}  // namespace okuru
