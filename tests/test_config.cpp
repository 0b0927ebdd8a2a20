#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/errors.hpp"
#include "config/config.hpp"
#include "test_support.hpp"

using namespace okuru;
namespace fs = std::filesystem;

using okuru::test::EnvGuard;
using okuru::test::TempDir;

namespace {

// "a message" thrown by parse_config, which must be a config error.
std::string config_error(const std::string& text) {
    try {
        parse_config(text, "t.toml");
    } catch (const Error& e) {
        CHECK(e.code() == Exit::config);
        return e.what();
    }
    FAIL("no error for:\n" << text);
    return {};
}

const std::string one = "[accounts.a]\nhost = \"smtp.example.org\"\n";

}  // namespace

TEST_CASE("config - errors name FILE:LINE:COLUMN and the problem") {
    struct Case {
        std::string text;
        std::string expected;  // exact prefix of the message
    };
    const Case c = GENERATE(values<Case>({
        {"[accounts.isp]\n  hots = \"smtp.example\"\n",
         "t.toml:2:3: unknown key \"hots\" in [accounts.isp] (did you mean \"host\"?)"},
        {"[defaults]\nprot = 465\n" + one,
         "t.toml:2:1: unknown key \"prot\" in [defaults] (did you mean \"port\"?)"},
        {"host = \"x\"\n" + one,
         "t.toml:1:1: unknown key \"host\" in the top level (account settings go in"},
        {one + "routes = 1\n",
         "t.toml:3:1: unknown key \"routes\" in [accounts.a] (\"routes\" belongs at the top"},
        {one + "port = \"587\"\n", "t.toml:3:1: port must be an integer 1-65535, not a string"},
        {one + "port = 0\n", "t.toml:3:1: port must be an integer 1-65535, not 0"},
        {one + "port = 70000\n", "t.toml:3:1: port must be an integer 1-65535, not 70000"},
        {"[accounts.a]\nport = 587\n", "t.toml:1:1: account \"a\" has no host"},
        {"[accounts.a]\nhost = \"bad host\"\n", "t.toml:2:1: host \"bad host\" is not a valid"},
        {one + "tls = \"ssl\"\n",
         "t.toml:3:1: tls must be \"starttls\", \"implicit\" or \"none\", not \"ssl\""},
        {one + "tls = \"startls\"\n", "t.toml:3:1: tls must be"},
        {one + "user = \"me\"\npassword_command = [\"x\"]\ntls = \"none\"\n",
         "t.toml:5:1: account \"a\" would send a password without TLS"},
        {one + "user = \"me\"\npassword = \"x\"\npassword_command = [\"pass\"]\n",
         "t.toml:5:1: only one password source may be given, but both password (t.toml:4:1)"},
        {one + "password_command = \"pass show x\"\nuser = \"me\"\n",
         "t.toml:3:1: password_command must be a non-empty array of strings"},
        {one + "password = \"x\"\n", "t.toml:1:1: account \"a\" has a password but no user"},
        {one + "from = [\"me@example.org\", \"bob\"]\n",
         "t.toml:3:27: from pattern \"bob\" must be an address"},
        // Globs work (fnmatch syntax), but a bracket must close.
        {one + "from = \"me@[a-z.example.org\"\n",
         "t.toml:3:1: from pattern \"me@[a-z.example.org\" must be"},
        {one + "from = \"me @*.example.org\"\n", "t.toml:3:1: from pattern \"me @*.example.org\""},
        // "name:port" is refused with the fix (port is a key of its own).
        {"[accounts.a]\nhost = \"smtp.example.org:587\"\n",
         "t.toml:2:1: host \"smtp.example.org:587\" is not a valid host name: give the port on "
         "its own (host = \"smtp.example.org\" and port = 587)"},
        {one + "envelope_from = \"nobody\"\n", "t.toml:3:1: envelope_from must be an address"},
        {one + "fingerprint = \"abcd\"\n", "t.toml:3:1: fingerprint must be the SHA-256"},
        {one + "password_file = \"/nonexistent/okuru/pw\"\nuser = \"me\"\n",
         "t.toml:3:1: password_file \"/nonexistent/okuru/pw\": No such file or directory"},
        {one + "ca_file = \"/nonexistent/ca.pem\"\n",
         "t.toml:3:1: ca_file \"/nonexistent/ca.pem\": No such file or directory"},
        {one + "client_cert = \"/nonexistent/c.pem\"\n", "t.toml:3:1: client_cert \"/nonexistent"},
        {one + "timeout = 0\n", "t.toml:3:1: timeout must be a number of seconds greater than 0"},
        {one + "connect_timeout = \"30\"\n",
         "t.toml:3:1: connect_timeout must be a number of seconds, not a string"},
        {one + "fallback = [\"b.example:0\"]\n", "t.toml:3:13: fallback entry \"b.example:0\""},
        {one + "fallback = [\"ok.example\", \"[::1\"]\n", "t.toml:3:27: fallback entry \"[::1\""},
        {one + "system_trust = false\n", "t.toml:3:1: system_trust = false leaves nothing"},
        {one + "auth = [\"PL AIN\"]\n", "t.toml:3:1: auth: \"PL AIN\" is not a SASL mechanism"},
        {one + "default = true\n[accounts.b]\nhost = \"b.example\"\ndefault = true\n",
         "t.toml:6:1: more than one account has default = true (also \"a\" at t.toml:3:1)"},
        {"[defaults]\ndefault = true\n" + one,
         "t.toml:2:1: \"default\" cannot be set in [defaults]"},
        {"domain = \"example.org\"\n", "t.toml: no accounts"},
        {one + "[routes]\n\"lan.example\" = \"lna\"\n",
         "t.toml:4:1: route \"lan.example\" names account \"lna\", which is not defined"},
        {one + "[routes]\n\"lan..example\" = \"a\"\n", "t.toml:4:1: route \"lan..example\" must"},
        {one + "[aliases]\nroot = 5\n",
         "t.toml:4:1: alias \"root\" must be a string or an array of strings, not an integer"},
        {one + "[aliases]\nroot = \"a b@example.org\"\n",
         "t.toml:4:1: alias \"root\": \"a b@example.org\" is not a valid address"},
        {one + "[aliases]\nroot = \"bob\"\n", "t.toml:4:1: alias target \"bob\" has no domain"},
        {one + "[accounts.a.pop_before_smtp]\nhost = \"pop.example\"\nuser = \"u\"\npotr = 1\n",
         "t.toml:6:1: unknown key \"potr\" in [accounts.a.pop_before_smtp] (did you mean "
         "\"port\"?)"},
        {one + "insecure_allow_plaintext_auth = true\n[accounts.a.pop_before_smtp]\n"
               "host = \"pop.example\"\nuser = \"u\"\ntls = \"none\"\n",
         "t.toml:7:1: POP-before-SMTP for account \"a\" would send the POP3 password without "
         "TLS"},
        {"domain = \"localhost\"\n" + one, "t.toml:1:1: domain must be a fully-qualified"},
        {"a = \n", "t.toml:1:5: "},
        {"[accounts.a]\nhost = \"x\"\nhost = \"y\"\n", "t.toml:3:"},
    }));
    const std::string msg = config_error(c.text);
    INFO(c.text);
    CHECK(msg.substr(0, c.expected.size()) == c.expected);
}

