// The mechanism choice: offered lists x TLS/plaintext x pinned lists x
// credentials, each row asserting the mechanism chosen or the exact error.
#include <algorithm>
#include <catch2/catch.hpp>

#include "base/errors.hpp"
#include "sasl/sasl.hpp"
#include "sasl/sasl_internal.hpp"
#include "sasl_fakes.hpp"

using namespace okuru;
using okuru::sasl_detail::ChoiceInput;

namespace {

enum Flags : unsigned {
    tls = 1,
    plaintext_ok = 2,
    password = 4,
    oauth = 8,
    cert = 16,
    binding = 32,
    no_gssapi = 64,  // a libgsasl built without GSSAPI
};

struct Row {
    std::vector<std::string> offered;
    std::vector<std::string> pinned;
    unsigned flags;
    std::string expected;  // the mechanism, or "!CODE message" for an error
};

ChoiceInput input(const Row& row) {
    ChoiceInput in;
    in.offered = row.offered;
    in.pinned = row.pinned;
    in.secure = row.flags & tls;
    in.allow_plaintext = row.flags & plaintext_ok;
    in.has_password = row.flags & password;
    in.has_oauth_token = row.flags & oauth;
    in.has_client_certificate = row.flags & cert;
    in.has_channel_binding = row.flags & binding;
    in.host = "smtp.example.test";
    const bool gssapi = !(row.flags & no_gssapi);
    in.library_supports = [gssapi](const std::string& m) { return m != "GSSAPI" || gssapi; };
    return in;
}

std::string choose(const Row& row) {
    try {
        return sasl_detail::choose_mechanism(input(row));
    } catch (const Error& e) {
        return "!" + std::to_string(int(e.code())) + " " + e.what();
    }
}

using V = std::vector<std::string>;
const V all = {"PLAIN",         "LOGIN",
               "CRAM-MD5",      "DIGEST-MD5",
               "SCRAM-SHA-1",   "SCRAM-SHA-1-PLUS",
               "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS",
               "XOAUTH2",       "OAUTHBEARER",
               "EXTERNAL",      "GSSAPI"};
const std::string refused =
    "!69 refusing to send credentials over an unencrypted connection to smtp.example.test (set "
    "insecure_allow_plaintext_auth only for a trusted LAN server)";

}  // namespace

