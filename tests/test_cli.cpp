// sendmail's and okuru's own command line; msmtp's spellings are in test_cli_msmtp.cpp.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "base/errors.hpp"
#include "cli_test_util.hpp"
#include "config/cli.hpp"
#include "config/options_table.hpp"
#include "net/tls.hpp"

using okuru::Mode;
using okuru::Options;
using okuru::TlsMode;
using okuru::test::Case;
using okuru::test::parse;
using okuru::test::usage_error;

namespace {

// Expected result for a send-mode invocation as "sendmail".
Options sendmail() {
    Options o;
    o.invoked_as = "sendmail";
    return o;
}

}  // namespace

TEST_CASE("cli - every caller invocation from issue 2 parses exactly") {
    auto c = [](std::vector<std::string> argv, auto edit) {
        Options o = sendmail();
        edit(o);
        return Case{std::move(argv), o};
    };
    const std::vector<Case> cases = {
        // Debian cron
        c({"sendmail", "-i", "-FCronDaemon", "-B8BITMIME", "-oem", "root"},
          [](Options& o) {
              o.dot_ends_input = false;
              o.full_name = "CronDaemon";
              o.body_type = "8BITMIME";
              o.ignored = {"-oem"};
              o.recipients = {"root"};
          }),
        // cronie
        c({"sendmail", "-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f", "user"},
          [](Options& o) {
              o.full_name = "CronDaemon";
              o.dot_ends_input = false;
              o.ignored = {"-odi", "-oem"};
              o.recipients_from_headers = true;
              o.sender = "user";
          }),
        // anacron: no -i, so a lone dot still ends the input
        c({"sendmail", "-FAnacron", "-odi", "root"},
          [](Options& o) {
              o.full_name = "Anacron";
              o.ignored = {"-odi"};
              o.recipients = {"root"};
          }),
        // systemd-cron
        c({"sendmail", "-i", "-B", "8BITMIME", "root"},
          [](Options& o) {
              o.dot_ends_input = false;
              o.body_type = "8BITMIME";
              o.recipients = {"root"};
          }),
        // PHP mail()
        c({"sendmail", "-t", "-i"},
          [](Options& o) {
              o.recipients_from_headers = true;
              o.dot_ends_input = false;
          }),
        c({"sendmail", "-t", "-i", "-fapp@example.org"},
          [](Options& o) {
              o.recipients_from_headers = true;
              o.dot_ends_input = false;
              o.sender = "app@example.org";
          }),
        // mutt / neomutt
        c({"sendmail", "-oem", "-oi", "-B8BITMIME", "-f", "me@x.example", "-N", "failure,delay",
           "-R", "hdrs", "--", "a@x.example", "b@y.example"},
          [](Options& o) {
              o.ignored = {"-oem"};
              o.dot_ends_input = false;
              o.body_type = "8BITMIME";
              o.sender = "me@x.example";
              o.dsn_notify = "FAILURE,DELAY";
              o.dsn_ret = "HDRS";
              o.recipients = {"a@x.example", "b@y.example"};
          }),
        // git send-email
        c({"sendmail", "-i", "-f", "me@x.example", "a@x.example", "b@y.example"},
          [](Options& o) {
              o.dot_ends_input = false;
              o.sender = "me@x.example";
              o.recipients = {"a@x.example", "b@y.example"};
          }),
        // mailx / bsd-mailx / s-nail
        c({"sendmail", "-i", "--", "a@x.example"},
          [](Options& o) {
              o.dot_ends_input = false;
              o.recipients = {"a@x.example"};
          }),
        c({"sendmail", "-i", "-F", "Me", "-f", "me@x.example", "--", "a@x.example"},
          [](Options& o) {
              o.dot_ends_input = false;
              o.full_name = "Me";
              o.sender = "me@x.example";
              o.recipients = {"a@x.example"};
          }),
        // logwatch, sudo
        c({"sendmail", "-t"}, [](Options& o) { o.recipients_from_headers = true; }),
        // unattended-upgrades
        c({"sendmail", "-oi", "-t"},
          [](Options& o) {
              o.dot_ends_input = false;
              o.recipients_from_headers = true;
          }),
        // mdadm
        c({"sendmail", "-t", "-froot"},
          [](Options& o) {
              o.recipients_from_headers = true;
              o.sender = "root";
          }),
        // fail2ban
        c({"sendmail", "-f", "root@host.example", "root@localhost"},
          [](Options& o) {
              o.sender = "root@host.example";
              o.recipients = {"root@localhost"};
          }),
        // at
        c({"sendmail", "-i", "user"},
          [](Options& o) {
              o.dot_ends_input = false;
              o.recipients = {"user"};
          }),
    };
    for (const auto& tc : cases) {
        std::string line;
        for (const auto& a : tc.argv) line += a + " ";
        INFO("argv: " << line);
        CHECK(parse(tc.argv) == tc.expected);
    }
}

