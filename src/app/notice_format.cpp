#include "app/notice_format.hpp"

#include <algorithm>
#include <cctype>

#include "base/text.hpp"
#include "message/message.hpp"

namespace okuru {
namespace {

// A header line's text without its blanks and a CR left from a CR LF ending.
std::string trim_line(std::string_view s) {
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    return std::string(trim(s));
}

// The header block with CR LF line ends, without its final empty line.
std::string crlf_headers(std::string_view headers) {
    std::string out;
    std::size_t pos = 0;
    while (pos < headers.size()) {
        std::size_t end = headers.find('\n', pos);
        if (end == std::string_view::npos) end = headers.size();
        std::string_view line = headers.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos = end + 1;
        if (line.empty()) break;  // the empty line ends the header block
        out.append(line);
        out += "\r\n";
    }
    return out;
}

// "550 5.1.1 text" -> "5.1.1"; "" when the reply has no RFC 3463 code.
std::string enhanced_of(std::string_view reply) {
    if (reply.size() < 9 || reply[3] != ' ') return {};
    std::string_view rest = reply.substr(4);
    const std::size_t end = std::min(rest.find(' '), rest.size());
    const std::string_view code = rest.substr(0, end);
    int dots = 0;
    for (char c : code) {
        if (c == '.') {
            ++dots;
        } else if (!std::isdigit(static_cast<unsigned char>(c))) {
            return {};
        }
    }
    if (dots != 2 || (code[0] != '2' && code[0] != '4' && code[0] != '5')) return {};
    return std::string(code);
}

bool smtp_reply(std::string_view reply) {
    return reply.size() >= 3 && std::isdigit(static_cast<unsigned char>(reply[0])) &&
           std::isdigit(static_cast<unsigned char>(reply[1])) &&
           std::isdigit(static_cast<unsigned char>(reply[2])) &&
           (reply.size() == 3 || reply[3] == ' ');
}

// "host:587" -> "host" (Remote-MTA is a DNS name, RFC 3464 2.3.5).
std::string host_of(std::string_view relay) {
    const std::size_t colon = relay.rfind(':');
    if (colon == std::string_view::npos || relay.find(':') != colon) return std::string(relay);
    const std::string_view port = relay.substr(colon + 1);
    if (port.empty() || !std::all_of(port.begin(), port.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c));
        }))
        return std::string(relay);
    return std::string(relay.substr(0, colon));
}

std::string human_part(const NoticeInput& in) {
    std::string t;
    t += "This is okuru, the mail submission program on " + in.reporting_mta + ".\r\n\r\n";
    t += "Your message could not be delivered to the recipient(s) below";
    t += in.why.empty() ? std::string(".") : ": " + in.why + ".";
    t += "\r\nokuru has given it up for them and will not try again.\r\n\r\n";
    for (const Refusal& r : in.refused) {
        t += "<" + r.recipient + ">";
        if (!r.remote_mta.empty()) t += ", " + host_of(r.remote_mta) + " said";
        t += ":\r\n    " + (r.reply.empty() ? std::string("(no reply)") : r.reply) + "\r\n\r\n";
    }
    t += "The delivery report for programs and the headers of your message follow.\r\n";
    return t;
}

std::string status_part(const NoticeInput& in) {
    // RFC 3464 2.2: per-message fields, then one block per recipient (2.3).
    std::string t = "Reporting-MTA: dns; " + in.reporting_mta + "\r\n";
    if (in.arrival > 0) t += "Arrival-Date: " + rfc5322_date(in.arrival) + "\r\n";
    for (const Refusal& r : in.refused) {
        t += "\r\nFinal-Recipient: rfc822; " + r.recipient + "\r\n";
        t += "Action: failed\r\n";
        t += "Status: " + notice_status(r) + "\r\n";
        if (!r.remote_mta.empty()) t += "Remote-MTA: dns; " + host_of(r.remote_mta) + "\r\n";
        // RFC 3464 2.3.6: diagnostic-type "smtp" carries an SMTP reply; a reason
        // that is not one (a connection never made) is only in the text part.
        if (smtp_reply(r.reply)) t += "Diagnostic-Code: smtp; " + r.reply + "\r\n";
    }
    return t;
}

bool has_eight_bit(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return (c & 0x80) != 0; });
}

}  // namespace

