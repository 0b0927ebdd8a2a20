#include <catch2/catch.hpp>

#include "base/errors.hpp"
#include "config/secret.hpp"
#include "sasl/sasl.hpp"
#include "sasl/sasl_internal.hpp"
#include "sasl_fakes.hpp"

using namespace okuru;
using okuru::sasl_detail::base64_decode;
using okuru::sasl_detail::base64_encode;
using okuru::test::FakeTransport;
using okuru::test::GsaslServer;

namespace {

struct Counted {
    int password_calls = 0;
    int token_calls = 0;
};

AuthConfig make_config(Counted& n, std::vector<std::string> pinned, std::string password = "pass") {
    AuthConfig c;
    c.user = "user";
    c.mechanisms = std::move(pinned);
    c.hostname = "smtp.example.test";
    c.port = 587;
    c.password = [&n, password] {
        ++n.password_calls;
        return Secret(password);
    };
    return c;
}

std::string decoded(const std::string& b64) {
    auto raw = base64_decode(b64);
    REQUIRE(raw);
    return *raw;
}

// Runs a whole exchange against `server`; returns the client after the server
// finished (the client may still have to check the server's last message).
void run_exchange(SaslClient& client, GsaslServer& server) {
    std::string response = client.initial_response().value_or("");
    std::string challenge = server.step(response);
    for (int i = 0; server.last_rc() == GSASL_NEEDS_MORE && i < 5; ++i) {
        challenge = server.step(client.step(challenge));
    }
    if (server.last_rc() == GSASL_OK && !challenge.empty()) {
        // Additional data with success (SCRAM's server-final): SMTP sends it as
        // a 334 challenge, answered with an empty line.
        CHECK(client.step(challenge).empty());
    }
}

}  // namespace

TEST_CASE("sasl - base64 round trip and strict decoding") {
    const std::pair<std::string, std::string> vectors[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
        {std::string("\0\xff\x01", 3), "AP8B"},
    };
    for (const auto& [raw, b64] : vectors) {
        CHECK(base64_encode(raw) == b64);
        CHECK(base64_decode(b64) == raw);
    }
    const std::string bad =
        GENERATE("Zg=", "Zm9v!", "Z===", "Zg=a", "Zm=v", "Zm9vY", "Zg==Zg==", "Zm9v\r\n");
    CHECK_FALSE(base64_decode(bad));
}

TEST_CASE("sasl - PLAIN initial response carries authzid, user and password") {
    Counted n;
    FakeTransport tls;
    SaslClient client(make_config(n, {"PLAIN"}), {"PLAIN", "LOGIN"}, tls);
    CHECK(client.mechanism() == "PLAIN");
    CHECK(n.password_calls == 0);  // lazily, only when the library asks
    const auto ir = client.initial_response();
    REQUIRE(ir);
    CHECK(*ir == base64_encode(std::string("\0user\0pass", 10)));
    CHECK(n.password_calls == 1);
    CHECK_NOTHROW(client.finish());
    CHECK_THROWS_AS(client.step(""), Error);  // nothing more to say
}

TEST_CASE("sasl - LOGIN answers Username: and Password: challenges") {
    Counted n;
    FakeTransport tls;
    SaslClient client(make_config(n, {"LOGIN"}), {"LOGIN"}, tls);
    CHECK_FALSE(client.initial_response());
    CHECK(decoded(client.step(base64_encode("Username:"))) == "user");
    CHECK(decoded(client.step(base64_encode("Password:"))) == "pass");
    CHECK_THROWS_AS(client.step(base64_encode("More:")), Error);  // the exchange is over
    CHECK(n.password_calls == 1);
}

TEST_CASE("sasl - CRAM-MD5 matches RFC 2195's example") {
    Counted n;
    FakeTransport tls;
    AuthConfig c = make_config(n, {"CRAM-MD5"}, "tanstaaftanstaaf");
    c.user = "tim";
    SaslClient client(c, {"CRAM-MD5"}, tls);
    CHECK_FALSE(client.initial_response());
    const std::string response =
        client.step(base64_encode("<1896.697170952@postoffice.reston.mci.net>"));
    CHECK(decoded(response) == "tim b913a602c7eda7a495b4e6e7334d3890");
    CHECK(n.password_calls == 1);
}

TEST_CASE("sasl - SCRAM and DIGEST-MD5 exchanges against a GNU SASL server") {
    const std::string mech = GENERATE("SCRAM-SHA-1", "SCRAM-SHA-256", "DIGEST-MD5", "CRAM-MD5");
    CAPTURE(mech);
    Counted n;
    FakeTransport tls;

    SECTION("right password: the server accepts, the client verifies the server") {
        SaslClient client(make_config(n, {mech}), {"PLAIN", mech}, tls);
        GsaslServer server(mech, "pass");
        run_exchange(client, server);
        CHECK(server.last_rc() == GSASL_OK);
        CHECK(server.authid() == "user");
        CHECK_NOTHROW(client.finish());
        CHECK_THROWS_AS(client.step(""), Error);  // a challenge after the end is refused
        CHECK(n.password_calls == 1);
    }
    SECTION("wrong password: the server rejects") {
        SaslClient client(make_config(n, {mech}, "wrong"), {mech}, tls);
        GsaslServer server(mech, "pass");
        run_exchange(client, server);
        CHECK(server.last_rc() == GSASL_AUTHENTICATION_ERROR);
        CHECK(n.password_calls == 1);
    }
}

