// attempt(): the one path of a message (new, resent, or unroutable) from content
// to log line. What it promises: a sent message is never kept, a failed one is
// kept once (or stays where --resend-failed found it), and every attempt writes
// one record naming the relay tried last.
#include <pwd.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "app/attempt.hpp"
#include "deliver_fixture.hpp"
#include "test_support.hpp"

using namespace okuru;
using namespace okuru::test;

namespace {

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// A run's configuration with one account, its dead letters and log file in a
// temporary directory, and a connector the test scripts.
struct Run {
    TempDir dir;
    Config config;
    Preloaded preloaded;
    Hosts hosts;
    Message msg;

    Run() {
        config.accounts.push_back(account());
        config.dead_letter = (dir.path / "failed").string();
        config.log_file = (dir.path / "okuru.log").string();
    }

    Attempted go(const Planned& p) {
        const MailLog maillog(config);
        const AttemptContext context{config, maillog, preloaded, hosts.connector()};
        return attempt(context, p, msg.body);
    }

    Planned planned() const {
        Planned p;
        p.account = &config.accounts.front();
        p.envelope = SavedEnvelope{"isp", "a@example.org", {"b@example.net"}};
        p.headers = msg.headers;
        return p;
    }

    std::vector<SavedMessage> kept() const { return list_failed(config.dead_letter); }
    std::string log() const { return read_file(config.log_file); }
};

}  // namespace

TEST_CASE("attempt - a sent message is logged and never kept") {
    Run run;
    ScriptedPeer peer;
    accepts(peer, run.msg);
    run.hosts.refuse = {{"a.test:587", Exit::tempfail}};
    run.hosts.peers = {{"b.test:587", &peer}};

    const Attempted a = run.go(run.planned());
    CHECK(a.exit == Exit::ok);
    CHECK(a.record.status == "sent");
    CHECK(a.record.relay == "b.test:587");
    CHECK(a.record.tls == "none");
    CHECK(a.record.reply == "250 2.0.0 queued as 7Q");
    CHECK(a.record.saved.empty());
    CHECK(a.record.size == run.msg.size());
    CHECK(run.kept().empty());
    CHECK(run.log().find(" " + format_record(a.record) + "\n") != std::string::npos);
    // Accountability: the real uid and its name, first in the line.
    REQUIRE(a.record.uid);
    CHECK(*a.record.uid == getuid());
    const passwd* pw = getpwuid(getuid());
    REQUIRE(pw);
    CHECK(a.record.user == pw->pw_name);
    CHECK(run.log().find("Z uid=" + std::to_string(getuid()) + " user=" + pw->pw_name +
                         " account=isp ") != std::string::npos);
    CHECK(peer.errors().empty());
}

TEST_CASE("attempt - a failed message is kept once, with its envelope and the error") {
    Run run;
    run.hosts.refuse = {{"a.test:587", Exit::tempfail},
                        {"b.test:587", Exit::tempfail},
                        {"c.test:2525", Exit::tempfail}};

    const Attempted a = run.go(run.planned());
    CHECK(a.exit == Exit::tempfail);
    CHECK(a.record.status == "failed");
    CHECK(a.record.relay == "c.test:2525");
    CHECK(a.record.exit == int(Exit::tempfail));
    CHECK(contains(a.record.error, "cannot connect to c.test:2525"));
    const auto kept = run.kept();
    REQUIRE(kept.size() == 1);
    CHECK(a.record.saved == kept[0].path);
    CHECK(kept[0].envelope.account == "isp");
    CHECK(kept[0].envelope.sender == "a@example.org");
    CHECK(kept[0].envelope.recipients == std::vector<std::string>{"b@example.net"});
    CHECK(contains(kept[0].envelope.error, "cannot connect to c.test:2525"));
    CHECK(contains(run.log(), "status=failed"));
    CHECK(contains(run.log(), "saved=\"" + kept[0].path + "\""));

    SECTION("save_failed = false: reported and logged, not kept") {
        run.config.save_failed = false;
        const Attempted b = run.go(run.planned());
        CHECK(b.exit == Exit::tempfail);
        CHECK(b.record.saved.empty());
        CHECK(b.record.not_kept);  // logged kept=no; 75 leaves the retry to the caller
        CHECK(contains(run.log(), "exit=75 kept=no"));
        CHECK(run.kept().size() == 1);  // only the first attempt's copy
    }
}

