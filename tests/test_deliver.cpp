// deliver(): POP-before-SMTP, then the account's host and each fallback host in
// order, through an injected connector (no sockets): which failures move on to
// the next host, which end the delivery, and the relay the outcome names.
#include <catch2/catch.hpp>

#include "app/deliver.hpp"
#include "deliver_fixture.hpp"

using namespace okuru;
using namespace okuru::test;

namespace {

struct Failed {
    Exit code = Exit::ok;
    std::string text;
};

Failed failure_of(const Delivery& d) {
    REQUIRE_FALSE(d.ok());
    REQUIRE(d.failure);
    try {
        std::rethrow_exception(d.failure);
    } catch (const std::exception& e) {
        return {exit_code(e), describe(e)};
    }
}

}  // namespace

TEST_CASE("deliver - connection failures move on to the next host, in order") {
    const Message msg;
    ScriptedPeer peer;
    accepts(peer, msg);
    Hosts hosts;
    hosts.refuse = {{"a.test:587", Exit::tempfail}, {"b.test:587", Exit::nohost}};
    hosts.peers = {{"c.test:2525", &peer}};
    DeliveryOptions options;
    options.connect = hosts.connector();

    const Delivery d = deliver(account(), envelope(), msg.content(), options);
    INFO((d.failure ? failure_of(d).text : ""));
    REQUIRE(d.ok());
    CHECK_FALSE(d.failure);
    CHECK(d.accepted->final_reply.str() == "250 2.0.0 queued as 7Q");
    CHECK(d.relay == "c.test:2525");
    // The fallback without a port takes the account's.
    CHECK(hosts.tried == std::vector<std::string>{"a.test:587", "b.test:587", "c.test:2525"});
    CHECK(peer.errors().empty());
    CHECK(peer.finished());
}

TEST_CASE("deliver - the first host that answers ends the loop") {
    const Message msg;
    ScriptedPeer peer;
    accepts(peer, msg);
    Hosts hosts;
    hosts.peers = {{"a.test:587", &peer}};
    DeliveryOptions options;
    options.connect = hosts.connector();

    const Delivery d = deliver(account(), envelope(), msg.content(), options);
    REQUIRE(d.ok());
    CHECK(d.relay == "a.test:587");
    CHECK(hosts.tried == std::vector<std::string>{"a.test:587"});
}

TEST_CASE("deliver - every host down: the last error, naming the last host tried") {
    const Message msg;
    Hosts hosts;
    hosts.refuse = {{"a.test:587", Exit::tempfail},
                    {"b.test:587", Exit::tempfail},
                    {"c.test:2525", Exit::nohost}};
    DeliveryOptions options;
    options.connect = hosts.connector();

    const Delivery d = deliver(account(), envelope(), msg.content(), options);
    const Failed f = failure_of(d);
    CHECK(f.code == Exit::nohost);
    CHECK(contains(f.text, "cannot connect to c.test:2525"));
    CHECK(contains(f.text, "account isp"));
    CHECK(d.relay == "c.test:2525");
    CHECK(hosts.tried.size() == 3);
}

TEST_CASE("deliver - a failure other than reaching the host ends the delivery at once") {
    const Message msg;
    Hosts hosts;
    ScriptedPeer refusing;
    SECTION("a connection error that is not temporary (a certificate, a TLS setting)") {
        hosts.refuse = {{"a.test:587", Exit::unavailable}};
    }
    SECTION("a server that answers and refuses: the next host would refuse as well") {
        refusing.send("554 5.3.2 not now\r\n").expect("QUIT\r\n").send("221 bye\r\n");
        hosts.peers = {{"a.test:587", &refusing}};
    }
    DeliveryOptions options;
    options.connect = hosts.connector();

    const Delivery d = deliver(account(), envelope(), msg.content(), options);
    const Failed f = failure_of(d);
    CHECK(f.code == Exit::unavailable);
    CHECK(contains(f.text, "account isp"));
    CHECK(d.relay == "a.test:587");
    CHECK(hosts.tried == std::vector<std::string>{"a.test:587"});
}

TEST_CASE("deliver - a failure before any host names the account's first host") {
    // POP-before-SMTP without any password: fails before a connection is opened.
    Account a = account();
    a.user = "me";
    Pop3Settings pop;
    pop.host = "pop.test";
    a.pop_before_smtp = pop;
    Hosts hosts;
    DeliveryOptions options;
    options.connect = hosts.connector();

    const Message msg;
    const Delivery d = deliver(a, envelope(), msg.content(), options);
    const Failed f = failure_of(d);
    CHECK(f.code == Exit::config);
    CHECK(contains(f.text, "POP-before-SMTP login at pop.test"));
    CHECK(d.relay == "a.test:587");
    CHECK(hosts.tried.empty());
}
