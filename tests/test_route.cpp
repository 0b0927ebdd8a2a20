#include <catch2/catch.hpp>

#include "base/errors.hpp"
#include "config/route.hpp"

using namespace okuru;

namespace {

// isp: the default, for *@isp.example; work: for one exact address and
// *@*.work.example; corp: *@corp.example and the [routes] target for *.corp.example;
// lan: reached only through [routes].
const char* const routing_config = R"(
domain = "home.example"

[accounts.isp]
host = "smtp.isp.example"
default = true
from = ["*@isp.example"]

[accounts.work]
host = "smtp.work.example"
from = ["boss@isp.example", "*@*.work.example"]

[accounts.corp]
host = "smtp.corp.example"
from = ["*@corp.example", "*@mail.sub.work.example"]

[accounts.lan]
host = "192.0.2.10"
port = 25

[routes]
"lan.example" = "lan"
"*.corp.example" = "corp"
"*.deep.corp.example" = "lan"

[aliases]
root = ["admin@isp.example", "ops"]
postmaster = "pm@isp.example"
)";

Config routing() {
    return parse_config(routing_config, "route.toml");
}

std::vector<std::string> names(const std::vector<Submission>& plan) {
    std::vector<std::string> out;
    for (const auto& s : plan) out.push_back(s.account->name);
    return out;
}

}  // namespace

TEST_CASE("route - the sender's from patterns pick one account for everyone") {
    const Config cfg = routing();
    struct Case {
        std::string sender;
        std::string account;
        std::string reason;
    };
    const Case c = GENERATE(values<Case>({
        // The exact address beats *@isp.example although both match.
        {"boss@isp.example", "work",
         "sender boss@isp.example matches from pattern boss@isp.example"},
        {"Boss@ISP.example", "work", "matches from pattern boss@isp.example"},
        {"anyone@isp.example", "isp",
         "sender anyone@isp.example matches from pattern *@isp.example"},
        {"a@corp.example", "corp", "matches from pattern *@corp.example"},
        // *@*.work.example covers subdomains only, and the longest domain wins.
        {"a@x.work.example", "work", "matches from pattern *@*.work.example"},
        {"a@mail.sub.work.example", "corp", "matches from pattern *@mail.sub.work.example"},
    }));
    const auto plan =
        plan_submissions(cfg, std::nullopt, c.sender, {"x@lan.example", "y@elsewhere.example"});
    REQUIRE(plan.size() == 1);
    CHECK(plan[0].account->name == c.account);
    CHECK(plan[0].reason.find(c.reason) != std::string::npos);
    CHECK(plan[0].recipients == std::vector<std::string>{"x@lan.example", "y@elsewhere.example"});
}

TEST_CASE("route - +tag subaddresses and shell-style globs in from patterns") {
    const Config cfg = parse_config(R"(
[accounts.isp]
host = "smtp.isp.example"
default = true
from = ["*@isp.example"]

[accounts.me]
host = "smtp.me.example"
from = ["me@example.org", "me+exact@example.org"]

[accounts.lists]
host = "smtp.lists.example"
from = ["list-*@example.org", "bot?@example.org", "ops[0-9]@example.org",
        "dev[!]0-9]@example.org"]

[accounts.any]
host = "smtp.any.example"
from = ["*@example.org", "*@*.example.org"]
)",
                                    "globs.toml");
    struct Case {
        std::string sender;
        std::string account;
        std::string reason;
    };
    const Case c = GENERATE(values<Case>({
        // A tagged address falls to its base address, ahead of every glob ...
        {"me+news@example.org", "me", "matches from pattern me@example.org (a +tag subaddress"},
        {"Me+News@Example.org", "me", "(a +tag subaddress of it)"},
        // ... but an exact pattern for the tagged address itself wins.
        {"me+exact@example.org", "me", "matches from pattern me+exact@example.org"},
        // A glob with literal characters in the local part beats "*@domain".
        {"list-dev@example.org", "lists", "matches from pattern list-*@example.org"},
        {"bot1@example.org", "lists", "matches from pattern bot?@example.org"},
        {"ops7@example.org", "lists", "matches from pattern ops[0-9]@example.org"},
        // "[!...]" negates; a ']' right after "[" or "[!" is literal.
        {"devz@example.org", "lists", "matches from pattern dev[!]0-9]@example.org"},
        {"dev]@example.org", "any", "matches from pattern *@example.org"},
        {"opsx@example.org", "any", "matches from pattern *@example.org"},
        {"bot12@example.org", "any", "matches from pattern *@example.org"},
        {"a@sub.example.org", "any", "matches from pattern *@*.example.org"},
        // A tag is not a wildcard: "you+x" has no base address configured.
        {"you+x@isp.example", "isp", "matches from pattern *@isp.example"},
    }));
    const auto plan = plan_submissions(cfg, std::nullopt, c.sender, {"x@elsewhere.example"});
    REQUIRE(plan.size() == 1);
    CHECK(plan[0].account->name == c.account);
    CHECK(plan[0].reason.find(c.reason) != std::string::npos);
}