TEST_CASE("cli - glued and separate values, clusters and long options") {
    auto c = [](std::vector<std::string> argv, auto edit) {
        Options o = sendmail();
        edit(o);
        return Case{std::move(argv), o};
    };
    const std::vector<Case> cases = {
        c({"sendmail", "-ti"},
          [](Options& o) {
              o.recipients_from_headers = true;
              o.dot_ends_input = false;
          }),
        c({"sendmail", "-itfme@x.example"},
          [](Options& o) {
              o.recipients_from_headers = true;
              o.dot_ends_input = false;
              o.sender = "me@x.example";
          }),
        c({"sendmail", "-tif", "me@x.example", "a"},
          [](Options& o) {
              o.recipients_from_headers = true;
              o.dot_ends_input = false;
              o.sender = "me@x.example";
              o.recipients = {"a"};
          }),
        c({"sendmail", "-toi"},  // getopt: -o takes the rest of the cluster
          [](Options& o) {
              o.recipients_from_headers = true;
              o.dot_ends_input = false;
          }),
        c({"sendmail", "-o", "i"}, [](Options& o) { o.dot_ends_input = false; }),
        c({"sendmail", "-oiTrue"}, [](Options& o) { o.dot_ends_input = false; }),
        c({"sendmail", "-i", "-oiFalse"}, [](Options&) {}),
        c({"sendmail", "-r", "me@x.example"}, [](Options& o) { o.sender = "me@x.example"; }),
        c({"sendmail", "-rme@x.example", "-fother@x.example"},
          [](Options& o) { o.sender = "other@x.example"; }),
        c({"sendmail", "-f", ""}, [](Options& o) { o.sender = ""; }),
        c({"sendmail", "-F", "Doe, John"}, [](Options& o) { o.full_name = "Doe, John"; }),
        c({"sendmail", "-Nnever"}, [](Options& o) { o.dsn_notify = "NEVER"; }),
        c({"sendmail", "-N", "Success, Delay,FAILURE"},
          [](Options& o) { o.dsn_notify = "SUCCESS,DELAY,FAILURE"; }),
        c({"sendmail", "-Ndelay,delay"}, [](Options& o) { o.dsn_notify = "DELAY"; }),
        c({"sendmail", "-Rhdrs"}, [](Options& o) { o.dsn_ret = "HDRS"; }),
        c({"sendmail", "-R", "Full"}, [](Options& o) { o.dsn_ret = "FULL"; }),
        c({"sendmail", "-V", "abc+123=x"}, [](Options& o) { o.dsn_envid = "abc+123=x"; }),
        c({"sendmail", "-B7bit"}, [](Options& o) { o.body_type = "7BIT"; }),
        c({"sendmail", "-B", "8bitmime"}, [](Options& o) { o.body_type = "8BITMIME"; }),
        c({"sendmail", "-C/etc/x.toml"}, [](Options& o) { o.config_file = "/etc/x.toml"; }),
        c({"sendmail", "-C", "x.toml"}, [](Options& o) { o.config_file = "x.toml"; }),
        c({"sendmail", "--config=x.toml"}, [](Options& o) { o.config_file = "x.toml"; }),
        c({"sendmail", "--config", "x.toml"}, [](Options& o) { o.config_file = "x.toml"; }),
        c({"sendmail", "--system", "root"},
          [](Options& o) {
              o.system_only = true;
              o.config_file = "/etc/okuru.toml";
              o.recipients = {"root"};
          }),
        c({"sendmail", "-alan"}, [](Options& o) { o.account = "lan"; }),
        c({"sendmail", "-a", "lan"}, [](Options& o) { o.account = "lan"; }),
        c({"sendmail", "--account=lan"}, [](Options& o) { o.account = "lan"; }),
        c({"sendmail", "--account", "lan"}, [](Options& o) { o.account = "lan"; }),
        c({"sendmail", "-X/tmp/log"}, [](Options& o) { o.log_file = "/tmp/log"; }),
        c({"sendmail", "-X", "log"}, [](Options& o) { o.log_file = "log"; }),
        c({"sendmail", "-v"}, [](Options& o) { o.verbose = 1; }),
        c({"sendmail", "-vv", "--verbose", "-ov"}, [](Options& o) { o.verbose = 4; }),
        c({"sendmail", "--pretend", "a"},
          [](Options& o) {
              o.pretend = true;
              o.recipients = {"a"};
          }),
        // Options after recipients are still options (GNU getopt order), until "--".
        c({"sendmail", "a", "-t", "b"},
          [](Options& o) {
              o.recipients = {"a", "b"};
              o.recipients_from_headers = true;
          }),
        // After "--" everything is a recipient, verbatim, even what looks like an option.
        c({"sendmail", "--", "-t", "--", "-X/tmp/x", "a b"},
          [](Options& o) {
              o.recipients = {"-t", "--", "-X/tmp/x", "a b"};
          }),
    };
    for (const auto& tc : cases) {
        std::string line;
        for (const auto& a : tc.argv) line += a + " ";
        INFO("argv: " << line);
        CHECK(parse(tc.argv) == tc.expected);
    }
}

