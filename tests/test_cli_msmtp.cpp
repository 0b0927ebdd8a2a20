// msmtp 1.8's command line: its spellings of okuru's options, and its options
// okuru refuses naming the okuru way (config/cli_msmtp.cpp, the table's msmtp rows).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

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

// Issue 11, part 7: msmtp's command line as mutt, neomutt, Emacs and git guides
// write it (msmtp(1) 1.8). Each accepted spelling gives the Options of okuru's own.
TEST_CASE("cli - msmtp's spellings of okuru's options") {
    auto c = [](std::vector<std::string> argv, auto edit) {
        Options o;
        o.invoked_as = "msmtp";
        edit(o);
        argv.insert(argv.begin(), "msmtp");
        return Case{std::move(argv), o};
    };
    // msmtp's own spellings: the whole input is the message, a lone dot is text.
    auto m = [&c](std::vector<std::string> argv, auto edit) {
        return c(std::move(argv), [edit](Options& o) {
            o.dot_ends_input = false;
            edit(o);
        });
    };
    const auto rcpt = [](Options& o) { o.recipients = {"rcpt@example.org"}; };
    const std::vector<Case> cases = {
        m({"--read-envelope-from", "-t"},
          [](Options& o) { o.sender_from_header = o.recipients_from_headers = true; }),
        m({"--read-recipients"}, [](Options& o) { o.recipients_from_headers = true; }),
        m({"--from=me@example.org", "rcpt@example.org"},
          [&](Options& o) { o.sender = "me@example.org", rcpt(o); }),
        m({"--from", "me@example.org", "rcpt@example.org"},
          [&](Options& o) { o.sender = "me@example.org", rcpt(o); }),
        m({"--file=/home/me/okuru.toml", "rcpt@example.org"},
          [&](Options& o) { o.config_file = "/home/me/okuru.toml", rcpt(o); }),
        c({"-C", "/home/me/okuru.toml", "rcpt@example.org"},
          [&](Options& o) { o.config_file = "/home/me/okuru.toml", rcpt(o); }),
        c({"--account=work", "rcpt@example.org"}, [&](Options& o) { o.account = "work", rcpt(o); }),
        c({"-a", "work", "rcpt@example.org"}, [&](Options& o) { o.account = "work", rcpt(o); }),
        m({"--logfile=/tmp/m.log", "rcpt@example.org"},
          [&](Options& o) { o.log_file = "/tmp/m.log", rcpt(o); }),
        c({"-X", "/tmp/m.log", "rcpt@example.org"},
          [&](Options& o) { o.log_file = "/tmp/m.log", rcpt(o); }),
        m({"-d", "rcpt@example.org"}, [&](Options& o) { o.verbose = 1, rcpt(o); }),
        m({"--debug", "-v", "rcpt@example.org"}, [&](Options& o) { o.verbose = 2, rcpt(o); }),
        m({"-P", "rcpt@example.org"}, [&](Options& o) { o.pretend = true, rcpt(o); }),
        c({"--pretend", "rcpt@example.org"}, [&](Options& o) { o.pretend = true, rcpt(o); }),
        m({"-S", "-a", "work"}, [](Options& o) { o.mode = Mode::serverinfo, o.account = "work"; }),
        m({"--serverinfo", "--host=smtp.example.org", "--port=465", "--tls", "--tls-starttls=off"},
          [](Options& o) {
              o.mode = Mode::serverinfo, o.host = "smtp.example.org", o.port = 465,
              o.tls = TlsMode::implicit;
          }),
        m({"-S", "--host=smtp.example.org", "--tls=on"},
          [](Options& o) {
              o.mode = Mode::serverinfo, o.host = "smtp.example.org", o.tls = TlsMode::starttls;
          }),
        m({"-S", "--host=smtp.example.org", "--tls-starttls"},
          [](Options& o) {
              o.mode = Mode::serverinfo, o.host = "smtp.example.org", o.tls = TlsMode::starttls;
          }),
        m({"-S", "--host=smtp.example.org", "--tls=off", "--tls-starttls=off"},
          [](Options& o) {
              o.mode = Mode::serverinfo, o.host = "smtp.example.org", o.tls = TlsMode::none;
          }),
        // okuru's own spelling still takes its value as the next argument.
        m({"-S", "--host=smtp.example.org", "--tls", "implicit"},
          [](Options& o) {
              o.mode = Mode::serverinfo, o.host = "smtp.example.org", o.tls = TlsMode::implicit;
          }),
        m({"-N", "off", "--dsn-notify=failure,delay", "rcpt@example.org"},
          [&](Options& o) { o.dsn_notify = "FAILURE,DELAY", rcpt(o); }),
        m({"--dsn-notify=failure", "-N", "off", "rcpt@example.org"}, rcpt),
        m({"--dsn-return=headers", "rcpt@example.org"},
          [&](Options& o) { o.dsn_ret = "HDRS", rcpt(o); }),
        m({"-R", "full", "--dsn-return=off", "rcpt@example.org"}, rcpt),
        c({"-FJo Doe", "rcpt@example.org"}, [&](Options& o) { o.full_name = "Jo Doe", rcpt(o); }),
        m({"--remove-bcc-headers", "--set-date-header=auto", "--undisclosed-recipients=off",
           "rcpt@example.org"},
          [&](Options& o) {
              o.ignored = {"--remove-bcc-headers", "--set-date-header=auto",
                           "--undisclosed-recipients=off"};
              rcpt(o);
          }),
        c({"--", "-rcpt@example.org"}, [](Options& o) { o.recipients = {"-rcpt@example.org"}; }),
        // msmtp's list of sendmail options it ignores: okuru reads -i (and -B, whose
        // values are sendmail's: see the refusals).
        c({"-bm", "-G", "-h3", "-i", "-L", "tag", "-m", "-n", "-Oa=b", "-oem", "rcpt@example.org"},
          [&](Options& o) {
              o.dot_ends_input = false;
              o.ignored = {"-G", "-h3", "-L tag", "-m", "-n", "-Oa=b", "-oem"};
              rcpt(o);
          }),
    };
    for (const auto& [argv, expected] : cases) {
        INFO("argv: " << argv[1] << (argv.size() > 2 ? " " + argv[2] : ""));
        CHECK(parse(argv) == expected);
    }
    // mutt's line from msmtp's documentation.
    const Options mutt = parse({"msmtp", "--read-envelope-from", "--", "a@example.org"});
    CHECK(mutt.sender_from_header);
    CHECK_FALSE(mutt.dot_ends_input);  // mutt's msmtp line has no -oi: a lone dot is text
    CHECK(mutt.recipients == std::vector<std::string>{"a@example.org"});
    // With use_envelope_from mutt also passes -f; the message's From: decides
    // whether they agree (okuru(8), MSMTP OPTIONS).
    const Options both =
        parse({"msmtp", "--read-envelope-from", "-f", "me@example.org", "a@example.org"});
    CHECK(both.sender_from_header);
    CHECK(both.sender == "me@example.org");
}

