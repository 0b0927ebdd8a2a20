// notify_failure(): the notice built by notice_format.cpp, sent like any other
// message (prepare, planned, attempt), so routing, aliases, TLS and the log
// record are the same as for the user's own mail.
#include "app/notice.hpp"

#include <unistd.h>

#include <ctime>

#include "app/app_internal.hpp"
#include "app/prepare.hpp"
#include "base/errors.hpp"
#include "base/log.hpp"
#include "message/message.hpp"

namespace okuru {
namespace {

std::string recipients_of(const std::vector<Refusal>& refused) {
    std::string out;
    for (const Refusal& r : refused) out += (out.empty() ? "<" : ", <") + r.recipient + ">";
    return out;
}

std::string this_host() {
    const std::vector<std::string> names = app_detail::this_host_names();
    return names.empty() ? std::string("localhost") : names.front();
}

void send_notice(const AttemptContext& context, const SavedEnvelope& envelope,
                 std::string_view original_headers, const std::vector<Refusal>& refused,
                 std::string_view why, std::int64_t arrival) {
    // The notice goes to the original envelope sender, and comes from that same
    // address: the account's server has accepted it in MAIL FROM already, where
    // a null sender (RFC 5321 4.5.5) is refused or rewritten by submission
    // servers that tie the sender to the login. Auto-Submitted: auto-replied
    // (RFC 3834) is what keeps it from ever causing a notice itself.
    const std::string sender =
        envelope.sender_known ? envelope.sender : login_name();  // see okuru(8)
    NoticeInput in;
    in.reporting_mta = this_host();
    in.to = sender;
    in.from = sender;
    in.original_headers = std::string(original_headers);
    in.refused = refused;
    in.why = std::string(why);
    in.arrival = arrival;
    in.now = std::time(nullptr);
    in.boundary_seed = std::to_string(in.now) + "-" + std::to_string(getpid());
    const NoticeText notice = format_notice(in);

    InputMessage msg;
    for (const auto& [name, value] : notice.headers) msg.headers.add(name, value);
    msg.body.append(notice.body);
    msg.eight_bit = notice.eight_bit;

    Request req;
    req.sender = sender;
    req.recipients = {sender};
    // The notice's own envelope: the original's DSN requests (-N, -R, -V) are
    // not the notice's, and a refused notice is kept as any message would be.
    const AttemptContext plain{context.config, context.maillog, context.preloaded, context.connect};
    Prepared prepared;
    try {
        prepared = prepare(context.config, req, msg);
    } catch (const std::exception&) {
        // No account serves the sender: the notice is kept as a new message
        // would be, for --resend-failed once the configuration is fixed.
        Planned p;
        p.unroutable = std::current_exception();
        p.envelope = SavedEnvelope{"", sender, {sender}, true};
        p.headers = msg.headers.render() + "\r\n";
        attempt(plain, p, msg.body);
        return;
    }
    for (const Submission& s : prepared.plan) {
        const Planned p = planned(s, prepared.sender, msg, std::nullopt, DsnOptions{});
        if (attempt(plain, p, msg.body).exit == Exit::ok)
            log::info("failure notice sent to <" + log::escape(sender) + ">");
    }
}

}  // namespace

void notify_failure(const AttemptContext& context, const SavedEnvelope& envelope,
                    std::string_view original_headers, const std::vector<Refusal>& refused,
                    std::string_view why, std::int64_t arrival) noexcept {
    try {
        if (refused.empty()) return;
        const std::string who = log::escape(recipients_of(refused));
        // Never a notice about a notice (RFC 3461 6.2, RFC 3834 2): the null
        // sender marks one, and so does a notice's own header.
        if (envelope.sender_known && envelope.sender.empty()) {
            log::warn("no failure notice for a message from the null sender; refused: " + who);
            return;
        }
        if (is_notice(original_headers)) {
            log::warn("no failure notice for a failure notice; refused: " + who);
            return;
        }
        send_notice(context, envelope, original_headers, refused, why, arrival);
    } catch (const std::exception& e) {
        log::warn("could not send the failure notice for " + log::escape(recipients_of(refused)) +
                  ": " + describe(e));
    } catch (...) {
        log::warn("could not send the failure notice");
    }
}

}  // namespace okuru
