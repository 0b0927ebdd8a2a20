// The one place that decides what a negative reply means (temporary or
// permanent; whole session, sender, recipient or content), as Postfix's
// smtp_trouble.c does. The table is repeated in okuru(8).
#include "base/errors.hpp"
#include "smtp/smtp_internal.hpp"

namespace okuru::smtp {

bool recipient_related(const Reply& reply) {
    if (!reply.permanent()) return false;
    // RFC 3463 3.2: X.1.x is "addressing status" (bad mailbox, unknown user...).
    if (!reply.enhanced.empty()) return reply.enhanced.starts_with("5.1.");
    // RFC 5321 4.2.3: 550 mailbox unavailable, 551 user not local, 553 name not allowed.
    return reply.code == 550 || reply.code == 551 || reply.code == 553;
}

Exit exit_for(const Reply& reply, Stage stage) {
    if (reply.transient()) return Exit::tempfail;
    if (!reply.permanent()) return Exit::protocol;
    switch (stage) {
        case Stage::auth:
            // RFC 4954 6: 530 auth required, 534 mechanism too weak, 535 bad
            // credentials, 538 encryption required; X.7.x is security status.
            if (reply.code == 530 || reply.code == 534 || reply.code == 535 || reply.code == 538 ||
                reply.enhanced.starts_with("5.7.")) {
                return Exit::noperm;
            }
            return Exit::unavailable;
        case Stage::mail:
            // 5.1.7 bad sender mailbox syntax; 553 without an enhanced code is the
            // RFC 5321 "mailbox name not allowed". With an enhanced code we trust it
            // (Postfix says "553 5.7.1 Sender address rejected: not owned by user").
            if (reply.enhanced == "5.1.7" || (reply.enhanced.empty() && reply.code == 553)) {
                return Exit::dataerr;
            }
            return Exit::unavailable;
        case Stage::rcpt:
            return recipient_related(reply) ? Exit::nouser : Exit::unavailable;
        case Stage::data_command:
        case Stage::data_end:
            // RFC 3463 3.7: X.6.x is media/content status (bad content, conversion).
            return reply.enhanced.starts_with("5.6.") ? Exit::dataerr : Exit::unavailable;
        default:
            return Exit::unavailable;
    }
}

void reject(const Reply& reply, std::string_view what, Stage stage) {
    if (reply.positive()) {
        throw Error(Exit::protocol, std::string(what) + ": unexpected reply " + reply.str());
    }
    std::string text = stage == Stage::auth ? std::string(what) + ": authentication failed: "
                                            : std::string(what) + " rejected: ";
    const Exit code = exit_for(reply, stage);
    // The credentials themselves were refused (not a broken or busy server).
    // A permanent refusal of the message itself (sender, recipient, content) is
    // what --resend-failed gives up at once instead of retrying.
    const bool about_message = stage == Stage::mail || stage == Stage::rcpt ||
                               stage == Stage::data_command || stage == Stage::data_end;
    const Cause cause = stage == Stage::auth && code == Exit::noperm ? Cause::login_refused
                        : about_message && reply.permanent()         ? Cause::message_refused
                                                                     : Cause::none;
    throw Error(code, text + reply.str(), cause);
}

std::string xtext(std::string_view text) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (c < '!' || c > '~' || c == '+' || c == '=') {
            out += '+';
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += char(c);
        }
    }
    return out;
}

}  // namespace okuru::smtp