TEST_CASE("config - syslog facility names and their codes") {
    CHECK(syslog_facility_code("mail") == LOG_MAIL);
    CHECK(syslog_facility_code("user") == LOG_USER);
    CHECK(syslog_facility_code("daemon") == LOG_DAEMON);
    CHECK(syslog_facility_code("local0") == LOG_LOCAL0);
    CHECK(syslog_facility_code("local7") == LOG_LOCAL7);
    // Every name the loader accepts has a code, and no other name does.
    const std::string name =
        GENERATE(as<std::string>(), "mail", "user", "daemon", "local0", "local1", "local2",
                 "local3", "local4", "local5", "local6", "local7");
    CHECK(syslog_facility_code(name));
    CHECK(parse_config("syslog = \"" + name + "\"\n" + one, "t.toml").syslog_facility == name);
    CHECK_FALSE(syslog_facility_code("kern"));
    CHECK_FALSE(syslog_facility_code("local8"));
    CHECK_FALSE(syslog_facility_code("MAIL"));  // the loader lower-cases first
}

TEST_CASE("config - log_file and syslog") {
    const Config none = parse_config(one, "t.toml");
    CHECK(none.log_file.empty());
    CHECK(none.syslog_facility.empty());

    const Config c =
        parse_config("log_file = \"/var/log/okuru.log\"\nsyslog = \"LOCAL3\"\n" + one, "t.toml");
    CHECK(c.log_file == "/var/log/okuru.log");
    CHECK(c.syslog_facility == "local3");
    CHECK(parse_config("syslog = true\n" + one, "t.toml").syslog_facility == "mail");
    CHECK(parse_config("syslog = false\n" + one, "t.toml").syslog_facility.empty());
    // Relative to the configuration's directory, like every other path.
    CHECK(parse_config("log_file = \"okuru.log\"\n" + one, "/etc/okuru/c.toml").log_file ==
          "/etc/okuru/okuru.log");

    CHECK(config_error("syslog = \"kern\"\n" + one) ==
          "t.toml:1:1: syslog must be false or a facility: mail, user, daemon or local0 to "
          "local7, not \"kern\"");
    CHECK(config_error("syslog = 3\n" + one).starts_with("t.toml:1:1: syslog must be a string"));
    CHECK(config_error("log_fil = \"x\"\n" + one).find("did you mean \"log_file\"") !=
          std::string::npos);
}