TEST_CASE("sasl - SCRAM rejects a server that cannot prove it knows the password") {
    const std::string mech = GENERATE("SCRAM-SHA-1", "SCRAM-SHA-256");
    CAPTURE(mech);
    Counted n;
    FakeTransport tls;
    SaslClient client(make_config(n, {mech}, "secret-pw"), {mech}, tls);
    GsaslServer server(mech, "secret-pw");
    const std::string server_first = server.step(*client.initial_response());
    const std::string server_final = server.step(client.step(server_first));
    REQUIRE(server.last_rc() == GSASL_OK);
    CHECK_THROWS_AS(client.finish(), Error);  // success claimed before the signature came

    std::string text = decoded(server_final);
    REQUIRE(text.starts_with("v="));
    text[2] = text[2] == 'A' ? 'B' : 'A';  // one flipped bit of the signature
    try {
        client.step(base64_encode(text));
        FAIL("a tampered server signature was accepted");
    } catch (const Error& e) {
        CHECK(e.code() == Exit::protocol);
        CHECK_THAT(e.what(), Catch::Contains("server's final signature is wrong"));
        CHECK_THAT(e.what(), !Catch::Contains("secret-pw"));
    }
    CHECK_THROWS_AS(client.finish(), Error);  // a 235 now would not be believed
}

TEST_CASE("sasl - SCRAM -PLUS binds to the TLS channel (tls-exporter and tls-unique)") {
    const std::string mech = GENERATE("SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS");
    const std::string type = GENERATE("tls-exporter", "tls-unique");
    CAPTURE(mech, type);
    Counted n;
    FakeTransport tls;
    tls.binding = ChannelBinding{type, std::string("\x01\x02\x03 binding\0data", 16)};
    SaslClient client(make_config(n, {}), {"PLAIN", mech}, tls);
    REQUIRE(client.mechanism() == mech);
    const auto ir = client.initial_response();
    REQUIRE(ir);
    // RFC 5802 7: gs2-cbind-flag "p=" names the binding type.
    CHECK_THAT(decoded(*ir), Catch::StartsWith("p=" + type + ",,n=user,r="));

    SECTION("same channel on both sides: accepted") {
        GsaslServer server(mech, "pass", tls.binding);
        std::string challenge = server.step(*ir);
        REQUIRE(server.last_rc() == GSASL_NEEDS_MORE);
        challenge = server.step(client.step(challenge));
        REQUIRE(server.last_rc() == GSASL_OK);
        CHECK(client.step(challenge).empty());
        CHECK_NOTHROW(client.finish());  // the server proved it knows the password
    }
    SECTION("different channel (a man in the middle): the server rejects") {
        GsaslServer server(mech, "pass", ChannelBinding{type, "other channel"});
        std::string challenge = server.step(*ir);
        REQUIRE(server.last_rc() == GSASL_NEEDS_MORE);
        server.step(client.step(challenge));
        CHECK(server.last_rc() != GSASL_OK);
        CHECK(server.last_rc() != GSASL_NEEDS_MORE);
    }
}

TEST_CASE("sasl - plain SCRAM over a channel with binding data says n") {
    // libgsasl 2.2 cannot send "y"; without the binding it sends "n" and works.
    Counted n;
    FakeTransport tls;
    tls.binding = ChannelBinding{"tls-exporter", "cb-data"};
    const std::vector<std::string> offered =
        GENERATE(std::vector<std::string>{"SCRAM-SHA-256"},
                 std::vector<std::string>{"SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"});
    SaslClient client(make_config(n, {"SCRAM-SHA-256"}), offered, tls);
    GsaslServer server("SCRAM-SHA-256", "pass");
    const auto ir = client.initial_response();
    REQUIRE(ir);
    CHECK_THAT(decoded(*ir), Catch::StartsWith("n,,n=user,"));
    std::string challenge = server.step(*ir);
    challenge = server.step(client.step(challenge));
    CHECK(server.last_rc() == GSASL_OK);
}

// The exchange steps where a SMTP session drives a step without an initial response.
TEST_CASE("sasl - mechanisms with a client-first message also work without IR") {
    Counted n;
    FakeTransport tls;
    SaslClient client(make_config(n, {"SCRAM-SHA-256"}), {"SCRAM-SHA-256"}, tls);
    GsaslServer server("SCRAM-SHA-256", "pass");
    // "334 " with empty text: the client-first message comes as the first response.
    std::string challenge = server.step(client.step(""));
    REQUIRE(server.last_rc() == GSASL_NEEDS_MORE);
    challenge = server.step(client.step(challenge));
    REQUIRE(server.last_rc() == GSASL_OK);
    CHECK(client.step(challenge).empty());
    CHECK_NOTHROW(client.finish());
}

TEST_CASE("sasl - malformed challenges are protocol errors") {
    Counted n;
    FakeTransport tls;
    SaslClient client(make_config(n, {"LOGIN"}), {"LOGIN"}, tls);
    try {
        client.step("not base64!\x1b[31m");
        FAIL("accepted");
    } catch (const Error& e) {
        CHECK(e.code() == Exit::protocol);
        CHECK_THAT(e.what(), Catch::Contains("not valid base64"));
        CHECK_THAT(e.what(), !Catch::Contains("\x1b"));  // escaped
    }
    SaslClient scram(make_config(n, {"SCRAM-SHA-1"}), {"SCRAM-SHA-1"}, tls);
    (void)scram.initial_response();
    try {
        scram.step(base64_encode("garbage"));
        FAIL("accepted");
    } catch (const Error& e) {
        CHECK(e.code() == Exit::protocol);
    }
}
