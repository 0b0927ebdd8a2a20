// One attempt at one message through one account: the path every message takes,
// whether new, read back by --resend-failed, or impossible to route. It builds
// the content and the log record, holds interrupts while delivering, records the
// outcome, keeps the message when it failed, and writes the log line.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "app/deliver.hpp"
#include "app/maillog.hpp"
#include "app/startup.hpp"
#include "base/errors.hpp"
#include "config/config.hpp"
#include "message/spool.hpp"
#include "store/deadletter.hpp"

namespace okuru {

// What every attempt of one run shares.
struct AttemptContext {
    const Config& config;  // save_failed and the dead-letter Maildir
    const MailLog& maillog;
    const Preloaded& preloaded;  // passwords read at start-up (setgid use)
    Connector connect;           // empty: open_connection (tests inject one)
    // Whether a message refused for good gets a failure notice: false for -bs,
    // whose client reads the refusal in the reply to its DATA and bounces it.
    bool notify_refused = true;
};

// One message ready to be attempted.
struct Planned {
    // The account it goes through; nullptr when it could not be routed, and then
    // `unroutable` is why (nothing is sent; the message is kept as for any failure).
    const Account* account = nullptr;
    std::exception_ptr unroutable;
    // The envelope as sent and as kept: account name, sender, recipients.
    SavedEnvelope envelope;
    std::string headers;  // the final header block, its empty line included
    bool eight_bit = false;
    // --resend-failed: the saved file the message was read from. A failure leaves
    // it there (nothing is saved again); a success is logged as "resent".
    std::string kept_at;
    // --resend-failed by root of a message in the system spool: the local user
    // who submitted it (the file's owner), logged as uid= and user=.
    std::optional<uid_t> submitted_by;
};

struct Attempted {
    Exit exit = Exit::ok;       // Exit::ok when the server accepted the message
    Cause cause = Cause::none;  // of the failure (message_refused: never retried)
    SubmissionRecord record;
};

// Attempts `planned` with `body`. A failure is not thrown: it is said on stderr,
// the message is kept (config.save_failed) and its exit code returned. A message
// a server accepted is never also kept, whatever happens to its log line, which
// is written in every case (see MailLog).
Attempted attempt(const AttemptContext& context, const Planned& planned, const Spool& body);

// The log record of a message by its envelope and the uid that submitted it:
// uid, user (empty when the password database has no name), account, sender
// and recipients. The rest is the caller's.
SubmissionRecord record_of(const SavedEnvelope& envelope, uid_t submitted_by);

// A message given up, for its failure notice.
struct GivenUp {
    std::string reason;        // the notice's why: "refused by the server", ...
    std::string reply;         // what each recipient's refusal says
    std::string relay;         // the host that refused ("": not known)
    std::int64_t arrival = 0;  // when okuru first took the message (0: unknown)
};

// The end of giving a message up, once it is in a given-up folder (never
// deleted, never retried): its sender is told that every recipient was refused
// with `given_up.reply`, unless the sender asked for no notice (-N) or the
// context sends none (-bs). Two paths lead here: a new message the server
// refused for good (attempt) and a kept one refused again or too old
// (--resend-failed). A notice that cannot be sent is only logged
// (notify_failure): throws only std::bad_alloc.
void notify_given_up(const AttemptContext& context, const SavedEnvelope& envelope,
                     std::string_view headers, const GivenUp& given_up);

}  // namespace okuru