TEST_CASE("config - secrets never appear in errors") {
    const std::string msg =
        config_error(one + "password = \"hunter2-secret\"\npassword_file = \"/x\"\nuser = \"u\"\n");
    CHECK(msg.find("hunter2") == std::string::npos);
}

TEST_CASE("config - port decides the TLS default; none only when written") {
    struct Case {
        std::string extra;
        std::uint16_t port;
        TlsMode tls;
    };
    const Case c = GENERATE(values<Case>({
        {"", 587, TlsMode::starttls},
        {"port = 465\n", 465, TlsMode::implicit},
        {"port = 25\n", 25, TlsMode::starttls},
        {"port = 2525\n", 2525, TlsMode::starttls},
        {"port = 465\ntls = \"starttls\"\n", 465, TlsMode::starttls},
        {"port = 25\ntls = \"none\"\n", 25, TlsMode::none},
    }));
    const Config cfg = parse_config(one + c.extra, "t.toml");
    REQUIRE(cfg.accounts.size() == 1);
    CHECK(cfg.accounts[0].port == c.port);
    CHECK(cfg.accounts[0].tls == c.tls);
}

TEST_CASE("config - [defaults] are inherited and account keys override them") {
    const Config cfg = parse_config(R"(
[defaults]
port = 465
user = "shared@example.org"
password_command = ["pass", "show", "mail"]
timeout = 12.5
from = ["*@example.org"]

[accounts.first]
host = "a.example.org"

[accounts.second]
host = "b.example.org"
port = 587
password_file = "/dev/null"
timeout = 60
)",
                                    "t.toml");
    REQUIRE(cfg.accounts.size() == 2);
    const Account& a = cfg.accounts[0];
    const Account& b = cfg.accounts[1];
    CHECK(a.name == "first");
    CHECK(a.port == 465);
    CHECK(a.tls == TlsMode::implicit);
    CHECK(a.user == "shared@example.org");
    CHECK(a.password.kind == PasswordSource::Kind::command);
    CHECK(a.password.argv == std::vector<std::string>{"pass", "show", "mail"});
    CHECK(a.command_timeout == std::chrono::milliseconds(12'500));
    CHECK(a.from_patterns == std::vector<std::string>{"*@example.org"});
    CHECK(b.port == 587);
    CHECK(b.tls == TlsMode::starttls);
    // The account's own password source replaces the inherited one (no conflict).
    CHECK(b.password.kind == PasswordSource::Kind::file);
    CHECK(b.password.text == "/dev/null");
    CHECK(b.command_timeout == std::chrono::seconds(60));
    CHECK(b.connect_timeout == std::chrono::seconds(30));
    CHECK(cfg.default_account.empty());  // two accounts, none marked
}

TEST_CASE("config - default account, file order and values normalised") {
    const Config cfg = parse_config(R"(
domain = "Example.ORG"
[accounts.zulu]
host = "z.example"
fallback = ["b.example", "c.example:2525", "[2001:db8::1]:25"]
fingerprint = "AB:cd:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd"
auth = ["scram-sha-256", "PLAIN"]
from = ["Me@Example.ORG", "*@*.Corp.Example"]
[accounts.alpha]
host = "a.example"
default = true
[routes]
"LAN.example" = "alpha"
"*.corp.example" = "zulu"
[aliases]
Root = "bob"
"*" = ["x@example.net", "y@example.net"]
)",
                                    "t.toml");
    REQUIRE(cfg.accounts.size() == 2);
    CHECK(cfg.accounts[0].name == "zulu");  // the file's order, not toml++'s
    CHECK(cfg.default_account == "alpha");
    CHECK(cfg.qualify_domain == "example.org");
    const Account& z = cfg.accounts[0];
    REQUIRE(z.fallback_hosts.size() == 3);
    CHECK(z.fallback_hosts[0].host == "b.example");
    CHECK(z.fallback_hosts[0].port == 0);
    CHECK(z.fallback_hosts[1].port == 2525);
    CHECK(z.fallback_hosts[2].host == "2001:db8::1");
    CHECK(z.fallback_hosts[2].port == 25);
    CHECK(z.fingerprint == "abcd00112233445566778899aabbccddeeff00112233445566778899aabbccdd");
    CHECK(z.auth_mechanisms == std::vector<std::string>{"SCRAM-SHA-256", "PLAIN"});
    CHECK(z.from_patterns == std::vector<std::string>{"Me@example.org", "*@*.corp.example"});
    CHECK(cfg.routes.at("lan.example") == "alpha");
    CHECK(cfg.routes.at("*.corp.example") == "zulu");
    CHECK(cfg.aliases.at("root") == std::vector<std::string>{"bob@example.org"});
    CHECK(cfg.aliases.at("*").size() == 2);
    CHECK(cfg.find_account("alpha") == &cfg.accounts[1]);
    CHECK(cfg.find_account("nope") == nullptr);
}