TEST_CASE("cli - options accepted and ignored are recorded as given") {
    struct IgnoredCase {
        std::vector<std::string> given;
        std::vector<std::string> recorded;
    };
    // clang-format off
    const auto [given, recorded] = GENERATE(values<IgnoredCase>({
        {{"-oem"}, {"-oem"}}, {{"-oee"}, {"-oee"}}, {{"-oep"}, {"-oep"}}, {{"-oeq"}, {"-oeq"}},
        {{"-oew"}, {"-oew"}}, {{"-odi"}, {"-odi"}}, {{"-odb"}, {"-odb"}}, {{"-odq"}, {"-odq"}},
        {{"-odd"}, {"-odd"}}, {{"-om"}, {"-om"}}, {{"-os"}, {"-os"}}, {{"-oL9"}, {"-oL9"}},
        {{"-o7"}, {"-o7"}}, {{"-o8"}, {"-o8"}}, {{"-oMrUUCP"}, {"-oMrUUCP"}},
        {{"-oA/etc/aliases"}, {"-oA/etc/aliases"}}, {{"-oQ/q"}, {"-oQ/q"}},
        {{"-oT5d"}, {"-oT5d"}}, {{"-oc"}, {"-oc"}}, {{"-ob1"}, {"-ob1"}}, {{"-oC10"}, {"-oC10"}},
        {{"-oh17"}, {"-oh17"}}, {{"-oj"}, {"-oj"}}, {{"-oo"}, {"-oo"}},
        {{"-opgoaway"}, {"-opgoaway"}}, {{"-or5m"}, {"-or5m"}}, {{"-otUTC"}, {"-otUTC"}},
        {{"-o", "em"}, {"-o em"}}, {{"-Lcron"}, {"-Lcron"}}, {{"-L", "tag"}, {"-L tag"}},
        {{"-U"}, {"-U"}}, {{"-G"}, {"-G"}}, {{"-n"}, {"-n"}}, {{"-m"}, {"-m"}},
        {{"-em"}, {"-em"}}, {{"-ep"}, {"-ep"}}, {{"-eq"}, {"-eq"}}, {{"-ew"}, {"-ew"}},
        {{"-e", "m"}, {"-e m"}}, {{"-h", "17"}, {"-h 17"}}, {{"-h5"}, {"-h5"}},
        {{"-OLogLevel=9"}, {"-OLogLevel=9"}}, {{"-O", "DeliveryMode=b"}, {"-O DeliveryMode=b"}},
        {{"-Am"}, {"-Am"}}, {{"-Ac"}, {"-Ac"}}, {{"-pUUCP:host"}, {"-pUUCP:host"}},
        {{"-UGnm"}, {"-U", "-G", "-n", "-m"}}, {{"-tU"}, {"-U"}},
        {{"-oem", "-Lx", "-odi"}, {"-oem", "-Lx", "-odi"}},
    }));
    // clang-format on
    std::vector<std::string> argv = {"sendmail"};
    argv.insert(argv.end(), given.begin(), given.end());
    argv.push_back("a");
    std::string line;
    for (const auto& a : argv) line += a + " ";
    INFO("argv: " << line);

    Options expected = sendmail();
    expected.ignored = recorded;
    expected.recipients = {"a"};
    expected.recipients_from_headers = given == std::vector<std::string>{"-tU"};
    CHECK(parse(argv) == expected);
}

