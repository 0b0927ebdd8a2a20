#include <pwd.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "base/passwd.hpp"
#include "test_support.hpp"

using namespace okuru;

namespace {

// A uid the password database does not hold: 4000000000 unless this system
// has it, else the first one below it that is free.
uid_t absent_uid() {
    uid_t uid = 4000000000u;
    while (getpwuid(uid) != nullptr) --uid;
    return uid;
}

}  // namespace

TEST_CASE("passwd - root's entry") {
    const auto root = passwd_entry(0);
    REQUIRE(root);
    CHECK(root->name == "root");
    CHECK(root->home == "/root");
    CHECK(root->gid == 0);
    CHECK(user_name(0) == "root");
}

TEST_CASE("passwd - the entry matches getpwuid for this process") {
    const passwd* pw = getpwuid(getuid());
    REQUIRE(pw != nullptr);
    const auto entry = passwd_entry(getuid());
    REQUIRE(entry);
    CHECK(entry->name == pw->pw_name);
    CHECK(entry->gid == pw->pw_gid);
    CHECK(entry->home == pw->pw_dir);
}

TEST_CASE("passwd - a uid without an entry") {
    const uid_t uid = absent_uid();
    CHECK_FALSE(passwd_entry(uid));
    CHECK(user_name(uid) == std::to_string(uid));
}

TEST_CASE("passwd - home_directory: $HOME, else the database, by policy") {
    const uid_t none = absent_uid();
    SECTION("an absolute $HOME wins under both policies") {
        CHECK(home_directory(HomePolicy::as_given, "/home/x", 0) == "/home/x");
        CHECK(home_directory(HomePolicy::absolute_only, "/home/x", 0) == "/home/x");
        CHECK(home_directory(HomePolicy::absolute_only, "/home/x", none) == "/home/x");
    }
    SECTION("a relative $HOME is taken as given, never for absolute_only") {
        CHECK(home_directory(HomePolicy::as_given, "rel/home", 0) == "rel/home");
        CHECK(home_directory(HomePolicy::absolute_only, "rel/home", 0) == "/root");
        CHECK(home_directory(HomePolicy::absolute_only, "rel/home", none).empty());
    }
    SECTION("an unset or empty $HOME falls back to the database") {
        for (const char* home : {static_cast<const char*>(nullptr), ""}) {
            CHECK(home_directory(HomePolicy::as_given, home, 0) == "/root");
            CHECK(home_directory(HomePolicy::absolute_only, home, 0) == "/root");
            CHECK(home_directory(HomePolicy::as_given, home, none).empty());
            CHECK(home_directory(HomePolicy::absolute_only, home, none).empty());
        }
    }
    SECTION("this process: $HOME from the environment, the real uid's entry") {
        const passwd* pw = getpwuid(getuid());
        REQUIRE(pw != nullptr);
        {
            okuru::test::EnvGuard home("HOME", "relative");
            CHECK(home_directory(HomePolicy::as_given) == "relative");
            if (pw->pw_dir[0] == '/')
                CHECK(home_directory(HomePolicy::absolute_only) == pw->pw_dir);
        }
        {
            okuru::test::EnvGuard home("HOME", nullptr);
            CHECK(home_directory(HomePolicy::as_given) == pw->pw_dir);
        }
    }
}
