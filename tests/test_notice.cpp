// The failure notice as text (RFC 3464): its three parts, the delivery-status
// fields per recipient, the Status chosen from the reply, and what marks a
// notice so that none is ever sent about one.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "app/notice_format.hpp"

using namespace okuru;

namespace {

const std::string original =
    "From: Me <me@example.org>\r\nTo: b@example.net, typo@example.net\r\n"
    "Subject: report\r\nMessage-ID: <1@example.org>\r\n\r\n";

NoticeInput input() {
    NoticeInput in;
    in.reporting_mta = "laptop.example.org";
    in.to = "me@example.org";
    in.from = "me@example.org";
    in.original_headers = original;
    in.refused = {{"typo@example.net", "550 5.1.1 <typo@example.net>: Recipient address rejected",
                   true, "smtp.example.org:587"},
                  {"old@example.net", "554 no such user here", true, "smtp.example.org"}};
    in.why = "the server refused them";
    in.arrival = 1'780'000'000;
    in.now = 1'780'000'100;
    in.boundary_seed = "1-2";
    return in;
}

// The body parts between "--boundary" lines: each is headers, empty line, text.
std::vector<std::string> parts(const std::string& body, const std::string& boundary) {
    std::vector<std::string> out;
    const std::string delim = "--" + boundary;
    std::size_t pos = body.find(delim + "\r\n");
    while (pos != std::string::npos) {
        const std::size_t start = pos + delim.size() + 2;
        const std::size_t next = body.find("\r\n" + delim, start);
        if (next == std::string::npos) break;
        out.push_back(body.substr(start, next - start));
        pos = body.find(delim + "\r\n", next + 2);
    }
    return out;
}

std::string boundary_of(const NoticeText& n) {
    for (const auto& [name, value] : n.headers) {
        if (name != "Content-Type") continue;
        const std::size_t b = value.find("boundary=\"");
        return value.substr(b + 10, value.find('"', b + 10) - b - 10);
    }
    return {};
}

std::string header(const NoticeText& n, const std::string& name) {
    for (const auto& [k, v] : n.headers)
        if (k == name) return v;
    return {};
}

bool has(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("notice - a multipart/report with the three parts of RFC 3464") {
    const NoticeText n = format_notice(input());
    CHECK(has(header(n, "Content-Type"), "multipart/report; report-type=delivery-status;"));
    CHECK(header(n, "Auto-Submitted") == " auto-replied");
    CHECK(header(n, "MIME-Version") == " 1.0");
    CHECK(header(n, "To") == " <me@example.org>");
    CHECK(has(header(n, "From"), "<me@example.org>"));
    CHECK(header(n, "Subject") == " Undelivered: report");
    CHECK(header(n, "References") == " <1@example.org>");
    CHECK(header(n, "Date").empty());  // the normal header finishing adds it

    const std::string boundary = boundary_of(n);
    REQUIRE(!boundary.empty());
    CHECK(has(n.body, "\r\n--" + boundary + "--\r\n"));
    const auto p = parts(n.body, boundary);
    REQUIRE(p.size() == 3);
    CHECK(p[0].starts_with("Content-Type: text/plain; charset=utf-8\r\n"));
    CHECK(p[1].starts_with("Content-Type: message/delivery-status\r\n"));
    CHECK(p[2].starts_with("Content-Type: text/rfc822-headers\r\n"));
    // The person reads each recipient with the server's reply.
    CHECK(has(p[0], "<typo@example.net>, smtp.example.org said:\r\n    550 5.1.1"));
    CHECK(has(p[0], "<old@example.net>, smtp.example.org said:\r\n    554 no such user here"));
    // The original headers, without the empty line that ended them.
    CHECK(has(p[2], "\r\n\r\nFrom: Me <me@example.org>\r\n"));
    CHECK(has(p[2], "Message-ID: <1@example.org>\r\n"));
    CHECK_FALSE(has(p[2], "Message-ID: <1@example.org>\r\n\r\n"));
    // Every line ends in CR LF (no bare LF anywhere).
    const std::string all = n.render();
    for (std::size_t i = 0; i < all.size(); ++i)
        if (all[i] == '\n') REQUIRE((i > 0 && all[i - 1] == '\r'));
}

TEST_CASE("notice - the delivery-status fields, per message and per recipient") {
    const NoticeText n = format_notice(input());
    const auto p = parts(n.body, boundary_of(n));
    REQUIRE(p.size() == 3);
    const std::string& s = p[1];
    CHECK(has(s, "\r\n\r\nReporting-MTA: dns; laptop.example.org\r\nArrival-Date: "));
    CHECK(has(s,
              "\r\n\r\nFinal-Recipient: rfc822; typo@example.net\r\n"
              "Action: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; smtp.example.org\r\n"
              "Diagnostic-Code: smtp; 550 5.1.1 <typo@example.net>: Recipient address "
              "rejected\r\n"));
    CHECK(has(s,
              "\r\n\r\nFinal-Recipient: rfc822; old@example.net\r\n"
              "Action: failed\r\nStatus: 5.0.0\r\nRemote-MTA: dns; smtp.example.org\r\n"
              "Diagnostic-Code: smtp; 554 no such user here\r\n"));
}

TEST_CASE("notice - no Arrival-Date when unknown, no Diagnostic-Code without an SMTP reply") {
    NoticeInput in = input();
    in.arrival = 0;
    in.refused = {{"x@example.net", "cannot connect to smtp.example.org:587", false, ""}};
    const NoticeText n = format_notice(in);
    CHECK_FALSE(has(n.body, "Arrival-Date:"));
    CHECK_FALSE(has(n.body, "Diagnostic-Code:"));
    CHECK_FALSE(has(n.body, "Remote-MTA:"));
    CHECK(has(n.body, "Status: 5.4.7\r\n"));
    CHECK(has(n.body, "cannot connect to smtp.example.org:587"));
}

TEST_CASE("notice - Status from the reply's enhanced code, or a default") {
    auto status = [](std::string reply, bool permanent = true) {
        return notice_status(Refusal{"x@y", std::move(reply), permanent, ""});
    };
    CHECK(status("550 5.1.1 unknown user") == "5.1.1");
    CHECK(status("552 5.2.2 mailbox full") == "5.2.2");
    CHECK(status("550 mailbox unavailable") == "5.0.0");
    // A transient refusal given up (max_age) keeps its subject and detail.
    CHECK(status("450 4.2.0 try later", false) == "5.2.0");
    CHECK(status("", false) == "5.4.7");
    CHECK(status("connection refused", false) == "5.4.7");
}

TEST_CASE("notice - the boundary never occurs in a part") {
    NoticeInput in = input();
    in.original_headers = "Subject: --okuru-report-1-2\r\nX-B: okuru-report-1-2\r\n\r\n";
    const NoticeText n = format_notice(in);
    const std::string b = boundary_of(n);
    CHECK(b != "okuru-report-1-2");
    CHECK(parts(n.body, b).size() == 3);
}

TEST_CASE("notice - what marks a notice, and what does not") {
    CHECK(is_notice("From: a@b\r\nAuto-Submitted: auto-replied\r\n\r\n"));
    CHECK(is_notice("auto-submitted:   Auto-Replied (okuru)\n\n"));
    CHECK(
        is_notice("Content-Type: multipart/report;\r\n report-type=delivery-status;\r\n"
                  " boundary=x\r\n\r\n"));
    CHECK(is_notice(format_notice(input()).render()));
    // Cron's own output is automatic, but not a notice: its failure is reported.
    CHECK_FALSE(is_notice("Auto-Submitted: auto-generated\r\nSubject: cron\r\n\r\n"));
    CHECK_FALSE(
        is_notice("Content-Type: multipart/report; report-type=disposition-notification\r\n"
                  "\r\n"));
    CHECK_FALSE(is_notice("Subject: Auto-Submitted: auto-replied\r\n\r\n"));
    // A field in the body is not a header.
    CHECK_FALSE(is_notice("Subject: x\r\n\r\nAuto-Submitted: auto-replied\r\n"));
}

TEST_CASE("notice - header_value unfolds and ignores case") {
    const std::string h =
        "X-A: 1\r\nsubject: long\r\n\tsubject line\r\nX-B: 2\r\n\r\nSubject: body\r\n";
    CHECK(header_value(h, "Subject") == "long subject line");
    CHECK(header_value(h, "x-b") == "2");
    CHECK(header_value(h, "X-C").empty());
}