TEST_CASE("sasl - automatic and pinned mechanism choice") {
    const Row row = GENERATE(values<Row>({
        // Automatic over TLS: strongest first.
        {all, {}, tls | password | binding, "SCRAM-SHA-256-PLUS"},
        {all, {}, tls | password, "SCRAM-SHA-256"},
        {{"SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "PLAIN"},
         {},
         tls | password | binding,
         "SCRAM-SHA-1-PLUS"},
        {{"scram-sha-1", "plain"}, {}, tls | password, "SCRAM-SHA-1"},
        {{"PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5"}, {}, tls | password, "PLAIN"},
        {{"CRAM-MD5", "LOGIN"}, {}, tls | password, "LOGIN"},
        {{"DIGEST-MD5", "CRAM-MD5"}, {}, tls | password, "CRAM-MD5"},
        {{"DIGEST-MD5"}, {}, tls | password, "DIGEST-MD5"},
        {{"GSSAPI", "PLAIN"}, {}, tls | password, "PLAIN"},  // GSSAPI only when pinned
        {{"GSSAPI"},
         {},
         tls | password,
         "!69 server offers AUTH GSSAPI; no usable mechanism (okuru would use SCRAM-SHA-256, "
         "SCRAM-SHA-1, PLAIN, LOGIN, CRAM-MD5, DIGEST-MD5)"},
        {{},
         {},
         tls | password,
         "!69 server offers no AUTH mechanism; no usable mechanism (okuru would use "
         "SCRAM-SHA-256, SCRAM-SHA-1, PLAIN, LOGIN, CRAM-MD5, DIGEST-MD5)"},
        // OAuth token and client certificate come first when configured.
        {all, {}, tls | password | oauth | binding, "OAUTHBEARER"},
        {{"PLAIN", "XOAUTH2"}, {}, tls | password | oauth, "XOAUTH2"},
        {{"PLAIN", "LOGIN"},
         {},
         tls | oauth,
         "!69 server offers AUTH PLAIN LOGIN; no usable mechanism (okuru would use "
         "OAUTHBEARER, XOAUTH2)"},
        {{"PLAIN", "EXTERNAL"}, {}, tls | cert, "EXTERNAL"},
        {{"PLAIN", "EXTERNAL"}, {}, tls | cert | password, "PLAIN"},
        {{"PLAIN"},
         {},
         tls,
         "!78 no credentials for AUTH: the account needs a password, an "
         "oauth_token_command or a client certificate"},
        // Plaintext: refused unless allowed; then challenge-response only.
        {all, {}, password, refused},
        {{"PLAIN"}, {"PLAIN"}, password, refused},
        {all, {}, plaintext_ok | password, "SCRAM-SHA-256"},
        {{"PLAIN", "LOGIN", "CRAM-MD5"}, {}, plaintext_ok | password, "CRAM-MD5"},
        {{"PLAIN", "DIGEST-MD5"}, {}, plaintext_ok | password, "DIGEST-MD5"},
        {{"PLAIN", "LOGIN"},
         {},
         plaintext_ok | password,
         "!69 server offers AUTH PLAIN LOGIN; no usable mechanism (okuru would use "
         "SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5, DIGEST-MD5); PLAIN and LOGIN are never "
         "chosen automatically over an unencrypted connection"},
        {{"PLAIN", "LOGIN"}, {"LOGIN"}, plaintext_ok | password, "LOGIN"},
        {{"XOAUTH2"},
         {},
         plaintext_ok | oauth,
         "!69 server offers AUTH XOAUTH2; no usable mechanism for this account"},
        // Pinned lists: their order, only what is offered and usable.
        {{"CRAM-MD5", "LOGIN", "PLAIN"},
         {"XOAUTH2"},
         tls | password | oauth,
         "!69 server offers AUTH CRAM-MD5 LOGIN PLAIN; configured mechanisms [XOAUTH2] not "
         "offered"},
        {{"PLAIN"},
         {"scram-sha-256", "cram-md5"},
         tls | password,
         "!69 server offers AUTH PLAIN; configured mechanisms [SCRAM-SHA-256, CRAM-MD5] not "
         "offered"},
        {all, {"CRAM-MD5", "PLAIN"}, tls | password, "CRAM-MD5"},
        {{"PLAIN", "CRAM-MD5"}, {"SCRAM-SHA-256", "PLAIN", "CRAM-MD5"}, tls | password, "PLAIN"},
        {{"GSSAPI", "PLAIN"},
         {"GSSAPI"},
         tls | password | no_gssapi,
         "!69 no usable mechanism: GNU SASL lacks GSSAPI"},
        {{"GSSAPI", "PLAIN"}, {"GSSAPI"}, tls, "GSSAPI"},
        {{"GSSAPI", "PLAIN"}, {"GSSAPI", "PLAIN"}, tls | password | no_gssapi, "PLAIN"},
        {all, {"SCRAM-SHA-256-PLUS", "PLAIN"}, tls | password, "PLAIN"},
        {all,
         {"SCRAM-SHA-256-PLUS"},
         tls | password,
         "!69 no usable mechanism: SCRAM-SHA-256-PLUS needs TLS channel binding (tls-exporter "
         "or tls-unique)"},
        {all, {"xoauth2"}, tls | password | oauth, "XOAUTH2"},
        {all,
         {"XOAUTH2", "EXTERNAL"},
         tls | password,
         "!69 no usable mechanism: XOAUTH2 needs oauth_token_command; EXTERNAL needs a TLS "
         "client certificate (client_cert)"},
        {all, {"PLAIN"}, tls | oauth, "!69 no usable mechanism: PLAIN needs a password"},
        {{"NTLM", "PLAIN"},
         {"NTLM"},
         tls | password,
         "!69 no usable mechanism: okuru does not support NTLM"},
        {{"PLAIN\x1b[2J"},
         {"XOAUTH2"},
         tls | oauth,
         "!69 server offers AUTH PLAIN\\x1b[2J; configured mechanisms [XOAUTH2] not offered"},
    }));
    CAPTURE(row.offered, row.pinned, row.flags);
    CHECK(choose(row) == row.expected);
}

TEST_CASE("sasl - each refused choice tags its cause") {
    struct CauseRow {
        Row row;
        Cause cause;
    };
    const CauseRow r = GENERATE(values<CauseRow>({
        {{all, {}, password, ""}, Cause::plaintext_auth_refused},
        {{{"PLAIN"}, {"PLAIN"}, password, ""}, Cause::plaintext_auth_refused},
        {{{"PLAIN"}, {}, tls, ""}, Cause::no_credentials},
        {{{"GSSAPI"}, {}, tls | password, ""}, Cause::no_usable_mechanism},
        {{{}, {}, tls | password, ""}, Cause::no_usable_mechanism},
        {{{"PLAIN", "LOGIN"}, {}, plaintext_ok | password, ""}, Cause::no_usable_mechanism},
        // Only EXTERNAL would do, and the account has no client certificate.
        {{{"EXTERNAL"}, {}, tls | password, ""}, Cause::external_without_certificate},
        {{{"CRAM-MD5"}, {"XOAUTH2"}, tls | oauth, ""}, Cause::mechanism_not_offered},
        // The offered list naming EXTERNAL says nothing about the pinned choice.
        {{{"EXTERNAL", "PLAIN"}, {"CRAM-MD5"}, tls | password, ""}, Cause::mechanism_not_offered},
        {{all, {"PLAIN"}, tls | oauth, ""}, Cause::no_usable_mechanism},
        {{{"GSSAPI"}, {"GSSAPI"}, tls | password | no_gssapi, ""}, Cause::no_usable_mechanism},
        {{all, {"EXTERNAL"}, tls | password, ""}, Cause::external_without_certificate},
        {{all, {"XOAUTH2", "EXTERNAL"}, tls | password, ""}, Cause::external_without_certificate},
    }));
    CAPTURE(r.row.offered, r.row.pinned, r.row.flags);
    try {
        const std::string chosen = sasl_detail::choose_mechanism(input(r.row));
        FAIL("chose " + chosen);
    } catch (const Error& e) {
        CHECK(e.cause() == r.cause);
    }
}

TEST_CASE("sasl - SaslClient applies the choice to the transport's state") {
    test::FakeTransport link;
    AuthConfig c;
    c.user = "user";
    c.hostname = "smtp.example.test";
    int calls = 0;
    c.password = [&calls] {
        ++calls;
        return Secret("pass");
    };
    const V offered = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"};

    SECTION("TLS with binding: -PLUS") {
        link.binding = ChannelBinding{"tls-unique", "x"};
        CHECK(SaslClient(c, offered, link).mechanism() == "SCRAM-SHA-256-PLUS");
    }
    SECTION("binding of an unknown type is not used") {
        link.binding = ChannelBinding{"tls-server-end-point", "x"};
        CHECK(SaslClient(c, offered, link).mechanism() == "SCRAM-SHA-256");
    }
    SECTION("plaintext without the option: refused before any secret is read") {
        link.is_secure = false;
        try {
            SaslClient client(c, offered, link);
            FAIL("credentials would go in the clear");
        } catch (const Error& e) {
            CHECK(e.code() == Exit::unavailable);
            CHECK(std::string(e.what()) == refused.substr(4));
        }
    }
    CHECK(calls == 0);
}

TEST_CASE("sasl - available mechanisms, strongest first") {
    const auto mechs = available_mechanisms();
    REQUIRE(mechs.size() >= 8);
    CHECK(mechs.front() == "SCRAM-SHA-256-PLUS");
    for (const char* m : {"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "XOAUTH2", "OAUTHBEARER"}) {
        CHECK(std::find(mechs.begin(), mechs.end(), m) != mechs.end());
    }
    CHECK(std::find(mechs.begin(), mechs.end(), "ANONYMOUS") == mechs.end());
}