TEST_CASE("cli - msmtp's options without an okuru meaning are refused with the okuru way") {
    struct Refused {
        std::vector<std::string> argv;
        std::string advice;
    };
    const auto [argv, advice] = GENERATE(values<Refused>({
        {{"msmtp", "--tls-trust-file=/etc/ssl/certs/ca-certificates.crt"},
         "--tls-trust-file: set ca_file in okuru.toml"},
        {{"msmtp", "--tls-trust-file", "/x", "a@example.org"}, "--tls-trust-file: set ca_file"},
        {{"msmtp", "--tls-certcheck=off"}, "okuru always checks certificates"},
        {{"msmtp", "--tls-fingerprint=AB:CD"}, "set fingerprint in okuru.toml"},
        {{"msmtp", "--tls-key-file=k.pem"}, "set client_key in okuru.toml"},
        {{"msmtp", "--tls-cert-file=c.pem"}, "set client_cert in okuru.toml"},
        {{"msmtp", "--tls-priorities=NORMAL"}, "set tls_priority in okuru.toml"},
        {{"msmtp", "--tls-min-dh-prime-bits=2048"}, "set tls_priority in okuru.toml"},
        {{"msmtp", "--tls-crl-file=x.crl"}, "fingerprint"},
        {{"msmtp", "--tls-host-override=mx"}, "set host in okuru.toml"},
        {{"msmtp", "--user=me"}, "--user: set user in okuru.toml"},
        {{"msmtp", "--auth=on"}, "--auth: set auth in okuru.toml"},
        {{"msmtp", "--passwordeval=pass mail"}, "set password_command in okuru.toml"},
        {{"msmtp", "--domain=me.example"}, "--domain: set ehlo in okuru.toml"},
        {{"msmtp", "--timeout=30"}, "set timeout"},
        {{"msmtp", "--protocol=lmtp"}, "SMTP submission only"},
        {{"msmtp", "--socket=/run/s"}, "over TCP"},
        {{"msmtp", "--source-ip=192.0.2.1"}, "--source-ip"},
        {{"msmtp", "--proxy-host=localhost"}, "SOCKS"},
        {{"msmtp", "--proxy-port=1080"}, "SOCKS"},
        {{"msmtp", "--syslog=LOG_MAIL"}, "set syslog in okuru.toml"},
        {{"msmtp", "--syslog"}, "set syslog in okuru.toml"},
        {{"msmtp", "--logfile-time-format=%F"}, "one format"},
        {{"msmtp", "--aliases=/etc/aliases"}, "[aliases] table of okuru.toml"},
        {{"msmtp", "--auto-from=on"}, "set domain in okuru.toml"},
        {{"msmtp", "--maildomain=example.org"}, "set domain in okuru.toml"},
        {{"msmtp", "--configure=me@example.org"}, "write an account in okuru.toml"},
        {{"msmtp", "--rmqs=@example.org"}, "server's own tools"},
        {{"msmtp", "--remove-bcc-headers=off"}, "okuru always removes Bcc: headers"},
        {{"msmtp", "--undisclosed-recipients"}, "leaves To: and Cc: as written"},
        {{"msmtp", "--set-from-header=on"}, "adds From: when the message has none"},
        {{"msmtp", "--set-msgid-header=off"}, "cannot be changed"},
        // Accepted options, refused in company that would give them no meaning.
        {{"msmtp", "--host=smtp.example.org", "a@example.org"}, "write it as an account"},
        {{"msmtp", "--tls=on", "a@example.org"}, "choose it with -a"},
        {{"msmtp", "-S", "--host=h", "--tls=implicit", "--tls-starttls"}, "already names"},
        {{"msmtp", "-S", "--host=h", "--tls-starttls=maybe"}, "use on or off"},
        {{"msmtp", "-S", "--read-envelope-from"}, "--read-envelope-from has no meaning"},
        {{"msmtp", "--read-envelope-from=yes"}, "takes no value"},
        {{"msmtp", "--dsn-return=most"}, "invalid --dsn-return value"},
        {{"msmtp", "--dsn-notify=most", "a@example.org"}, "invalid --dsn-notify value 'most'"},
        {{"msmtp", "--logfile="}, "non-empty"},
        {{"msmtp", "-Bbinarymime", "a@example.org"}, "invalid -B value"},
    }));
    INFO("argv: " << argv[1]);
    const std::string what = usage_error(argv);  // exit 64, checked there
    CHECK(what.find(advice) != std::string::npos);
}