TEST_CASE("config - a single account is the default; plaintext AUTH needs the opt-in") {
    Config cfg = parse_config(one, "t.toml");
    CHECK(cfg.default_account == "a");
    cfg = parse_config(one + "tls = \"none\"\nuser = \"u\"\npassword_command = [\"p\"]\n" +
                           "insecure_allow_plaintext_auth = true\n",
                       "t.toml");
    CHECK(cfg.accounts[0].allow_plaintext_auth);
    CHECK(cfg.accounts[0].tls == TlsMode::none);
}

TEST_CASE("config - paths: ~/ from $HOME, relative to the file, existence checked") {
    TempDir dir;
    const std::string pw = dir.write("pw", "secret\n");
    const EnvGuard home("HOME", dir.path.c_str());
    const std::string text = one + "user = \"u\"\npassword_command = []\n";
    // An empty argv is refused (and shows the key, not a crash).
    CHECK(config_error(text).find("password_command must be a non-empty array") !=
          std::string::npos);
    const Config cfg =
        parse_config(one + "user = \"u\"\npassword_file = \"~/pw\"\nclient_cert = \"pw\"\n" +
                         "oauth_token_command = [\"~/bin/token\", \"x\"]\n",
                     (dir.path / "config.toml").string());
    CHECK(cfg.accounts[0].password.text == pw);
    CHECK(cfg.accounts[0].client_cert == pw);  // relative to the config's directory
    CHECK(cfg.accounts[0].client_key == pw);   // one PEM file holding both
    CHECK(cfg.accounts[0].oauth_token_command[0] == dir.path.string() + "/bin/token");

    ParseOptions lax;
    lax.check_files = false;
    CHECK_NOTHROW(parse_config(one + "ca_file = \"/nonexistent/ca.pem\"\n", "t.toml", lax));
}

TEST_CASE("config - load_config refuses a shared file that holds a password") {
    TempDir dir;
    const std::string text = one + "user = \"u\"\npassword = \"hunter2\"\n";
    const std::string open_file = dir.write("open.toml", text, 0644);
    try {
        load_config(open_file, current_privilege());
        FAIL("a 0644 file with an inline password was accepted");
    } catch (const Error& e) {
        CHECK(e.code() == Exit::config);
        CHECK(std::string(e.what()).find("chmod 600 " + open_file) != std::string::npos);
        CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
    }
    const std::string private_file = dir.write("private.toml", text, 0600);
    CHECK(load_config(private_file, current_privilege()).accounts[0].password.text == "hunter2");
    // Without an inline password the mode does not matter.
    CHECK_NOTHROW(load_config(dir.write("public.toml", one, 0644), current_privilege()));
    try {
        load_config((dir.path / "missing.toml").string(), current_privilege());
        FAIL("a missing file was accepted");
    } catch (const Error& e) {
        CHECK(e.code() == Exit::noinput);
        CHECK(std::string(e.what()).find("missing.toml") != std::string::npos);
    }
}

