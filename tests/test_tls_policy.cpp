// The TLS policy of issue 12 as strings: what a configured tls_priority becomes.
// The handshakes themselves are in tests/integration/test_cert_policy.py.
#include <catch2/catch.hpp>

#include "base/errors.hpp"
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