TEST_CASE("cli - modes") {
    struct ModeCase {
        std::vector<std::string> argv;
        Mode mode;
    };
    const auto [argv, mode] = GENERATE(values<ModeCase>({
        {{"sendmail"}, Mode::send},
        {{"/usr/sbin/sendmail", "-bm"}, Mode::send},
        {{"okuru", "-b", "m"}, Mode::send},
        {{"sendmail", "-bp"}, Mode::print_queue},
        {{"sendmail", "-bP"}, Mode::print_queue},
        {{"/usr/bin/mailq"}, Mode::print_queue},
        {{"mailq", "-v"}, Mode::print_queue},
        {{"sendmail", "-q"}, Mode::run_queue},
        {{"sendmail", "-q15m"}, Mode::run_queue},
        {{"sendmail", "-qRexample.org"}, Mode::run_queue},
        {{"sendmail", "-qI12345"}, Mode::run_queue},
        {{"sendmail", "-vq"}, Mode::run_queue},
        {{"sendmail", "-bs"}, Mode::smtp_stdio},
        {{"sendmail", "-bd"}, Mode::smtp_server},
        {{"sendmail", "-bi"}, Mode::newaliases},
        {{"sendmail", "-I"}, Mode::newaliases},
        {{"/usr/bin/newaliases"}, Mode::newaliases},
        {{"okuru", "--resend-failed"}, Mode::resend_failed},
        {{"okuru", "--version"}, Mode::version},
        {{"okuru", "--help"}, Mode::help},
        {{"okuru", "--version", "--help"}, Mode::help},
        {{"okuru", "-bp", "--version"}, Mode::version},
        {{"okuru", "-bp", "-bm"}, Mode::send},  // the last -b wins, as in sendmail
    }));
    INFO("argv[0]: " << argv[0] << ", argc " << argv.size());
    CHECK(parse(argv).mode == mode);
}

TEST_CASE("cli - invoked_as is the basename of argv[0]") {
    CHECK(parse({"/usr/sbin/sendmail"}).invoked_as == "sendmail");
    CHECK(parse({"okuru"}).invoked_as == "okuru");
    CHECK(parse({}).invoked_as == "okuru");
    CHECK(parse({""}).invoked_as == "okuru");
}

TEST_CASE("cli - the -q argument is only ever glued") {
    const Options o = parse({"sendmail", "-q", "15m"});
    CHECK(o.mode == Mode::run_queue);
    CHECK(o.recipients == std::vector<std::string>{"15m"});
}