TEST_CASE("config - find_config_path order") {
    TempDir dir;
    const EnvGuard xdg("XDG_CONFIG_HOME", dir.path.c_str());
    {
        const EnvGuard env("OKURU_CONFIG", "/from/env.toml");
        CHECK(find_config_path(std::string("/from/cli.toml")) == "/from/cli.toml");
        CHECK(find_config_path(std::nullopt) == "/from/env.toml");
    }
    const EnvGuard env("OKURU_CONFIG", nullptr);
    if (!fs::exists("/etc/okuru.toml")) {
        try {
            find_config_path(std::nullopt);
            FAIL("no error without any configuration");
        } catch (const Error& e) {
            CHECK(e.code() == Exit::config);
            const std::string msg = e.what();
            CHECK(msg.find(dir.path.string() + "/okuru/config.toml") != std::string::npos);
            CHECK(msg.find("/etc/okuru.toml") != std::string::npos);
            CHECK(msg.find("okuru.toml(5)") != std::string::npos);
        }
    }
    const std::string user = dir.write("okuru/config.toml", one);
    CHECK(find_config_path(std::nullopt) == user);
}

TEST_CASE("config - every contrib example is valid") {
    // Meson compiles from the build directory, so a relative __FILE__ is relative to it:
    // the current directory under "meson test", else two levels above the executable.
    const fs::path source_dir = fs::path(__FILE__).parent_path().parent_path();
    fs::path contrib = source_dir / "contrib";
    if (!fs::is_directory(contrib) && source_dir.is_relative())
        contrib = fs::read_symlink("/proc/self/exe").parent_path().parent_path() / contrib;
    INFO("contrib directory: " << contrib.string());
    REQUIRE(fs::is_directory(contrib));
    ParseOptions lax;
    lax.check_files = false;  // the examples name placeholder files
    int count = 0;
    for (const auto& entry : fs::directory_iterator(contrib)) {
        if (entry.path().extension() != ".toml") continue;
        std::ifstream in(entry.path());
        const std::string text{std::istreambuf_iterator<char>(in), {}};
        INFO(entry.path().string());
        const Config cfg = parse_config(text, entry.path().string(), lax);
        CHECK(!cfg.accounts.empty());
        for (const Account& a : cfg.accounts)
            CHECK(a.password.kind != PasswordSource::Kind::inline_text);  // examples stay shareable
        ++count;
    }
    CHECK(count >= 6);
}

TEST_CASE("config - with the privilege held only the system file is read, without \"~/\"") {
    TempDir dir;
    const std::string user_file = dir.write("user.toml", one, 0600);
    try {
        load_config(user_file, Privilege{true, getegid()});
        FAIL("a user's file was read with the privilege");
    } catch (const Error& e) {
        CHECK(e.code() == Exit::noperm);
        CHECK(std::string(e.what()).find(std::string("only ") + system_config_path) !=
              std::string::npos);
    }
    CHECK_NOTHROW(load_config(user_file, Privilege{false, getegid()}));

    const std::string text = one + "user = \"u\"\npassword_file = \"~/pw\"\n";
    ParseOptions privileged;
    privileged.check_files = false;
    privileged.privileged = true;
    CHECK_THROWS_WITH(parse_config(text, "t.toml", privileged),
                      Catch::StartsWith("t.toml:4:1: password_file: \"~/\" cannot be used in a "
                                        "configuration read with okuru's group privilege"));
    privileged.privileged = false;
    CHECK_NOTHROW(parse_config(text, "t.toml", privileged));
}

TEST_CASE("config - max_age: seconds or a number with a unit, 1 hour to 366 days") {
    using std::chrono::seconds;
    CHECK(parse_config(one, "t.toml").max_age == seconds(5 * 86400));
    const auto age = [](const std::string& value) {
        return parse_config("max_age = " + value + "\n" + one, "t.toml").max_age;
    };
    CHECK(age("\"5d\"") == seconds(5 * 86400));
    CHECK(age("\"2w\"") == seconds(14 * 86400));
    CHECK(age("\"12h\"") == seconds(12 * 3600));
    CHECK(age("\"90m\"") == seconds(5400));
    CHECK(age("\"7200s\"") == seconds(7200));
    CHECK(age("\"7200\"") == seconds(7200));
    CHECK(age("86400") == seconds(86400));
    for (const char* bad : {"\"5 d\"", "\"d\"", "\"5y\"", "\"\"", "\"-5d\"", "true", "1.5"})
        CHECK_THAT(config_error("max_age = " + std::string(bad) + "\n" + one),
                   Catch::Contains("max_age must"));
    for (const char* out : {"\"59m\"", "\"367d\"", "0"})
        CHECK_THAT(config_error("max_age = " + std::string(out) + "\n" + one),
                   Catch::Contains("between 1 hour and 366 days"));
}
