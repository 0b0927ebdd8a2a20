#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "base/errors.hpp"
#include "config/config.hpp"
#include "config/config_keys.hpp"

using namespace okuru;

namespace {

// The loader's verdict on a file that sets `path` (with "*" as the name "x") to 1:
// empty when it parses, else the error. The value is usually of the wrong type; what
// matters is whether the key itself is known.
std::string verdict(const std::string& path) {
    std::string key;
    for (char c : path) key += c == '*' ? std::string("x") : std::string(1, c);
    std::string text = "accounts.base.host = \"smtp.example.org\"\n";
    if (key.starts_with("accounts.x.") && key != "accounts.x.host")
        text += "accounts.x.host = \"smtp.example.org\"\n";
    if (key.find(".pop_before_smtp.") != std::string::npos && !key.ends_with(".host"))
        text += key.substr(0, key.rfind('.')) + ".host = \"pop.example.org\"\n";
    text += key + " = 1\n";
    try {
        ParseOptions options;
        options.check_files = false;
        parse_config(text, "t.toml", options);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("config_keys - every key as a dotted path, in the order of okuru.toml(5)") {
    const std::vector<std::string> paths = config_key_paths();
    REQUIRE(paths.size() > 60);
    CHECK(paths.front() == "domain");
    const auto at = [&](const std::string& p) {
        return std::find(paths.begin(), paths.end(), p) - paths.begin();
    };
    for (const char* p :
         {"dead_letter", "save_failed", "log_file", "syslog", "defaults.host", "accounts.*.default",
          "accounts.*.host", "accounts.*.pop_before_smtp.host",
          "accounts.*.pop_before_smtp.password_credential", "routes.*", "aliases.*"}) {
        INFO(p);
        CHECK(at(p) < std::ptrdiff_t(paths.size()));
    }
    CHECK(at("domain") < at("log_file"));
    CHECK(at("syslog") < at("defaults.host"));
    CHECK(at("defaults.host") < at("accounts.*.host"));
    CHECK(at("accounts.*.host") < at("accounts.*.pop_before_smtp.host"));
    CHECK(at("accounts.*.pop_before_smtp.host") < at("routes.*"));
    CHECK(at("routes.*") < at("aliases.*"));
    // Tables appear through their keys; [defaults] cannot mark the default account.
    CHECK(at("accounts") == std::ptrdiff_t(paths.size()));
    CHECK(at("accounts.*.pop_before_smtp") == std::ptrdiff_t(paths.size()));
    CHECK(at("defaults.default") == std::ptrdiff_t(paths.size()));
    for (std::size_t i = 0; i < paths.size(); ++i)
        for (std::size_t j = i + 1; j < paths.size(); ++j) CHECK(paths[i] != paths[j]);
}

TEST_CASE("config_keys - the loader knows every listed key, and only those") {
    for (const std::string& path : config_key_paths()) {
        INFO(path << ": " << verdict(path));
        CHECK(verdict(path).find("unknown key") == std::string::npos);
    }
    for (const char* path : {"domian", "accounts.*.hots", "accounts.*.pop_before_smtp.auth",
                             "defaults.pop_before_smtp.from"}) {
        INFO(path << ": " << verdict(path));
        CHECK(verdict(path).find("unknown key") != std::string::npos);
    }
    CHECK(verdict("defaults.default").find("cannot be set in [defaults]") != std::string::npos);
}