TEST_CASE("cli - usage errors name what was wrong") {
    struct ErrorCase {
        std::vector<std::string> argv;
        std::string named;  // must appear in the message
    };
    const auto [argv, named] = GENERATE(values<ErrorCase>({
        // PHPMailer CVE-2016-10033: an option smuggled where the sender goes.
        {{"sendmail", "-f", "-X/tmp/x", "a"}, "-X/tmp/x"},
        {{"sendmail", "-f-X/tmp/x", "a"}, "-X/tmp/x"},
        {{"sendmail", "-r", "-oQ/tmp/"}, "-oQ/tmp/"},
        {{"sendmail", "-t", "-f"}, "-f"},
        {{"sendmail", "-F", "-t"}, "-t"},
        {{"sendmail", "-C", "--help"}, "--help"},
        {{"sendmail", "--config"}, "--config"},
        {{"sendmail", "--account", "-t"}, "--account"},
        {{"sendmail", "-Z"}, "-Z"},
        {{"sendmail", "-tZ"}, "-Z"},
        {{"sendmail", "a", "-Y", "b"}, "-Y"},
        {{"sendmail", "--frobnicate"}, "--frobnicate"},
        {{"sendmail", "--frobnicate=1"}, "--frobnicate"},
        {{"sendmail", "--pretend=yes"}, "--pretend"},
        {{"sendmail", "-"}, "'-'"},
        {{"sendmail", "-ba"}, "-ba"},
        {{"sendmail", "-bv", "a"}, "-bv"},
        {{"sendmail", "-bt"}, "-bt"},
        {{"sendmail", "-oX5"}, "-oX5"},
        {{"sendmail", "-o", "W"}, "-o W"},
        {{"sendmail", "-o", ""}, "-o"},
        {{"sendmail", "-Nnever,failure"}, "never,failure"},
        {{"sendmail", "-Nsometimes"}, "sometimes"},
        {{"sendmail", "-Nfailure,"}, "failure,"},
        {{"sendmail", "-N", ""}, "-N"},
        {{"sendmail", "-Rbody"}, "body"},
        {{"sendmail", "-BBINARYMIME"}, "BINARYMIME"},
        {{"sendmail", "-V", std::string(101, 'x')}, "-V"},
        {{"sendmail", "-V", "a b"}, "a b"},
        {{"sendmail", "-F", "Me\nBcc: x@y"}, "Me\\x0aBcc"},
        {{"sendmail", "-C", ""}, "-C"},
        {{"sendmail", "--system", "-C", "x.toml"}, "-C cannot be combined with --system"},
        {{"sendmail", "--config=x.toml", "--system"}, "--system cannot be combined with -C"},
        {{"sendmail", "--account="}, "--account"},
        {{"sendmail", "-X", ""}, "-X"},
        {{"sendmail", "-\x1b[31m"}, "\\x1b"},  // escaped, never raw on the terminal
        {{"okuru", "--host", "mx.example"}, "--serverinfo or --check"},
        {{"okuru", "--port", "587", "a@b.example"}, "--serverinfo or --check"},
        {{"okuru", "--check", "--port", "0"}, "--port value '0'"},
        {{"okuru", "--check", "--port", "65536"}, "65536"},
        {{"okuru", "--check", "--port", "58x"}, "58x"},
        {{"okuru", "--serverinfo", "--tls", "ssl"}, "'ssl'"},
        {{"okuru", "--serverinfo", "--host", "h", "-a", "gmail"}, "-a"},
        {{"okuru", "--check", "a@b.example"}, "a@b.example"},
        {{"okuru", "--list-accounts", "a@b.example"}, "--list-accounts"},
        {{"okuru", "--list-accounts", "-a", "gmail"}, "--list-accounts"},
        {{"okuru", "--check", "--serverinfo"}, "--serverinfo cannot be combined with --check"},
        {{"okuru", "--check", "-q"}, "-q cannot be combined with --check"},
        {{"okuru", "--test-message", "a@b.example", "-bp"}, "-bp cannot be combined"},
        {{"okuru", "-bi", "--serverinfo"}, "--serverinfo cannot be combined with -bi"},
        {{"okuru", "--check", "-t"}, "-t has no meaning with --check"},
        {{"okuru", "--serverinfo", "--pretend"}, "--pretend has no meaning"},
        {{"okuru", "--check", "-f", "a@b.example"}, "-f has no meaning"},
        {{"okuru", "--serverinfo", "--host", "h", "-C", "x.toml"}, "-C has no use"},
        {{"okuru", "--test-message"}, "--test-message"},
        {{"okuru", "--test-message", "-t"}, "--test-message"},
        {{"okuru", "--test-message=me@x.example", "b@y.example"}, "b@y.example"},
    }));
    std::string line;
    for (const auto& a : argv) line += a + " ";
    INFO("argv: " << line);
    const std::string message = usage_error(argv);
    INFO("message: " << message);
    CHECK(message.find(named) != std::string::npos);
    CHECK(message.find('\x1b') == std::string::npos);
}

TEST_CASE("cli - diagnostic modes and their options") {
    const Options a = parse(
        {"okuru", "--serverinfo", "--host", "mx.example", "--port", "465", "--tls", "implicit"});
    CHECK(a.mode == Mode::serverinfo);
    CHECK(a.host == "mx.example");
    CHECK(a.port == 465);
    CHECK(a.tls == TlsMode::implicit);

    const Options b = parse({"okuru", "--check", "-a", "isp", "--tls=starttls"});
    CHECK(b.mode == Mode::check);
    CHECK(b.account == "isp");
    CHECK(b.tls == TlsMode::starttls);
    CHECK_FALSE(b.host);

    const Options c = parse({"okuru", "--test-message", "me@example.org", "-a", "isp", "-v"});
    CHECK(c.mode == Mode::test_message);
    CHECK(c.test_address == "me@example.org");
    CHECK(c.recipients.empty());
    CHECK(c.verbose == 1);

    CHECK(parse({"okuru", "--test-message=me@example.org"}).test_address == "me@example.org");
    CHECK(parse({"okuru", "-C", "x.toml", "--list-accounts"}).mode == Mode::list_accounts);
    // --help still wins, so "okuru --check --help" explains instead of connecting.
    CHECK(parse({"okuru", "--check", "--help"}).mode == Mode::help);
}