TEST_CASE("route - *@*.domain does not match the domain itself") {
    const Config cfg = routing();
    const auto plan = plan_submissions(cfg, std::nullopt, "a@work.example", {"r@else.example"});
    REQUIRE(plan.size() == 1);
    CHECK(plan[0].account->name == "isp");
    CHECK(plan[0].reason == "default account");
}

TEST_CASE("route - -a overrides everything") {
    const Config cfg = routing();
    const auto plan = plan_submissions(cfg, std::string("lan"), "boss@isp.example",
                                       {"a@corp.example", "b@x.example"});
    REQUIRE(plan.size() == 1);
    CHECK(plan[0].account->name == "lan");
    CHECK(plan[0].reason == "-a lan");
    try {
        plan_submissions(cfg, std::string("nope"), "", {"a@x.example"});
        FAIL("an unknown -a account was accepted");
    } catch (const Error& e) {
        CHECK(e.code() == Exit::config);
        CHECK(std::string(e.what()).find("isp, work, corp, lan") != std::string::npos);
    }
}

TEST_CASE("route - recipients split over [routes] and the default, in order, de-duplicated") {
    const Config cfg = routing();
    const auto plan = plan_submissions(
        cfg, std::nullopt, "someone@unmatched.example",
        {"a@lan.example", "b@other.example", "c@x.corp.example", "d@LAN.example", "A@Lan.Example",
         "a@LAN.EXAMPLE", "e@a.deep.corp.example", "f@corp.example"});
    REQUIRE(names(plan) == std::vector<std::string>{"lan", "isp", "corp"});
    // a@LAN.EXAMPLE repeats a@lan.example (domains ignore case); A@Lan.Example does not.
    CHECK(plan[0].recipients == std::vector<std::string>{"a@lan.example", "d@LAN.example",
                                                         "A@Lan.Example", "e@a.deep.corp.example"});
    CHECK(plan[0].reason == "recipient domain lan.example routed to lan");
    // "*.corp.example" covers subdomains only: corp.example itself goes to the default.
    CHECK(plan[1].recipients == std::vector<std::string>{"b@other.example", "f@corp.example"});
    CHECK(plan[1].reason == "default account");
    CHECK(plan[2].recipients == std::vector<std::string>{"c@x.corp.example"});
    CHECK(plan[2].reason == "recipient domain x.corp.example matches route *.corp.example to corp");
}

TEST_CASE("route - no match and no default is a clear config error") {
    const Config cfg = parse_config(R"(
[accounts.a]
host = "a.example"
from = ["*@a.example"]
[accounts.b]
host = "b.example"
)",
                                    "t.toml");
    CHECK(plan_submissions(cfg, std::nullopt, "me@a.example", {"x@y.example"})[0].account->name ==
          "a");
    try {
        plan_submissions(cfg, std::nullopt, "me@z.example", {"x@y.example"});
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == Exit::config);
        CHECK(std::string(e.what()).find("x@y.example") != std::string::npos);
        CHECK(std::string(e.what()).find("default = true") != std::string::npos);
    }
    CHECK(plan_submissions(cfg, std::nullopt, "", {}).empty());
}

