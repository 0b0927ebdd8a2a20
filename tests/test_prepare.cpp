#include <unistd.h>

#include <catch2/catch.hpp>

#include "app/prepare.hpp"
#include "base/errors.hpp"
#include "config/config.hpp"
#include "message_test_util.hpp"

using namespace okuru;
using okuru::test::read_string;

namespace {

// The value of header `name` in a rendered header block ("" when absent).
std::string field(const std::string& block, const std::string& name) {
    const std::string key = "\r\n" + name + ": ";
    const std::string text = "\r\n" + block;
    const auto at = text.find(key);
    if (at == std::string::npos) return "";
    const auto start = at + key.size();
    return text.substr(start, text.find("\r\n", start) - start);
}

}  // namespace

TEST_CASE("prepare - the parts of a message split over routes share Date and Message-ID") {
    const Config cfg = parse_config(R"(
[accounts.isp]
host = "smtp.isp.example"
default = true

[accounts.lan]
host = "192.0.2.10"
port = 25

[routes]
"lan.example" = "lan"
)",
                                    "t.toml");
    InputMessage msg = read_string("Subject: split\n\nbody\n", ReadOptions{});
    Request req;
    req.sender = "me@isp.example";
    req.recipients = {"a@lan.example", "b@other.example"};
    const Prepared p = prepare(cfg, req, msg);
    REQUIRE(p.plan.size() == 2);
    const std::string first = planned(p.plan[0], p.sender, msg, std::nullopt, {}).headers;
    const std::string second = planned(p.plan[1], p.sender, msg, std::nullopt, {}).headers;
    const std::string id = field(first, "Message-ID");
    CHECK(id.find("@isp.example>") != std::string::npos);
    CHECK(id == field(second, "Message-ID"));
    CHECK(!field(first, "Date").empty());
    CHECK(field(first, "Date") == field(second, "Date"));
}

TEST_CASE("prepare - a message's own Message-ID is never replaced") {
    const Config cfg = parse_config(R"(
[accounts.isp]
host = "smtp.isp.example"
default = true

[accounts.lan]
host = "192.0.2.10"

[routes]
"lan.example" = "lan"
)",
                                    "t.toml");
    InputMessage msg =
        read_string("Message-ID: <given@x.example>\nSubject: s\n\nbody\n", ReadOptions{});
    Request req;
    req.sender = "me@isp.example";
    req.recipients = {"a@lan.example", "b@other.example"};
    const Prepared p = prepare(cfg, req, msg);
    REQUIRE(p.plan.size() == 2);
    for (const Submission& s : p.plan)
        CHECK(field(planned(s, p.sender, msg, std::nullopt, {}).headers, "Message-ID") ==
              "<given@x.example>");
}

TEST_CASE("prepare - a bare From: name is qualified by the sender rule, as the envelope is") {
    // The "*" alias is a recipient catch-all: it must not become the From: of
    // a sender the domain qualifies.
    const Config cfg = parse_config(R"(
domain = "example.org"

[accounts.isp]
host = "smtp.isp.example"
default = true

[aliases]
"*" = "catchall@example.org"
)",
                                    "t.toml");
    InputMessage msg = read_string(
        "From: Web App <webapp>\nReply-To: help\nTo: x@y.example\n\nbody\n", ReadOptions{});
    Request req;
    req.recipients = {"x@y.example"};
    const Prepared p = prepare(cfg, req, msg);
    CHECK(p.sender == "webapp@example.org");
    const std::string headers = planned(p.plan[0], p.sender, msg, std::nullopt, {}).headers;
    CHECK(field(headers, "From") == "Web App <webapp@example.org>");
    CHECK(field(headers, "Reply-To") == "help@example.org");
    CHECK(field(headers, "To") == "x@y.example");
}

TEST_CASE("prepare - addresses at this host are rewritten in the headers as in the envelope") {
    const Config cfg = parse_config(R"(
[accounts.isp]
host = "smtp.isp.example"
default = true

[aliases]
root = "admin@example.org"
)",
                                    "t.toml");
    char host[256] = {};
    REQUIRE(gethostname(host, sizeof host - 1) == 0);
    const std::string me = host;
    for (const std::string& at :
         {me, std::string("localhost"), std::string("localhost.localdomain")}) {
        CAPTURE(at);
        InputMessage msg =
            read_string("From: <root@" + at + ">\nTo: root@" + at + ", other@x.example\n\nbody\n",
                        ReadOptions{});
        Request req;
        req.recipients = {"root@" + at};
        const Prepared p = prepare(cfg, req, msg);
        CHECK(p.sender == "admin@example.org");
        REQUIRE(p.plan.size() == 1);
        CHECK(p.plan[0].recipients == std::vector<std::string>{"admin@example.org"});
        const std::string headers = planned(p.plan[0], p.sender, msg, std::nullopt, {}).headers;
        CHECK(field(headers, "From") == "admin@example.org");
        CHECK(field(headers, "To") == "admin@example.org, other@x.example");
    }
}

TEST_CASE("prepare - a bare sender with no domain and no alias is refused like a recipient") {
    const Config cfg = parse_config(R"(
[accounts.isp]
host = "smtp.isp.example"
default = true
)",
                                    "t.toml");
    InputMessage msg = read_string("Subject: s\n\nbody\n", ReadOptions{});
    Request req;
    req.sender = "root";
    req.recipients = {"x@y.example"};
    try {
        (void)prepare(cfg, req, msg);
        FAIL("a bare sender was accepted");
    } catch (const Error& e) {
        CHECK(e.code() == Exit::nouser);
        CHECK_THAT(e.what(), Catch::Contains("sender \"root\" has no domain and no alias"));
        CHECK_THAT(e.what(), Catch::Contains("[aliases] root ="));
    }
    // An account's envelope_from replaces it: nothing unqualified goes out.
    const Config rewritten = parse_config(R"(
[accounts.isp]
host = "smtp.isp.example"
default = true
envelope_from = "box@isp.example"
)",
                                          "t.toml");
    const Prepared p = prepare(rewritten, req, msg);
    CHECK(planned(p.plan[0], p.sender, msg, std::nullopt, {}).envelope.sender == "box@isp.example");
}