TEST_CASE("cli - usage text mentions every supported option") {
    const std::string text = okuru::usage_text();
    for (const char* option : {"-t",
                               "-i",
                               "-oi",
                               "-f",
                               "-r",
                               "-F",
                               "-N",
                               "-R",
                               "-V",
                               "-B",
                               "-C",
                               "--config",
                               "-a",
                               "--account",
                               "-v",
                               "--verbose",
                               "-X",
                               "--pretend",
                               "--resend-failed",
                               "--check",
                               "--serverinfo",
                               "--host",
                               "--port",
                               "--tls",
                               "--test-message",
                               "--list-accounts",
                               "-bm",
                               "-bp",
                               "-q",
                               "-bi",
                               "-I",
                               "-bs",
                               "-bd",
                               "--version",
                               "--help",
                               "mailq",
                               "newaliases"}) {
        INFO(option);
        CHECK(text.find(option) != std::string::npos);
    }
}

namespace {

// The lines of --list-options, split into spelling and description.
std::vector<std::pair<std::string, std::string>> listed_options() {
    std::vector<std::pair<std::string, std::string>> out;
    std::istringstream in(okuru::option_list_text());
    for (std::string line; std::getline(in, line);) {
        const auto tab = line.find('\t');
        REQUIRE(tab != std::string::npos);
        out.emplace_back(line.substr(0, tab), line.substr(tab + 1));
    }
    return out;
}

// The option's name in a --list-options spelling: "-f ADDR" -> "-f".
std::string name_of(const std::string& spelling) {
    return spelling.substr(0, spelling.find_first_of(" =["));
}

}  // namespace

TEST_CASE("cli - the --list-* modes read no configuration and take nothing else") {
    CHECK(parse({"okuru", "--list-options"}).mode == Mode::list_options);
    CHECK(parse({"okuru", "--list-config-keys"}).mode == Mode::list_config_keys);
    CHECK(parse({"okuru", "--list-options", "-v"}).mode == Mode::list_options);
    CHECK(parse({"okuru", "--list-options", "--help"}).mode == Mode::help);
    struct ErrorCase {
        std::vector<std::string> argv;
        std::string named;
    };
    const auto [argv, named] = GENERATE(values<ErrorCase>({
        {{"okuru", "--list-options", "a@b.example"}, "a@b.example"},
        {{"okuru", "--list-config-keys", "a@b.example"}, "--list-config-keys"},
        {{"okuru", "--list-options", "-C", "x.toml"}, "-C has no use"},
        {{"okuru", "--list-config-keys", "--config=x.toml"}, "reads no configuration"},
        {{"okuru", "--list-options", "-a", "isp"}, "-a cannot be combined with --list-options"},
        {{"okuru", "--list-options", "-t"}, "-t has no meaning with --list-options"},
        {{"okuru", "--list-config-keys", "--check"}, "cannot be combined"},
        {{"okuru", "--list-options", "-bp"}, "-bp cannot be combined with --list-options"},
        {{"okuru", "--list-options=yes"}, "takes no value"},
    }));
    INFO("argv: " << argv[1] << " " << (argv.size() > 2 ? argv[2] : ""));
    CHECK(usage_error(argv).find(named) != std::string::npos);
}

