// Who may submit through the system configuration, and as whom (issue 12): the
// [authorization] table of /etc/okuru.toml, as Postfix's authorized_submit_users
// and smtpd_sender_login_maps. Checked once per message, after routing and before
// any connection, by prepare().
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/route.hpp"
#include "message/message.hpp"

namespace okuru {

// The local user submitting: the real uid, as the password and group databases
// know it.
struct Caller {
    uid_t uid = 0;
    std::string name;                 // empty: the uid has no entry
    std::vector<std::string> groups;  // names of the primary and supplementary groups
};

// The entry of `uid` (default: the real uid). Throws Error(Exit::nouser) when it
// has none.
Caller current_caller(uid_t uid = getuid());

// Whether submit_users lets `caller` submit (absent: everyone).
bool may_submit(const Authorization& rules, const Caller& caller);

// Whether `caller` may claim `address` (lower-cased comparison) as envelope
// sender or in From:/Sender:: one of `own` (their own addresses), or a match of
// what senders lists for their name or one of their groups; a +tag subaddress
// (RFC 5233) of an allowed address is allowed. Always true without
// restrict_senders.
bool may_claim(const Authorization& rules, const Caller& caller, std::span<const std::string> own,
               std::string_view address);

// The first half of authorize(): submit_users alone, for --check and
// --serverinfo, which log in with an account's credentials without a message.
// Does nothing unless the rules bind and the caller is not root. Throws
// Error(Exit::noperm).
void authorize_user(const Config& config);

// The one check of a prepared message: does nothing unless the configuration's
// rules are binding (config.authorization.enforced) and the caller is not root.
// Checks submit_users, then for every part the envelope sender and the From:
// and Sender: addresses the user chose (an account's envelope_from or
// from_header is the administrator's, so a part rewritten by one is not checked
// for that field). The null sender claims nobody. Throws Error(Exit::noperm)
// naming the user, the uid and the refused address. `submitter`: a message of
// the system spool, resent by root, is checked as the user who dropped it (the
// file's owner), never as root: a file written into the spool by hand must not
// get past the rules that the same user's submission would meet.
void authorize(const Config& config, const std::vector<Submission>& plan, const std::string& sender,
               const HeaderBlock& headers, std::optional<uid_t> submitter = std::nullopt);

}  // namespace okuru