std::string header_value(std::string_view headers, std::string_view name) {
    std::size_t pos = 0;
    while (pos < headers.size()) {
        std::size_t end = headers.find('\n', pos);
        if (end == std::string_view::npos) end = headers.size();
        std::string_view line = headers.substr(pos, end - pos);
        pos = end + 1;
        if (line.empty() || line == "\r") break;
        const std::size_t colon = line.find(':');
        if (line[0] == ' ' || line[0] == '\t' || colon == std::string_view::npos) continue;
        if (!ascii_iequals(trim(line.substr(0, colon)), name)) continue;
        std::string value = trim_line(line.substr(colon + 1));
        // RFC 5322 2.2.3: continuation lines begin with white space.
        while (pos < headers.size() && (headers[pos] == ' ' || headers[pos] == '\t')) {
            std::size_t next = headers.find('\n', pos);
            if (next == std::string_view::npos) next = headers.size();
            value += " " + trim_line(headers.substr(pos, next - pos));
            pos = next + 1;
        }
        return value;
    }
    return {};
}

bool is_notice(std::string_view headers) {
    const std::string auto_submitted = ascii_lower(header_value(headers, "Auto-Submitted"));
    if (auto_submitted.starts_with("auto-replied")) return true;
    const std::string type = ascii_lower(header_value(headers, "Content-Type"));
    return type.starts_with("multipart/report") &&
           type.find("delivery-status") != std::string::npos;
}

std::string notice_status(const Refusal& r) {
    const std::string code = enhanced_of(r.reply);
    if (code.starts_with("5.")) return code;
    if (code.starts_with("4.")) return "5" + code.substr(1);
    if (smtp_reply(r.reply) && r.reply[0] == '5') return "5.0.0";
    return "5.4.7";
}

NoticeText format_notice(const NoticeInput& in) {
    const std::string original = crlf_headers(in.original_headers);
    const std::string human = human_part(in);
    const std::string status = status_part(in);

    // A boundary that none of the parts contains (RFC 2046 5.1.1).
    std::string boundary = "okuru-report-" + in.boundary_seed;
    for (int n = 0;
         human.find(boundary) != std::string::npos || status.find(boundary) != std::string::npos ||
         original.find(boundary) != std::string::npos;
         ++n)
        boundary = "okuru-report-" + in.boundary_seed + "-" + std::to_string(n);

    NoticeText out;
    const std::string subject = header_value(in.original_headers, "Subject");
    out.eight_bit = has_eight_bit(original) || has_eight_bit(human) || has_eight_bit(subject);
    out.headers = {
        {"From", " Mail Delivery (okuru) <" + in.from + ">"},
        {"To", " <" + in.to + ">"},
        {"Subject", " Undelivered: " + (subject.empty() ? std::string("(no subject)") : subject)},
        // RFC 3834 5: an automatic response; okuru never answers one (is_notice).
        {"Auto-Submitted", " auto-replied"},
        {"MIME-Version", " 1.0"},
        {"Content-Type",
         " multipart/report; report-type=delivery-status;\r\n\tboundary=\"" + boundary + "\""},
    };
    if (const std::string id = header_value(in.original_headers, "Message-ID"); !id.empty()) {
        out.headers.emplace_back("In-Reply-To", " " + id);
        out.headers.emplace_back("References", " " + id);
    }

    std::string& b = out.body;
    b += "This is a delivery status notification in MIME format (RFC 3464).\r\n\r\n";
    b += "--" + boundary + "\r\n";
    b += "Content-Type: text/plain; charset=utf-8\r\n";
    b += "Content-Transfer-Encoding: " + std::string(out.eight_bit ? "8bit" : "7bit") + "\r\n";
    b += "Content-Description: Notification\r\n\r\n";
    b += human;
    b += "\r\n--" + boundary + "\r\n";
    b += "Content-Type: message/delivery-status\r\n";
    b += "Content-Description: Delivery report\r\n\r\n";
    b += status;
    b += "\r\n--" + boundary + "\r\n";
    b += "Content-Type: text/rfc822-headers\r\n";
    b += "Content-Description: The headers of your message\r\n\r\n";
    b += original;
    b += "\r\n--" + boundary + "--\r\n";
    return out;
}

std::string NoticeText::render() const {
    std::string out;
    for (const auto& [name, value] : headers) out += name + ":" + value + "\r\n";
    return out + "\r\n" + body;
}

}  // namespace okuru
