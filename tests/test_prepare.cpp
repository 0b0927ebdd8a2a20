#include <catch2/catch.hpp>

#include "app/prepare.hpp"
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
    const std::string first = planned(p.plan[0], p.sender, msg, std::nullopt).headers;
    const std::string second = planned(p.plan[1], p.sender, msg, std::nullopt).headers;
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
        CHECK(field(planned(s, p.sender, msg, std::nullopt).headers, "Message-ID") ==
              "<given@x.example>");
}
