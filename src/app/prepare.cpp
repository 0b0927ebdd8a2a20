#include "app/prepare.hpp"

#include <unistd.h>

#include <ctime>

#include "app/app_internal.hpp"
#include "app/authorize.hpp"
#include "base/errors.hpp"
#include "base/passwd.hpp"
#include "message/address.hpp"

namespace okuru {

std::string login_name() {
    // No numeric fallback: a number would become a sender address.
    if (auto entry = passwd_entry(getuid()); entry && !entry->name.empty()) return entry->name;
    throw Error(Exit::nouser, "cannot determine the login name of uid " + std::to_string(getuid()));
}

Prepared prepare(const Config& config, const Request& req, InputMessage& msg) {
    Qualifier qualify(config, {}, app_detail::this_host_names());
    std::vector<std::string> expanded;
    for (const auto& r : req.recipients)
        for (auto& x : qualify.expand_recipient(r)) expanded.push_back(std::move(x));

    Prepared p;
    if (req.sender) {
        p.sender = req.sender->empty() ? "" : qualify.qualify_sender(*req.sender);
    } else if (auto from = header_sender(msg.headers)) {
        p.sender = qualify.qualify_sender(*from);
    } else {
        p.sender = qualify.qualify_sender(login_name());
    }
    // The header fields are rewritten by the envelope's rules: a bare name or an
    // address at this host in From:/Sender:/Reply-To: as the envelope sender, in
    // To:/Cc: as a recipient (okuru(8), "Qualification").
    HeaderQualifier hq;
    hq.sender = [&qualify](std::string_view a) { return qualify.qualify_sender(a); };
    hq.recipient = [&qualify](std::string_view a) {
        try {
            return qualify.expand_recipient(a);
        } catch (const Error&) {
            // root@localhost in a To: of a message not sent with -t: not an
            // envelope address, so it stays as written rather than failing.
            if (a.find('@') == std::string_view::npos) throw;
            return std::vector<std::string>{std::string(a)};
        }
    };
    qualify_headers(msg.headers, hq);
    p.plan = plan_submissions(config, req.account, p.sender, expanded);
    // A bare sender that nothing qualified is refused like a bare recipient:
    // relays refuse (or worse, qualify with their own domain) MAIL FROM:<root>.
    // An account's envelope_from replaces it, so only the accounts without one
    // are concerned.
    // One validator (address.cpp) for every address that reaches the envelope,
    // alias targets included: refused here, before the first connection, never
    // by the SMTP envelope check after connecting.
    if (!p.sender.empty()) (void)parse_envelope_address(p.sender, "sender");
    for (const Submission& s : p.plan)
        for (const std::string& r : s.recipients) (void)parse_envelope_address(r, "recipient");
    if (!p.sender.empty() && p.sender.find('@') == std::string::npos)
        for (const Submission& s : p.plan)
            if (s.account->envelope_from.empty()) qualify.refuse_bare("sender", p.sender);
    authorize(config, p.plan, p.sender, msg.headers,
              req.submitter);  // before any connection (issue 12)
    // One message, one identity: the parts of a message split over accounts or
    // routes carry the same Date and Message-ID (RFC 5322 3.6.4: one message,
    // one identifier), so they are generated here once, not per part.
    if (p.plan.size() > 1) {
        if (!msg.headers.find("Date"))
            msg.headers.add("Date", " " + rfc5322_date(std::time(nullptr)));
        if (!msg.headers.find("Message-ID")) {
            std::string domain = domain_of(p.sender);
            msg.headers.add("Message-ID",
                            " " + make_message_id(domain.empty() ? "localhost" : domain));
        }
    }
    return p;
}

Planned planned(const Submission& s, const std::string& sender, const InputMessage& msg,
                const std::optional<std::string>& full_name, const DsnOptions& dsn) {
    const Account& a = *s.account;
    Planned p;
    p.account = &a;
    p.envelope.account = a.name;
    p.envelope.sender = a.envelope_from.empty() ? sender : a.envelope_from;
    p.envelope.recipients = s.recipients;
    p.envelope.dsn = dsn;
    HeaderFinish finish;
    finish.envelope_sender = p.envelope.sender;
    finish.full_name = full_name;
    finish.from_rewrite = a.from_header;
    finish.message_id_domain = domain_of(p.envelope.sender);
    if (finish.message_id_domain.empty()) finish.message_id_domain = "localhost";
    p.headers = finish_headers(msg.headers, finish);
    p.eight_bit = msg.eight_bit;
    return p;
}

}  // namespace okuru
