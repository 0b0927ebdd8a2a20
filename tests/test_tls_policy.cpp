// The TLS policy of issue 12 as strings: what a configured tls_priority becomes.
// The handshakes themselves are in tests/integration/test_cert_policy.py.
#include <catch2/catch.hpp>

#include "base/errors.hpp"
#include "config/config.hpp"
#include "net/tls.hpp"

using namespace okuru;

TEST_CASE("tls policy - the default refuses static RSA and keys under the MEDIUM profile") {
    const std::string p = effective_tls_priority("");
    CHECK(p == default_tls_priority);
    CHECK_THAT(p, Catch::Contains(":-RSA"));
    CHECK_THAT(p, Catch::EndsWith(":%PROFILE_MEDIUM"));
}

TEST_CASE("tls policy - a tls_priority without a profile keeps the MEDIUM floor") {
    CHECK(effective_tls_priority("NORMAL:+VERS-TLS1.1") == "NORMAL:+VERS-TLS1.1:%PROFILE_MEDIUM");
    // Naming a profile is the one way to accept smaller keys (an old LAN server).
    CHECK(effective_tls_priority("NORMAL:%PROFILE_LOW") == "NORMAL:%PROFILE_LOW");
    CHECK(effective_tls_priority("NORMAL:%profile_high") == "NORMAL:%profile_high");
}

TEST_CASE("tls policy - SHA-1 and broken signatures cannot be allowed") {
    for (const char* p : {"NORMAL:%VERIFY_ALLOW_SIGN_WITH_SHA1", "NORMAL:%VERIFY_ALLOW_BROKEN",
                          "NORMAL:%verify_allow_sign_rsa_md5"}) {
        try {
            effective_tls_priority(p);
            FAIL("accepted " << p);
        } catch (const Error& e) {
            CHECK(e.code() == Exit::config);
            CHECK_THAT(e.what(), Catch::Contains("%VERIFY_ALLOW_"));
        }
    }
}

TEST_CASE("deadline - an account key with a default of 30 minutes") {
    const Config c = parse_config(R"([defaults]
deadline = 90
[accounts.a]
host = "a.example.org"
[accounts.b]
host = "b.example.org"
deadline = 2.5
)",
                                  "t.toml");
    CHECK(c.find_account("a")->deadline == std::chrono::milliseconds(90'000));
    CHECK(c.find_account("b")->deadline == std::chrono::milliseconds(2'500));
    const Config d = parse_config("[accounts.a]\nhost = \"a.example.org\"\n", "t.toml");
    CHECK(d.accounts.front().deadline == std::chrono::minutes(30));
}