TEST_CASE("cli - --list-options: one option per line, as the parser reads it") {
    const auto listed = listed_options();
    REQUIRE(listed.size() > 60);
    std::vector<std::string> names;
    for (const auto& [spelling, description] : listed) {
        INFO("listed: " << spelling << "\t" << description);
        const std::string name = name_of(spelling);
        CHECK(std::find(names.begin(), names.end(), name) == names.end());  // listed once
        names.push_back(name);
        CHECK_FALSE(description.empty());
        CHECK(description.find('\t') == std::string::npos);
        const okuru::OptionRow* row = okuru::find_option(name);
        REQUIRE(row);
        CHECK(spelling == okuru::spelling(*row));
        // The form says how the value is written: "-f ADDR", "--config=FILE", "-q[TIME]".
        const std::string rest = spelling.substr(name.size());
        if (rest.empty()) {
            CHECK(row->takes == okuru::Takes::nothing);
        } else if (rest.front() == '[') {
            CHECK(row->takes == okuru::Takes::glued);
            CHECK(rest.back() == ']');
        } else {
            CHECK(row->takes == okuru::Takes::value);
            CHECK(rest.front() == (name.starts_with("--") ? '=' : ' '));
        }
        CHECK((row->action == okuru::Action::ignore ||
               row->action == okuru::Action::same_as_okuru) == description.starts_with("ignored"));
        CHECK(row->shown != okuru::Shown::refused);

        // The parser knows every listed option, written every way the listing allows.
        std::vector<std::vector<std::string>> forms;
        if (row->takes == okuru::Takes::nothing) {
            forms = {{name}};
        } else if (row->takes == okuru::Takes::glued && name.starts_with("--")) {
            const std::string v(row->value.substr(0, row->value.find('|')));
            forms = {{name + "=" + v}};
            if (v != "off") forms.push_back({name});
        } else if (row->takes == okuru::Takes::glued) {
            forms = {{name}, {name + "1"}};
        } else {
            const std::string v = row->value.find('|') != std::string_view::npos
                                      ? std::string(row->value.substr(0, row->value.find('|')))
                                  : row->value == "PORT"   ? "25"
                                  : row->value == "NOTIFY" ? "never"
                                                           : "x";
            forms = {{name, v}, {name + (name.starts_with("--") ? "=" : "") + v}};
        }
        // -b and -o take their letter as the next argument too.
        if (name.size() == 3 && (name.starts_with("-b") || name.starts_with("-o")))
            forms.push_back({name.substr(0, 2), name.substr(2)});
        for (auto form : forms) {
            form.insert(form.begin(), "okuru");
            INFO("argv: okuru " << form[1] << (form.size() > 2 ? " " + form[2] : ""));
            try {
                parse(form);
            } catch (const okuru::Error& e) {
                // Refused only for its company (--host wants --check), never as unknown.
                const std::string what = e.what();
                CHECK(what.find("unknown") == std::string::npos);
                CHECK(what.find("unsupported") == std::string::npos);
                CHECK(what.find("requires") == std::string::npos);
            }
        }
    }
    // An option that is not in the table is refused.
    CHECK(usage_error({"okuru", "--no-such-option"}).find("unknown option") != std::string::npos);
}

TEST_CASE("cli - option table: each row is reachable and the choices are the parser's") {
    for (const okuru::OptionRow& row : okuru::option_table()) {
        INFO("row " << row.name);
        if (row.name.starts_with("--")) {
            CHECK(row.name.size() > 3);
        } else if (row.name.starts_with('-')) {
            // "-x" directly; "-bX" and "-oX" through -b and -o.
            CHECK((row.name.size() == 2 ||
                   (row.name.size() == 3 && (row.name[1] == 'b' || row.name[1] == 'o'))));
            if (row.name.size() == 3 && row.name[1] == 'b') {
                CHECK(row.action == okuru::Action::mode);
                CHECK(row.takes == okuru::Takes::nothing);
            }
            if (row.name.size() == 3 && row.name[1] == 'o') CHECK(row.takes == okuru::Takes::glued);
        } else {
            CHECK(row.action == okuru::Action::mode);  // a program name: mailq, newaliases
        }
        CHECK(okuru::find_option(row.name) == &row);
        CHECK_FALSE(okuru::description_of(row).empty());
        CHECK((row.takes == okuru::Takes::nothing) == row.value.empty());
    }
    // --tls lists the TLS layer's own names, in its order.
    std::string modes;
    for (okuru::TlsMode m : okuru::all_tls_modes)
        modes += (modes.empty() ? "" : "|") + std::string(okuru::tls_mode_name(m));
    REQUIRE(okuru::find_option("--tls"));
    CHECK(okuru::find_option("--tls")->value == modes);
}

TEST_CASE("cli - --help names every option but the ignored ones in their own lines") {
    const std::string text = okuru::usage_text();
    for (const okuru::OptionRow& row : okuru::option_table()) {
        if (row.shown == okuru::Shown::hidden || row.shown == okuru::Shown::refused) continue;
        INFO(row.name);
        CHECK(text.find(std::string(row.name)) != std::string::npos);
    }
    CHECK(text.find("--list-options") != std::string::npos);
    CHECK(text.find("--list-config-keys") != std::string::npos);
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        INFO(line);
        CHECK(line.size() <= 80);
    }
}
