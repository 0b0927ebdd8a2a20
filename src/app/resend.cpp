// --resend-failed (the timer's command) and -q: every kept message that is due,
// or with -q every one, tried again through the same path as a new one
// (prepare, planned, attempt). The schedule and the giving up are
// store/retry.hpp's; the file operations store/deadletter.hpp's.
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "app/app_internal.hpp"
#include "app/attempt.hpp"
#include "app/maillog.hpp"
#include "app/prepare.hpp"
#include "app/startup.hpp"
#include "base/errors.hpp"
#include "base/fd.hpp"
#include "base/passwd.hpp"
#include "store/deadletter.hpp"
#include "store/retry.hpp"

namespace okuru::app_detail {
namespace {

struct Outcome {
    bool sent = true;      // every part accepted
    bool refused = false;  // a part refused permanently (5xx): never retried
    std::string error;     // the last failure
    std::string headers;   // the original header block, for a notice
};

// Sends one saved message through every account its recipients route to. A
// message of the system spool is the submitting user's: logged as theirs, and
// without a recorded sender it gets theirs, not root's.
Outcome resend_one(const AttemptContext& context, ClaimedMessage& m, bool spool, Exit& result) {
    InputMessage msg = read_message(m.fd, ReadOptions{false});
    Outcome out;
    out.headers = msg.headers.render();
    Request req;
    if (context.config.find_account(m.envelope.account)) req.account = m.envelope.account;
    if (m.envelope.sender_known)
        req.sender = m.envelope.sender;
    else if (spool)
        req.sender = user_name(m.owner);
    req.recipients = m.envelope.recipients;
    if (spool) req.submitter = m.owner;
    const Prepared prepared = prepare(context.config, req, msg);
    for (const Submission& s : prepared.plan) {
        // The DSN requests as the first attempt sent them.
        Planned p = planned(s, prepared.sender, msg, std::nullopt, m.envelope.dsn);
        p.kept_at = m.path;
        if (spool) p.submitted_by = m.owner;
        const Attempted a = attempt(context, p, msg.body);
        result = worst(result, a.exit);
        if (a.exit == Exit::ok) continue;
        out.sent = false;
        out.refused = out.refused || a.cause == Cause::message_refused;
        out.error = a.record.error;
    }
    return out;
}

// The header block of a message that is given up without an attempt.
std::string headers_of(ClaimedMessage& m) {
    try {
        return read_message(m.fd, ReadOptions{false}).headers.render();
    } catch (const std::exception&) {
        return {};  // the notice goes without them
    }
}

// Moves `m` aside (never deleted) and tells its sender; `last_error` is the
// failure of this run ("" when none was tried: the recorded error stands).
// Throws only when it could not be moved (it then stays kept).
void give_up(const AttemptContext& context, ClaimedMessage& m, const std::string& given_up,
             const std::string& why, const std::string& last_error, const std::string& headers) {
    const std::string kept = m.path;
    const std::string reply = last_error.empty() ? m.envelope.error : last_error;
    const std::string moved = m.move_aside(given_up, why, last_error);
    say(kept + ": given up (" + why + "), moved to " + moved);
    // One log record, like every outcome of a message (LOGGING in okuru(8)), of
    // the user who submitted it (the owner of a file in the system spool).
    SubmissionRecord record = record_of(m.envelope, m.owner);
    // Named even without a password entry (its number), unlike an attempt's
    // "user=?": kept as this record has always been.
    record.user = user_name(m.owner);
    record.status = "given-up";
    record.error = why + ": " + reply;
    record.exit = int(Exit::unavailable);
    record.saved = moved;
    context.maillog.write(record);
    // The context of --resend-failed has no -N and sends notices (resend_mode).
    notify_given_up(context, m.envelope, headers,
                    GivenUp{why, reply, "", m.envelope.schedule.first_attempt});
}

std::string days(std::chrono::seconds age) {
    const long long d = age.count() / 86400;
    if (d * 86400 == age.count()) return std::to_string(d) + (d == 1 ? " day" : " days");
    return std::to_string(age.count() / 3600) + " hours";
}

// Every message of one dead-letter directory that is due (all with -q), sent
// with `context` (its configuration and log); what happened is said on stderr.
Exit resend_dir(const AttemptContext& context, const DeadLetterDir& dir, bool force) {
    const Config& config = context.config;
    retry::Policy policy;
    policy.max_age = config.max_age;
    const std::int64_t now = std::time(nullptr);
    Exit result = Exit::ok;
    const bool spool = dir.kind == DeadLetterKind::system_spool;
    const std::string given_up = given_up_dir(dir.path);
    std::size_t sent = 0, waiting = 0, abandoned = 0;
    ReadProblems problems;
    const std::size_t left = for_each_failed(
        dir,
        [&](ClaimedMessage& m) {
            try {
                switch (retry::decide(policy, m.envelope.schedule, now, force)) {
                    case retry::Decision::wait:
                        ++waiting;
                        return false;
                    case retry::Decision::give_up: {
                        const std::string why = "not delivered for " + days(config.max_age);
                        give_up(context, m, given_up, why, "", headers_of(m));
                        ++abandoned;
                        return true;
                    }
                    case retry::Decision::attempt:
                        break;
                }
                const Outcome out = resend_one(context, m, spool, result);
                if (out.sent) {
                    ++sent;
                    say("resent " + m.path);
                    return true;
                }
                if (out.refused) {
                    give_up(context, m, given_up, "refused by the server", out.error, out.headers);
                    ++abandoned;
                    return true;
                }
                m.reschedule(retry::after_failure(policy, m.envelope.schedule, std::time(nullptr)),
                             out.error);
            } catch (const std::exception& e) {
                say(m.path + ": " + describe(e));
                result = worst(result, exit_code(e));
            }
            return false;
        },
        &problems);
    // An unreadable Maildir or file is an error, never "nothing to resend".
    for (const std::string& p : problems) say(p);
    if (!problems.empty()) result = worst(result, Exit::ioerr);
    say(std::to_string(sent) + " message(s) resent, " + std::to_string(abandoned) + " given up, " +
        std::to_string(left) + " left in " + dir.path +
        (waiting ? " (" + std::to_string(waiting) + " not due yet; -q tries them now)" : ""));
    return result;
}

}  // namespace

Exit resend_mode(const Options& opt) {
    Preloaded preloaded;
    Fd log_file;
    const Config config = load(opt, preloaded, &log_file);
    const MailLog maillog(config, std::move(log_file));
    const AttemptContext context{config, maillog, preloaded, {}};
    // -q (sendmail's "run the queue now") tries every message; the timer's
    // --resend-failed only those whose backoff has passed.
    const bool force = opt.mode == Mode::run_queue;
    // The system spool holds other users' messages, submitted through the
    // system configuration: root's own file, found in its home, must not send
    // them through root's accounts and without the system's [authorization].
    // A file named with -C or $OKURU_CONFIG is the administrator's choice and
    // serves both.
    const char* env = std::getenv("OKURU_CONFIG");
    const bool chosen = opt.config_file || (env && *env);
    Exit result = Exit::ok;
    for (const DeadLetterDir& dir : dead_letters_to_read(config)) {
        if (dir.kind != DeadLetterKind::system_spool || chosen ||
            config.path == system_config_path) {
            result = worst(result, resend_dir(context, dir, force));
            continue;
        }
        try {
            Options system = opt;
            system.config_file = system_config_path;
            Preloaded system_preloaded;
            Fd system_log;
            const Config system_config = load(system, system_preloaded, &system_log);
            const MailLog system_maillog(system_config, std::move(system_log));
            const AttemptContext system_context{
                system_config, system_maillog, system_preloaded, {}};
            result = worst(result, resend_dir(system_context, dir, force));
        } catch (const std::exception& e) {
            say(dir.path + ": not resent: its messages go through " +
                std::string(system_config_path) + " (not " + config.path + "): " + describe(e));
            result = worst(result, exit_code(e));
        }
    }
    return result;
}

}  // namespace okuru::app_detail