TEST_CASE("route - Qualifier expands aliases, then the domain") {
    const Config cfg = routing();
    const Qualifier q(cfg, "myhost.example");
    using V = std::vector<std::string>;
    struct Case {
        std::string in;
        V out;
    };
    const Case c = GENERATE(values<Case>({
        {"root", V{"admin@isp.example", "ops@home.example"}},  // bare target gets the domain
        {"ROOT", V{"admin@isp.example", "ops@home.example"}},  // local names ignore case
        {"root@localhost", V{"admin@isp.example", "ops@home.example"}},
        {"root@myhost.example", V{"admin@isp.example", "ops@home.example"}},
        {"postmaster", V{"pm@isp.example"}},
        {"alice", V{"alice@home.example"}},
        {"alice@localhost", V{"alice@home.example"}},  // localhost counts as bare
        {"alice@MyHost.example", V{"alice@home.example"}},
        {"root@elsewhere.example", V{"root@elsewhere.example"}},
    }));
    CHECK(q.expand_recipient(c.in) == c.out);
}

TEST_CASE("route - the \"*\" alias catches every other local name") {
    const Config cfg = parse_config(R"(
[accounts.a]
host = "a.example"
[aliases]
"*" = "me@example.org"
root = "root-mail@example.org"
)",
                                    "t.toml");
    const Qualifier q(cfg);
    CHECK(q.expand_recipient("root") == std::vector<std::string>{"root-mail@example.org"});
    CHECK(q.expand_recipient("logwatch") == std::vector<std::string>{"me@example.org"});
    CHECK(q.expand_recipient("x@localhost") == std::vector<std::string>{"me@example.org"});
    CHECK(q.expand_recipient("x@example.net") == std::vector<std::string>{"x@example.net"});
    CHECK(q.qualify_sender("root") == "root-mail@example.org");
    CHECK(q.qualify_sender("cron") == "me@example.org");  // no domain: the catch-all
}

TEST_CASE("route - Qualifier refuses a bare recipient it cannot qualify") {
    const Config cfg = parse_config("[accounts.a]\nhost = \"a.example\"\n", "t.toml");
    const Qualifier q(cfg, "myhost.example");
    try {
        q.expand_recipient("root");
        FAIL("a bare name was passed through");
    } catch (const Error& e) {
        CHECK(e.code() == Exit::nouser);
        const std::string msg = e.what();
        CHECK(msg.find("\"root\"") != std::string::npos);
        CHECK(msg.find("[aliases]") != std::string::npos);
        CHECK(msg.find("domain =") != std::string::npos);
    }
    CHECK_THROWS_AS(q.expand_recipient(""), Error);
    // Senders fall back to the local domain and are never refused here.
    CHECK(q.qualify_sender("cron") == "cron@myhost.example");
    CHECK(Qualifier(cfg).qualify_sender("cron") == "cron");
    CHECK(q.qualify_sender("") == "");
    CHECK(q.qualify_sender("a@b.example") == "a@b.example");
    CHECK(q.qualify_sender("cron@localhost") == "cron@myhost.example");
    CHECK_THROWS_AS(q.expand_recipient("root@localhost"), Error);
}

TEST_CASE("route - qualify_sender prefers the person's alias, then the domain") {
    const Config cfg = routing();
    const Qualifier q(cfg);
    CHECK(q.qualify_sender("root") == "admin@isp.example");
    CHECK(q.qualify_sender("alice") == "alice@home.example");
}

TEST_CASE("route - Qualifier treats this machine's other names as local, qualifying nothing") {
    const Config cfg = parse_config(R"(
[aliases]
root = "admin@example.org"
[accounts.a]
host = "h"
)",
                                    "t.toml");
    const Qualifier q(cfg, {}, {"Box.example.net", "box"});
    CHECK(q.expand_recipient("root@box.example.net") ==
          std::vector<std::string>{"admin@example.org"});
    CHECK(q.expand_recipient("root@BOX") == std::vector<std::string>{"admin@example.org"});
    CHECK(q.expand_recipient("root@other.example") ==
          std::vector<std::string>{"root@other.example"});
    // A local host name is not a domain for bare senders.
    CHECK(q.qualify_sender("cron") == "cron");
    CHECK_THROWS_AS(q.expand_recipient("bob@box"), Error);
}
