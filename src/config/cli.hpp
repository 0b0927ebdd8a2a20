// The sendmail command line: argv -> Options. Pure (no I/O, no environment):
// every option real callers pass is recognised here, the ones meaningless
// without a queue are accepted and recorded as ignored.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "net/tls.hpp"

namespace okuru {

enum class Mode {
    send,              // -bm (default): read a message on stdin and submit it
    print_queue,       // -bp / invoked as mailq: there is no queue
    run_queue,         // -q...: retry every kept message now
    smtp_server,       // -bd: no daemon mode
    smtp_stdio,        // -bs: SMTP on standard input and output
    newaliases,        // -bi / invoked as newaliases: nothing to do
    resend_failed,     // --resend-failed: retry the dead-letter Maildir
    serverinfo,        // --serverinfo: show what a server offers, no login, no mail
    check,             // --check: configuration, password, connection, TLS, AUTH; no mail
    test_message,      // --test-message ADDR: send a generated test message
    list_accounts,     // --list-accounts: the account names, for completion and scripts
    list_options,      // --list-options: every option, for completion and the doc tests
    list_config_keys,  // --list-config-keys: every configuration key as a dotted path
    version,           // --version
    help,              // --help
};

struct Options {
    Mode mode = Mode::send;
    std::string invoked_as;  // basename of argv[0]

    bool recipients_from_headers = false;    // -t
    bool dot_ends_input = true;              // cleared by -i / -oi / msmtp's spellings
    std::optional<std::string> sender;       // -f / -r / --from, raw (validated later)
    bool sender_from_header = false;         // --read-envelope-from: the From: address
    std::optional<std::string> full_name;    // -F
    std::optional<std::string> dsn_notify;   // -N: "never" or a subset of success,delay,failure
    std::optional<std::string> dsn_ret;      // -R: "full" or "hdrs"
    std::optional<std::string> dsn_envid;    // -V
    std::optional<std::string> body_type;    // -B: "7BIT" or "8BITMIME"
    std::optional<std::string> config_file;  // -C / --config; --system: /etc/okuru.toml
    bool system_only = false;                // --system
    std::optional<std::string> account;      // -a / --account
    std::optional<std::string> log_file;     // -X
    int verbose = 0;                         // -v (repeatable)
    bool pretend = false;                    // --pretend

    // --serverinfo / --check: a server named on the command line instead of an account.
    std::optional<std::string> host;          // --host
    std::optional<std::uint16_t> port;        // --port
    std::optional<TlsMode> tls;               // --tls
    std::optional<std::string> test_address;  // --test-message ADDR (raw)

    std::vector<std::string> recipients;  // raw, in order (validated later)
    // Options accepted for compatibility and ignored, as given: "-oem", "-Lcron" when the
    // value was glued, "-L cron" when it was a separate argument.
    std::vector<std::string> ignored;

    friend bool operator==(const Options&, const Options&) = default;
};

// Parses argv (args[0] is the program name, which selects mailq/newaliases modes).
// Short options follow sendmail's getopt: flags cluster (-ti), values are glued or the
// next argument (-fme@x, -f me@x). Options may come after recipients; everything after
// "--" is a recipient, taken verbatim. A separate value starting with '-' is refused, and
// so is a sender (-f/-r) starting with '-', so an address can never become an option
// (CVE-2016-10033). --help wins over --version, which wins over every other mode.
// --host, --port and --tls belong to --serverinfo and --check only; those modes and
// the --list-* modes take no recipients. The options are those of options_table.hpp.
// Throws Error(Exit::usage) naming the offending option or argument.
Options parse_command_line(std::span<const std::string> args);

// The text printed by --help.
std::string usage_text();

// The text printed by --list-options: one option per line, "SPELLING<TAB>DESCRIPTION",
// the spelling being "-t", "--pretend" (no value), "-f ADDR", "--config=FILE" (a value,
// glued or the next argument; after '=' or the next argument), "-q[TIME]" (an optional
// value, glued only). Options accepted and ignored have a description starting with
// "ignored". Documented in okuru(8).
std::string option_list_text();

}  // namespace okuru