TEST_CASE("cli - msmtp's refused options are offered nowhere but are documented") {
    const std::string list = okuru::option_list_text();
    const std::string help = okuru::usage_text();
    int refused = 0;
    for (const okuru::OptionRow& row : okuru::option_table()) {
        if (row.shown != okuru::Shown::refused) continue;
        ++refused;
        INFO(row.name);
        CHECK(row.action == okuru::Action::refuse);
        CHECK(list.find(std::string(row.name) + "[") == std::string::npos);
        CHECK(list.find(std::string(row.name) + "\t") == std::string::npos);
        CHECK(help.find(std::string(row.name) + ",") == std::string::npos);
    }
    CHECK(refused >= 25);
    // msmtp's own spellings are rows; okuru's and sendmail's are not msmtp's.
    for (const char* name : {"--read-envelope-from", "--read-recipients", "--from", "--file",
                             "--logfile", "-d", "--debug", "-P", "-S", "--tls-starttls",
                             "--dsn-notify", "--dsn-return", "--remove-bcc-headers"}) {
        INFO(name);
        CHECK(okuru::find_option(name));
        CHECK(okuru::msmtp_spelling(name));
    }
    for (const char* name : {"-f", "-C", "-a", "--account", "-X", "-v", "--pretend", "--serverinfo",
                             "--host", "--tls", "-N", "-t", "-i"})
        CHECK_FALSE(okuru::msmtp_spelling(name));
    // The accepted ones are listed, for the completions.
    for (const char* name :
         {"--read-envelope-from\t", "--read-recipients\t", "--from=ADDR\t", "--file=CONFIG\t",
          "--logfile=FILE\t", "-P\t", "-S\t", "-d\t", "--debug\t", "--tls-starttls[=on|off]\t"}) {
        INFO(name);
        CHECK(list.find(name) != std::string::npos);
    }
}
