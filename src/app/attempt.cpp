#include "app/attempt.hpp"

#include <unistd.h>

#include <ctime>

#include "app/app_internal.hpp"
#include "app/notice.hpp"
#include "base/interrupt.hpp"
#include "base/log.hpp"
#include "base/passwd.hpp"
#include "message/address.hpp"

namespace okuru {
namespace {

using app_detail::say;

// RFC 6531: any non-ASCII address in the envelope needs the SMTPUTF8 extension.
bool needs_smtputf8(const Envelope& env) {
    if (okuru::needs_smtputf8(env.sender)) return true;
    for (const auto& r : env.recipients)
        if (okuru::needs_smtputf8(r)) return true;
    return false;
}

// Keeps a message okuru could not send and returns where (empty: not kept);
// never throws (it is already the error path). The caller's own Maildir first,
// then the system spool (store/keep_place.hpp).
std::string keep(const Config& config, const SavedEnvelope& envelope, const std::string& why,
                 std::string_view headers, const Spool& body) {
    std::string tried;
    for (const KeepPlace& place : keep_places(config)) {
        std::string failure = place.unusable;
        if (failure.empty()) {
            try {
                const std::string path = save_failed(place.dir, envelope, why, headers, body);
                if (place.dir.kind == DeadLetterKind::system_spool)
                    say("message saved to " + path + " in the system spool (" + tried +
                        "); root's okuru --resend-failed retries it");
                else
                    say("message saved to " + path + " (okuru --resend-failed retries it)");
                return path;
            } catch (const std::exception& save_error) {
                failure = describe(save_error);
            }
        }
        tried += (tried.empty() ? "" : "; ") + failure;
    }
    say("the message is not kept anywhere: " + tried);
    return {};
}

// The log record of one attempt, before its outcome is known.
SubmissionRecord record_for(const Planned& p, const Spool& body) {
    // Accountability (issue 12): who submitted, by the real uid, whatever the
    // account or the From: claims.
    SubmissionRecord r = record_of(p.envelope, p.submitted_by.value_or(getuid()));
    if (p.account) {
        r.relay = p.account->host + ":" + std::to_string(p.account->port);
        r.tls = std::string(tls_mode_name(p.account->tls));
    }
    r.size = p.headers.size() + body.size();
    return r;
}

void record_success(SubmissionRecord& r, const SubmitResult& result, std::string_view status) {
    r.status = status;
    r.auth = result.mechanism;
    r.reply = result.final_reply.str();
}

// Partial delivery (issue 10): the server took the message for some recipients
// and refused others. The 5xx ones are given up and their sender notified; the
// 4xx ones are kept with an envelope naming only them, so that a retry never
// sends again to those who have it. The attempt itself succeeded (exit 0): the
// caller only warns if this throws (the failure path would keep it for all).
void settle_refused(const AttemptContext& context, const Planned& planned, const Spool& body,
                    const Delivery& d, SubmissionRecord& record) {
    // record.relay: the host that answered (d.relay has been moved there).
    std::vector<Refusal> failed;
    SavedEnvelope later = planned.envelope;
    later.recipients.clear();
    std::string why;
    for (const RecipientRefusal& r : d.accepted->refused) {
        record.refused.push_back("<" + r.recipient + "> " + r.reply.str());
        if (r.reply.transient()) {
            later.recipients.push_back(r.recipient);
            why += (why.empty() ? "" : "; ") + r.recipient + " rejected: " + r.reply.str();
        } else {
            failed.push_back(Refusal{r.recipient, r.reply.str(), true, record.relay});
        }
    }
    if (!later.recipients.empty()) {
        say("not sent to " + std::to_string(later.recipients.size()) +
            " recipient(s) for now: " + why);
        record.saved = keep(context.config, later, why, planned.headers, body);
    }
    if (!failed.empty()) {
        for (const Refusal& f : failed) say("not sent to <" + f.recipient + ">: " + f.reply);
        if (!wants_failure_notice(planned.envelope.dsn)) {
            log::info("no failure notice: the sender asked for none (-N)");
            return;
        }
        notify_failure(context, planned.envelope, planned.headers, failed,
                       "the server refused them while it accepted the other recipients",
                       std::time(nullptr));
    }
}

// A message the server refused for good (5xx to MAIL, RCPT or DATA) would be
// refused again: it is not kept for retries but put at once into the given-up
// folder of the caller's own dead letters, and its sender is told (RETRIES in
// okuru(8)). Returns where, or "" when the caller has no usable Maildir of its
// own: the message is then kept as any other (in the system spool, whose
// given-up folder only root writes; root's resend gives it up). Never throws.
std::string give_up_now(const AttemptContext& context, const Planned& planned,
                        const std::string& why, const std::string& relay, const Spool& body) {
    const std::vector<KeepPlace> places = keep_places(context.config);
    if (places.empty() || !places.front().unusable.empty() ||
        places.front().dir.kind != DeadLetterKind::own)
        return {};
    std::string path;
    try {
        const std::string dir = given_up_dir(places.front().dir.path);
        make_own_maildir(dir);
        SavedEnvelope given_up = planned.envelope;
        given_up.given_up = "refused by the server";
        path = save_failed(DeadLetterDir{dir}, given_up, why, planned.headers, body);
    } catch (const std::exception& e) {
        log::warn("cannot put the refused message aside: " + describe(e));
        return {};
    }
    say("message given up (refused by the server, never retried), kept in " + path);
    notify_given_up(context, planned.envelope, planned.headers,
                    GivenUp{"refused by the server", why, relay, std::time(nullptr)});
    return path;
}

void record_failure(SubmissionRecord& r, const std::exception& e) {
    r.status = "failed";
    r.error = describe(e);
    r.exit = int(exit_code(e));
}

}  // namespace

SubmissionRecord record_of(const SavedEnvelope& envelope, uid_t submitted_by) {
    SubmissionRecord r;
    r.uid = submitted_by;
    // No numeric fallback: an empty user is logged as "user=?" (not in the
    // password database), next to the uid.
    if (auto entry = passwd_entry(submitted_by)) r.user = entry->name;
    r.account = envelope.account;
    r.sender = envelope.sender;
    r.sender_known = envelope.sender_known;
    r.recipients = envelope.recipients;
    return r;
}

void notify_given_up(const AttemptContext& context, const SavedEnvelope& envelope,
                     std::string_view headers, const GivenUp& given_up) {
    if (!context.notify_refused) return;
    if (!wants_failure_notice(envelope.dsn)) {
        log::info("no failure notice: the sender asked for none (-N)");
        return;
    }
    std::vector<Refusal> refused;
    for (const std::string& r : envelope.recipients)
        refused.push_back(Refusal{r, given_up.reply, true, given_up.relay});
    notify_failure(context, envelope, headers, refused, given_up.reason, given_up.arrival);
}

Attempted attempt(const AttemptContext& context, const Planned& planned, const Spool& body) {
    Attempted out;
    out.record = record_for(planned, body);
    try {
        if (!planned.account) {
            if (planned.unroutable) std::rethrow_exception(planned.unroutable);
            throw Error(Exit::software, "a message without an account to send it through");
        }
        const Account& account = *planned.account;
        const Envelope env{planned.envelope.sender, planned.envelope.recipients};
        const Content content{planned.headers, body, planned.eight_bit, needs_smtputf8(env)};
        DeliveryOptions options;
        options.dsn = planned.envelope.dsn;
        options.preloaded_password = context.preloaded.password(account.name);
        options.connect = context.connect;
        options.partial = context.config.partial_delivery;

        const InterruptGuard interrupts;
        Delivery d = deliver(account, env, content, options);
        out.record.relay = std::move(d.relay);
        if (!d.ok()) std::rethrow_exception(d.failure);
        log::info("accepted: " + d.accepted->final_reply.str());
        record_success(out.record, *d.accepted, planned.kept_at.empty() ? "sent" : "resent");
        if (!d.accepted->refused.empty()) {
            try {
                settle_refused(context, planned, body, d, out.record);
            } catch (const std::exception& e) {
                log::warn("after a partial delivery: " + describe(e));
            }
        }
    } catch (const std::exception& e) {
        const std::string why = describe(e);
        record_failure(out.record, e);
        out.exit = exit_code(e);
        out.cause = cause_of(e);
        if (planned.kept_at.empty()) {
            say(why);
            if (context.config.save_failed && out.cause == Cause::message_refused)
                out.record.saved = give_up_now(context, planned, why, out.record.relay, body);
            if (context.config.save_failed && out.record.saved.empty())
                out.record.saved =
                    keep(context.config, planned.envelope, why, planned.headers, body);
            out.record.not_kept = out.record.saved.empty();
            // 75 tells the caller that the message will be retried: true only when
            // it was kept, or when save_failed = false leaves the retry to the
            // caller by design (okuru(8), EXIT STATUS).
            if (out.record.not_kept && context.config.save_failed && out.exit == Exit::tempfail)
                out.exit = Exit::cantcreat;
            out.record.exit = int(out.exit);
        } else {
            say(planned.kept_at + ": " + why);
            out.record.saved = planned.kept_at;
        }
    }
    // Outside the try: whatever happens to the log line, a sent message is never
    // also kept (which would have --resend-failed send it twice).
    context.maillog.write(out.record);
    return out;
}

}  // namespace okuru
