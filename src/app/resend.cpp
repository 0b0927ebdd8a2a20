// --resend-failed: every message kept after a failed submission, tried again
// through the same path as a new one (prepare, planned, attempt).
#include <string>
#include <vector>

#include "app/app_internal.hpp"
#include "app/attempt.hpp"
#include "app/maillog.hpp"
#include "app/prepare.hpp"
#include "app/startup.hpp"
#include "base/errors.hpp"
#include "base/fd.hpp"
#include "store/deadletter.hpp"

namespace okuru::app_detail {
namespace {

// Sends one saved message; true when every part was accepted. A message of the
// system spool is the submitting user's: logged as theirs, and without a
// recorded sender it gets theirs, not root's.
bool resend_one(const AttemptContext& context, ClaimedMessage& m, bool spool, Exit& result) {
    InputMessage msg = read_message(m.fd, ReadOptions{false});
    Request req;
    if (context.config.find_account(m.envelope.account)) req.account = m.envelope.account;
    if (m.envelope.sender_known)
        req.sender = m.envelope.sender;
    else if (spool)
        req.sender = user_name(m.owner);
    req.recipients = m.envelope.recipients;
    const Prepared prepared = prepare(context.config, req, msg);
    bool ok = true;
    for (const Submission& s : prepared.plan) {
        Planned p = planned(s, prepared.sender, msg, std::nullopt);
        p.kept_at = m.path;
        if (spool) p.submitted_by = m.owner;
        const Exit exit = attempt(context, p, msg.body).exit;
        result = worst(result, exit);
        ok = ok && exit == Exit::ok;
    }
    return ok;
}

}  // namespace

Exit resend_mode(const Options& opt) {
    Preloaded preloaded;
    Fd log_file;
    const Config config = load(opt, preloaded, &log_file);
    const MailLog maillog(config, std::move(log_file));
    const AttemptContext context{config, maillog, preloaded, DsnOptions{}, {}};
    Exit result = Exit::ok;
    for (const DeadLetterDir& dir : dead_letters_to_read(config)) {
        const bool spool = dir.kind == DeadLetterKind::system_spool;
        std::size_t sent = 0;
        ReadProblems problems;
        const std::size_t left = for_each_failed(
            dir,
            [&](ClaimedMessage& m) {
                bool ok = false;
                try {
                    ok = resend_one(context, m, spool, result);
                } catch (const std::exception& e) {
                    say(m.path + ": " + describe(e));
                    result = worst(result, exit_code(e));
                }
                if (ok) {
                    ++sent;
                    say("resent " + m.path);
                }
                return ok;
            },
            &problems);
        // An unreadable Maildir or file is an error, never "nothing to resend".
        for (const std::string& p : problems) say(p);
        if (!problems.empty()) result = worst(result, Exit::ioerr);
        say(std::to_string(sent) + " message(s) resent, " + std::to_string(left) + " left in " +
            dir.path);
    }
    return result;
}

}  // namespace okuru::app_detail
