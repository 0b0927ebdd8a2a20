#include <catch2/catch.hpp>

#include "app/authorize.hpp"
#include "base/errors.hpp"
#include "config/config.hpp"

using namespace okuru;

namespace {

Config with_rules(const std::string& rules) {
    return parse_config("[accounts.a]\nhost = \"smtp.example.org\"\n" + rules, "t.toml");
}

std::string config_error(const std::string& rules) {
    try {
        with_rules(rules);
    } catch (const Error& e) {
        CHECK(e.code() == Exit::config);
        return e.what();
    }
    FAIL("accepted: " << rules);
    return {};
}

const Caller alice{1000, "alice", {"alice", "staff"}};
const Caller bob{1001, "bob", {"bob"}};

}  // namespace

TEST_CASE("authorization - without [authorization] everyone submits as anyone") {
    const Config c = with_rules("");
    CHECK_FALSE(c.authorization.submit_users);
    CHECK_FALSE(c.authorization.enforced);  // only start-up makes the rules binding
    CHECK(may_submit(c.authorization, bob));
    const std::vector<std::string> own{"bob@example.org"};
    CHECK(may_claim(c.authorization, bob, own, "ceo@example.org"));
}

TEST_CASE("authorization - submit_users names users and @groups") {
    const Config c = with_rules("[authorization]\nsubmit_users = [\"carol\", \"@staff\"]\n");
    CHECK(may_submit(c.authorization, alice));  // by group
    CHECK_FALSE(may_submit(c.authorization, bob));
    CHECK(may_submit(c.authorization, Caller{1002, "carol", {}}));
    // An empty list: nobody (root is never checked).
    const Config none = with_rules("[authorization]\nsubmit_users = []\n");
    CHECK_FALSE(may_submit(none.authorization, alice));
}

TEST_CASE("authorization - restrict_senders: the user's own address and what senders lists") {
    const Config c = with_rules(R"([authorization]
restrict_senders = true
[authorization.senders]
alice = ["sales@example.org"]
"@staff" = ["*@staff.example.org"]
)");
    const std::vector<std::string> own{"alice@example.org"};
    CHECK(may_claim(c.authorization, alice, own, "alice@example.org"));
    CHECK(may_claim(c.authorization, alice, own, "Alice@Example.ORG"));
    CHECK(may_claim(c.authorization, alice, own, "alice+cron@example.org"));
    CHECK(may_claim(c.authorization, alice, own, "SALES@example.org"));
    CHECK(may_claim(c.authorization, alice, own, "anyone@staff.example.org"));
    CHECK_FALSE(may_claim(c.authorization, alice, own, "ceo@example.org"));
    const std::vector<std::string> bobs{"bob@example.org"};
    CHECK(may_claim(c.authorization, bob, bobs, "bob@example.org"));
    CHECK_FALSE(may_claim(c.authorization, bob, bobs, "sales@example.org"));
    CHECK_FALSE(may_claim(c.authorization, bob, bobs, "x@staff.example.org"));
    CHECK_FALSE(may_claim(c.authorization, bob, bobs, "alice@example.org"));
}

TEST_CASE("authorization - mistakes are configuration errors") {
    CHECK_THAT(config_error("[authorization]\nsubmit_user = [\"a\"]\n"),
               Catch::Contains("did you mean \"submit_users\""));
    CHECK_THAT(config_error("[authorization]\nsubmit_users = [\"a b\"]\n"),
               Catch::Contains("must be a login name (alice) or a group (@staff)"));
    CHECK_THAT(config_error("[authorization.senders]\nalice = [\"a@x.example\"]\n"),
               Catch::Contains("no effect without restrict_senders = true"));
    CHECK_THAT(config_error("[authorization]\nrestrict_senders = true\n[authorization.senders]\n"
                            "alice = [\"not an address\"]\n"),
               Catch::Contains("is not an address or a pattern"));
}

TEST_CASE("authorization - authorize() does nothing unless the rules bind") {
    Config c = with_rules("[authorization]\nsubmit_users = []\n");
    // Not enforced: a user's own file, or the system file read without the privilege.
    CHECK_NOTHROW(authorize(c, {}, "x@example.org", HeaderBlock{}));
}

TEST_CASE("authorization - a spooled message is checked as the user who dropped it") {
    // Root resends the system spool; a file a user wrote there by hand must meet
    // the rules that user's own submission would (issue 10 spool x issue 12).
    Config c = with_rules("[authorization]\nsubmit_users = [\"root\"]\n");
    c.authorization.enforced = true;
    const std::vector<Submission> plan;
    const uid_t nobody = 65534;  // Debian's nobody
    try {
        authorize(c, plan, "", HeaderBlock{}, nobody);
        FAIL("nobody was let through");
    } catch (const Error& e) {
        CHECK(e.code() == Exit::noperm);
        CHECK_THAT(e.what(), Catch::Contains("uid 65534"));
        CHECK_THAT(e.what(), Catch::Contains("submit_users"));
    }
    CHECK_NOTHROW(authorize(c, plan, "", HeaderBlock{}, uid_t(0)));  // root's own
}