TEST_CASE("attempt - a message kept nowhere is said so and never exits 75") {
    Run run;
    run.hosts.refuse = {{"a.test:587", Exit::tempfail},
                        {"b.test:587", Exit::tempfail},
                        {"c.test:2525", Exit::tempfail}};
    // A dead_letter that cannot be created (under a regular file); the
    // compiled-in system spool of a build tree does not exist either (it is made
    // by meson install; tests/callers/test_system_spool.py covers it).
    if (std::filesystem::exists(system_spool().path)) {
        WARN("the system spool " << system_spool().path << " exists: not tested here");
        return;
    }
    run.dir.write("blocked", "a file");
    run.config.dead_letter = (run.dir.path / "blocked" / "failed").string();
    const Attempted a = run.go(run.planned());
    CHECK(a.exit == Exit::cantcreat);
    CHECK(a.record.exit == int(Exit::cantcreat));
    CHECK(a.record.saved.empty());
    CHECK(a.record.not_kept);
    CHECK(contains(run.log(), "status=failed"));
    CHECK(contains(run.log(), " exit=73 kept=no"));
}

TEST_CASE("attempt - a resent message stays where it is kept") {
    Run run;
    Planned p = run.planned();
    p.kept_at = "/kept/new/1";
    ScriptedPeer peer;
    SECTION("accepted: logged as resent") {
        accepts(peer, run.msg);
        run.hosts.peers = {{"a.test:587", &peer}};
        const Attempted a = run.go(p);
        CHECK(a.exit == Exit::ok);
        CHECK(a.record.status == "resent");
        CHECK(a.record.saved.empty());
    }
    SECTION("failed again: not saved a second time") {
        run.hosts.refuse = {{"a.test:587", Exit::unavailable}};
        const Attempted a = run.go(p);
        CHECK(a.exit == Exit::unavailable);
        CHECK(a.record.status == "failed");
        CHECK(a.record.saved == "/kept/new/1");
        CHECK(contains(run.log(), "saved=\"/kept/new/1\""));
    }
    CHECK(run.kept().empty());
}

TEST_CASE("attempt - an unroutable message is kept without contacting anyone") {
    Run run;
    Planned p;
    p.unroutable = std::make_exception_ptr(Error(Exit::nouser, "no alias for bob"));
    p.envelope = SavedEnvelope{"", "", {"bob"}, false};
    p.headers = run.msg.headers;

    const Attempted a = run.go(p);
    CHECK(a.exit == Exit::nouser);
    CHECK(a.record.status == "failed");
    CHECK(a.record.relay.empty());
    CHECK(a.record.tls.empty());
    CHECK(a.record.error == "no alias for bob");
    CHECK(run.hosts.tried.empty());
    const auto kept = run.kept();
    REQUIRE(kept.size() == 1);
    CHECK_FALSE(kept[0].envelope.sender_known);
    CHECK(kept[0].envelope.recipients == std::vector<std::string>{"bob"});
    // No sender was decided: the record has no from=.
    CHECK(run.log().find("from=") == std::string::npos);
    CHECK(contains(run.log(), "to=<bob>"));
}

TEST_CASE("attempt - a message refused for good is given up at once, its sender told unless -N") {
    Run run;
    ScriptedPeer peer;
    run.hosts.peers = {{"a.test:587", &peer}};
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({}))
        .expect("MAIL FROM:<a@example.org>\r\n")
        .send("550 5.7.1 sender refused\r\n")
        .expect("QUIT\r\n")
        .send("221 bye\r\n");
    // -N, and -bs (whose client reads the refusal itself): no notice.
    const bool never = GENERATE(false, true);
    const bool notify_refused = GENERATE(true, false);
    CAPTURE(never, notify_refused);
    DsnOptions dsn;
    if (never) dsn.notify = "never";
    const MailLog maillog(run.config);
    AttemptContext context{run.config, maillog, run.preloaded, run.hosts.connector()};
    context.notify_refused = notify_refused;
    Planned planned = run.planned();
    planned.envelope.dsn = dsn;
    const Attempted a = attempt(context, planned, run.msg.body);

    CHECK(a.exit == Exit::unavailable);
    CHECK(a.cause == Cause::message_refused);
    CHECK(a.record.status == "failed");
    const auto aside = list_failed(given_up_dir(run.config.dead_letter));
    REQUIRE(aside.size() == 1);
    CHECK(a.record.saved == aside[0].path);
    CHECK(aside[0].envelope.given_up == "refused by the server");
    CHECK(aside[0].envelope.recipients == std::vector<std::string>{"b@example.net"});
    // The notice: no account serves it (no default account), so it is kept
    // unsent, addressed to the sender; that it exists is what shows it was sent.
    const auto kept = run.kept();
    if (never || !notify_refused) {
        CHECK(kept.empty());
    } else {
        REQUIRE(kept.size() == 1);
        CHECK(kept[0].envelope.recipients == std::vector<std::string>{"a@example.org"});
    }
    CHECK(contains(run.log(), "status=failed"));
}
