#include "app/attempt.hpp"

#include <pwd.h>
#include <unistd.h>

#include "app/app_internal.hpp"
#include "base/interrupt.hpp"
#include "base/log.hpp"
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
    SubmissionRecord r;
    // Accountability (issue 12): who submitted, by the real uid, whatever the
    // account or the From: claims.
    const uid_t uid = p.submitted_by.value_or(getuid());
    r.uid = uid;
    if (const passwd* pw = getpwuid(uid); pw && pw->pw_name) r.user = pw->pw_name;
    r.account = p.envelope.account;
    if (p.account) {
        r.relay = p.account->host + ":" + std::to_string(p.account->port);
        r.tls = std::string(tls_mode_name(p.account->tls));
    }
    r.sender = p.envelope.sender;
    r.sender_known = p.envelope.sender_known;
    r.recipients = p.envelope.recipients;
    r.size = p.headers.size() + body.size();
    return r;
}

void record_success(SubmissionRecord& r, const SubmitResult& result, std::string_view status) {
    r.status = status;
    r.auth = result.mechanism;
    r.reply = result.final_reply.str();
}

void record_failure(SubmissionRecord& r, const std::exception& e) {
    r.status = "failed";
    r.error = describe(e);
    r.exit = int(exit_code(e));
}

}  // namespace

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
        options.dsn = context.dsn;
        options.preloaded_password = context.preloaded.password(account.name);
        options.connect = context.connect;

        const InterruptGuard interrupts;
        Delivery d = deliver(account, env, content, options);
        out.record.relay = std::move(d.relay);
        if (!d.ok()) std::rethrow_exception(d.failure);
        log::info("accepted: " + d.accepted->final_reply.str());
        record_success(out.record, *d.accepted, planned.kept_at.empty() ? "sent" : "resent");
    } catch (const std::exception& e) {
        const std::string why = describe(e);
        record_failure(out.record, e);
        out.exit = exit_code(e);
        out.cause = cause_of(e);
        if (planned.kept_at.empty()) {
            say(why);
            if (context.config.save_failed)
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
