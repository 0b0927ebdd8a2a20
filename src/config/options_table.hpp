// The command line's one table: every option okuru accepts, what it does, and
// how --help and --list-options show it. The parser (cli.cpp) and both texts
// read only this table, and the shell completions and the doc tests read
// --list-options: a new spelling of an existing action is one row.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "config/cli.hpp"

namespace okuru {

// What follows the option's name.
enum class Takes {
    nothing,  // -t, --pretend
    value,    // -f ADDR / -fADDR; --config FILE / --config=FILE
    glued,    // an optional value, glued only: -q15m, -oiTrue (-q 15m is -q and a recipient)
};

// What the parser does with the option (see Parser::apply in cli.cpp).
enum class Action {
    recipients_from_headers,  // -t
    dot_not_end,              // -i
    dot_not_end_boolean,      // -oi[BOOL]: sendmail's boolean spelling
    verbose,                  // -v, --verbose
    verbose_boolean,          // -ov[BOOL]
    sender,                   // -f, -r
    full_name,                // -F
    dsn_notify,               // -N
    dsn_ret,                  // -R: one of the row's choices
    dsn_envid,                // -V
    body_type,                // -B: one of the row's choices
    config_file,              // -C, --config
    system_only,              // --system: the system configuration, whatever else says
    account,                  // -a, --account
    log_file,                 // -X
    pretend,                  // --pretend
    help,                     // --help (wins over every mode)
    version,                  // --version (wins over every mode but --help)
    mode,                     // chooses OptionRow::mode
    test_message,             // --test-message ADDR: a mode with a value
    host,                     // --host
    port,                     // --port
    tls,                      // --tls: a mode, or msmtp's on/off
    tls_starttls,             // --tls-starttls[=on|off]: msmtp's choice between the TLS modes
    sender_from_header,       // --read-envelope-from: the sender is From:'s address
    sendmail_mode,            // -b X: runs the row named "-bX"
    sendmail_option,          // -o X[value]: runs the row named "-oX"
    ignore,                   // accepted for sendmail compatibility, recorded as given
    same_as_okuru,            // msmtp's setting okuru always has: its value (or none) accepted
                              // and recorded as ignored, any other value refused
    refuse,                   // msmtp's option with no okuru counterpart: refused (64) with
                              // the description, which names the okuru way
};

// How --help shows the row. Every row but `hidden` is in --list-options.
enum class Shown {
    line,     // starts a line of --help with its description
    joined,   // on the line of the row above (a synonym or a related option)
    ignored,  // named in --help's paragraph of ignored options
    hidden,   // -b and -o themselves: their rows "-bm", "-oi", ... are listed instead
    refused,  // msmtp's options okuru refuses: in neither --help nor --list-options
};

struct OptionRow {
    // "-t", "--config", "-bm" (reached through -b), "-oi" (through -o), or a program
    // name ("mailq") that selects `mode` when okuru is invoked under it.
    std::string_view name;
    Takes takes;
    // What the value is, for --help and --list-options. The completions choose a
    // value completer by it: FILE, CONFIG (a configuration file: the completions read
    // the accounts from it), ACCOUNT, ADDR, HOST, PORT, NOTIFY, or the choices
    // themselves ("full|hdrs"), which the parser enforces for -R and -B.
    std::string_view value;
    Action action;
    Mode mode;  // for Action::mode
    Shown shown;
    // One line. Empty: the row above's (a synonym). --help shows only the description
    // of a `line` row, for its `joined` rows too.
    std::string_view description;
};

// Every row, in the order of --help.
std::span<const OptionRow> option_table();

// The row named exactly `name` ("-f", "--config", "-bm", "mailq"), or null.
const OptionRow* find_option(std::string_view name);

// Whether `name` is one of msmtp's own spellings ("--read-envelope-from", "-d",
// "--remove-bcc-headers"), not sendmail's or okuru's. msmtp reads its input to the
// end, so a command line that uses one reads the message as with -i (mutt sets
// sendmail to msmtp's line without sendmail's -oi).
bool msmtp_spelling(std::string_view name);

// A row's description, taken from the row above when it has none.
std::string_view description_of(const OptionRow& row);

// How the row is written: "-t", "-f ADDR", "--config=FILE", "-q[TIME]".
std::string spelling(const OptionRow& row);

// The option lines of --help (after the synopsis): one line per `line` row with
// its `joined` rows, then the paragraph of ignored options.
std::string help_option_lines();

}  // namespace okuru
