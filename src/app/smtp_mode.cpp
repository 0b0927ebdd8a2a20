// -bs: okuru's SMTP server on standard input and output (src/server/), for
// callers that speak SMTP to "sendmail -bs" (Symfony Mailer, Laravel) and,
// through okuru-smtp.socket, to localhost:25. Each message goes the way a
// command-line message goes: the envelope is the client's (headers are not
// scanned for recipients), then qualification, aliases and routing
// (prepare.hpp), then attempt() (which keeps a failed message and logs).
#include "app/smtp_mode.hpp"

#include <unistd.h>

#include <cstdlib>

#include "app/app_internal.hpp"
#include "app/attempt.hpp"
#include "app/maillog.hpp"
#include "app/prepare.hpp"
#include "app/startup.hpp"
#include "base/errors.hpp"
#include "base/fd.hpp"
#include "base/log.hpp"
#include "message/address.hpp"
#include "message/message.hpp"
#include "server/session.hpp"

namespace okuru::app_detail {
namespace {

// One line of reply text: no line breaks, bounded (RFC 5321 4.5.3.1.5).
std::string reply_text(std::string_view s) {
    std::string out;
    for (char c : s) out += (c == '\r' || c == '\n' || c == '\t') ? ' ' : c;
    if (out.size() > 400) out = out.substr(0, 397) + "...";
    return out;
}

}  // namespace
}  // namespace okuru::app_detail

namespace okuru {

server::DataReply final_dot_reply(const std::vector<Attempted>& done) {
    using app_detail::reply_text;
    std::string sent, kept, refused, lost;
    for (const Attempted& a : done) {
        if (a.exit == Exit::ok) {
            sent = a.record.reply;
        } else if (a.cause == Cause::message_refused) {
            refused = a.record.error + (a.record.saved.empty() ? "" : " (a copy is kept)");
        } else if (!a.record.saved.empty()) {
            kept = a.record.error;
        } else {
            lost = a.record.error;
        }
    }
    if (!refused.empty()) return {554, "5.0.0 " + reply_text("refused by the relay: " + refused)};
    if (!lost.empty())
        return {451, "4.3.0 " + reply_text("not sent and not kept, try again later: " + lost)};
    if (!kept.empty())
        return {250, "2.0.0 " + reply_text("kept for retry by okuru --resend-failed: " + kept)};
    return {250, "2.0.0 " + reply_text("submitted to the relay: " + sent)};
}

}  // namespace okuru

namespace okuru::app_detail {

Exit smtp_mode(const Options& opt) {
    Preloaded preloaded;
    Fd log_file;
    Config config;
    try {
        config = load(opt, preloaded, &log_file);
    } catch (const std::exception&) {
        // The client gets an SMTP answer rather than a closed connection
        // (RFC 5321 3.1); the reason goes to standard error only, since the peer
        // may be anyone who reached the socket.
        try {
            server::FdOutput(STDOUT_FILENO)
                .write("421 4.3.5 okuru cannot read its configuration, try again later\r\n");
        } catch (const std::exception&) {
        }
        throw;
    }
    const MailLog maillog(config, std::move(log_file));
    // okuru-smtp@.service: systemd's Accept=yes names the peer (systemd.socket(5)).
    if (const char* peer = std::getenv("REMOTE_ADDR"))
        say(std::string("SMTP session from ") + log::escape(peer) +
            (std::getenv("REMOTE_PORT") ? std::string(" port ") + std::getenv("REMOTE_PORT")
                                        : std::string()));

    // -N, -R, -V on the command line apply to every message of the session (the
    // session does not offer DSN to its client).
    const DsnOptions dsn = dsn_from(opt);
    // The client reads a permanent refusal in the reply to DATA (554) and bounces
    // the message itself: no notice of okuru's as well.
    const AttemptContext context{config, maillog, preloaded, {}, false};
    server::Setting setting;
    const auto names = this_host_names();
    if (!names.empty()) setting.hostname = names.front();
    // The same rule as for command-line addresses, so that what RCPT accepts
    // the envelope check later accepts too.
    setting.check_address = [](const std::string& address, bool sender) -> std::string {
        try {
            parse_envelope_address(address, sender ? "sender" : "recipient");
            return {};
        } catch (const std::exception& e) {
            return describe(e);
        }
    };
    setting.deliver = [&](const server::Transaction& tx, int data_fd) -> server::DataReply {
        InputMessage msg;
        try {
            // The reader and normaliser of the command line: long lines, NUL,
            // folding behave the same. The dot was handled by the session.
            msg = read_message(data_fd, ReadOptions{false});
        } catch (const std::exception& e) {
            return {554, "5.6.0 " + reply_text(describe(e))};
        }
        Request req;
        req.account = opt.account;
        req.sender = tx.sender;
        req.recipients = tx.recipients;
        std::vector<Attempted> done;
        try {
            Prepared prepared = prepare(config, req, msg);
            for (const Submission& s : prepared.plan) {
                Planned p = planned(s, prepared.sender, msg, opt.full_name, dsn);
                p.eight_bit = p.eight_bit || tx.eight_bit;
                done.push_back(attempt(context, p, msg.body));
            }
        } catch (const std::exception&) {
            // Not routable (a bare name without alias, no account): kept, as on
            // the command line, for --resend-failed after the fix.
            Planned p;
            p.unroutable = std::current_exception();
            p.envelope = SavedEnvelope{req.account.value_or(""), tx.sender, tx.recipients, true};
            p.envelope.dsn = dsn;
            p.headers = msg.headers.render() + "\r\n";
            done.push_back(attempt(context, p, msg.body));
        }
        return final_dot_reply(done);
    };
    server::FdInput in(STDIN_FILENO);
    server::FdOutput out(STDOUT_FILENO);
    server::run_session(in, out, setting);
    return Exit::ok;
}

}  // namespace okuru::app_detail
