#include <catch2/catch.hpp>
#include <memory>

#include "app/one_secret.hpp"
#include "config/config.hpp"

using namespace okuru;

TEST_CASE("one secret - after routing only the used accounts keep inline passwords and keys") {
    Config c = parse_config(R"([accounts.used]
host = "a.example.org"
user = "u"
password = "used-Secret"
[accounts.other]
host = "b.example.org"
user = "o"
password = "other-Secret"
[accounts.other.pop_before_smtp]
host = "pop.example.org"
password = "pop-Secret"
)",
                            "t.toml");
    Account& used = c.accounts[0];
    Account& other = c.accounts[1];
    used.client_identity = std::make_shared<const Secret>(Secret("used-key"));
    other.client_identity = std::make_shared<const Secret>(Secret("other-key"));
    const std::weak_ptr<const Secret> other_key = other.client_identity;
    const char* other_bytes = other.password.text.data();
    const std::size_t other_size = other.password.text.size();

    forget_unused_secrets(c, {Submission{&used, {"r@example.org"}, "default"}});

    CHECK(used.password.text == "used-Secret");
    REQUIRE(used.client_identity);
    CHECK(used.client_identity->reveal() == "used-key");
    CHECK(other.password.text.empty());
    // Wiped in place, not merely forgotten (the short string stays in its buffer).
    if (other.password.text.data() == other_bytes)
        for (std::size_t i = 0; i < other_size; ++i) CHECK(other_bytes[i] == '\0');
    CHECK(other.pop_before_smtp->password.text.empty());
    CHECK(other.password.kind == PasswordSource::Kind::inline_text);  // still says where it was
    CHECK_FALSE(other.client_identity);
    CHECK(other_key.expired());
}
