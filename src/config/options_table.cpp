// The option table and the --help lines drawn from it. The set follows
// sendmail(8) and Postfix's sendmail(1); why each ignored option is ignored is
// in "IGNORED OPTIONS" of doc/okuru.8.
#include "config/options_table.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

namespace okuru {
namespace {

using enum Takes;
using enum Action;
using enum Shown;

constexpr Mode no_mode = Mode::send;  // Action::mode is the only reader of OptionRow::mode

// clang-format off
constexpr auto table = std::to_array<OptionRow>({
    // The message and its envelope.
    {"-t", nothing, "", recipients_from_headers, no_mode, line,
     "also take recipients from To/Cc/Bcc (Resent-* if present)"},
    {"--read-recipients", nothing, "", recipients_from_headers, no_mode, joined, ""},
    {"-i", nothing, "", dot_not_end, no_mode, line,
     "a line with a single dot does not end the message"},
    {"-oi", glued, "BOOL", dot_not_end_boolean, no_mode, joined, ""},
    {"-f", value, "ADDR", sender, no_mode, line, "envelope sender"},
    {"-r", value, "ADDR", sender, no_mode, joined, ""},
    {"--from", value, "ADDR", sender, no_mode, joined, ""},
    {"--read-envelope-from", nothing, "", sender_from_header, no_mode, line,
     "the envelope sender is the address of the From: header (msmtp's option)"},
    {"-F", value, "NAME", full_name, no_mode, line, "full name for a generated From: header"},
    {"-N", value, "NOTIFY", dsn_notify, no_mode, line,
     "never, or a comma list of success,delay,failure (DSN)"},
    {"--dsn-notify", value, "NOTIFY", dsn_notify, no_mode, joined, ""},
    {"-R", value, "full|hdrs", dsn_ret, no_mode, line, "what a bounce returns (DSN)"},
    {"--dsn-return", value, "full|hdrs", dsn_ret, no_mode, joined, ""},
    {"-V", value, "ENVID", dsn_envid, no_mode, line, "DSN envelope identifier"},
    {"-B", value, "7BIT|8BITMIME", body_type, no_mode, line, "body type"},
    // Configuration and account.
    {"-C", value, "CONFIG", config_file, no_mode, line,
     "configuration file (default: $OKURU_CONFIG, ~/.config/okuru/config.toml, "
     "/etc/okuru.toml)"},
    {"--config", value, "CONFIG", config_file, no_mode, joined, ""},
    {"--file", value, "CONFIG", config_file, no_mode, joined, ""},
    {"--system", nothing, "", system_only, no_mode, line,
     "use /etc/okuru.toml only, whatever $OKURU_CONFIG, $HOME or $XDG_CONFIG_HOME say "
     "(for callers such as sudo's mailer)"},
    {"-a", value, "ACCOUNT", account, no_mode, line, "use this account, whatever the routes say"},
    {"--account", value, "ACCOUNT", account, no_mode, joined, ""},
    // Diagnostics.
    {"-v", nothing, "", verbose, no_mode, line, "show the SMTP dialogue (twice: more detail)"},
    {"--verbose", nothing, "", verbose, no_mode, joined, ""},
    {"-d", nothing, "", verbose, no_mode, joined, ""},
    {"--debug", nothing, "", verbose, no_mode, joined, ""},
    {"-ov", glued, "BOOL", verbose_boolean, no_mode, joined, ""},
    {"-X", value, "FILE", log_file, no_mode, line, "append the log to FILE"},
    {"--logfile", value, "FILE", log_file, no_mode, joined, ""},
    {"--pretend", nothing, "", pretend, no_mode, line,
     "show account, relay, envelope and headers; send nothing"},
    {"-P", nothing, "", pretend, no_mode, joined, ""},
    {"--resend-failed", nothing, "", mode, Mode::resend_failed, line,
     "retry the kept messages that are due (what the resend timer runs)"},
    {"--check", nothing, "", mode, Mode::check, line,
     "check the configuration, password, connection, TLS and login of the account given "
     "with -a (default: every account); sends no mail"},
    {"--serverinfo", nothing, "", mode, Mode::serverinfo, line,
     "show what the server of an account (-a) or of --host offers: greeting, TLS, "
     "certificate, capabilities; no login, no mail"},
    {"-S", nothing, "", mode, Mode::serverinfo, joined, ""},
    {"--host", value, "HOST", host, no_mode, line,
     "with --serverinfo or --check: a server without configuration"},
    {"--port", value, "PORT", port, no_mode, joined, "the port of --host, or of the accounts"},
    {"--tls", value, "starttls|implicit|none", tls, no_mode, joined,
     "the TLS mode of --host, or of the accounts"},
    {"--tls-starttls", glued, "on|off", tls_starttls, no_mode, line,
     "msmtp's choice for --tls: on is starttls, off is implicit"},
    {"--test-message", value, "ADDR", test_message, Mode::test_message, line,
     "send a short test message to ADDR"},
    {"--list-accounts", nothing, "", mode, Mode::list_accounts, line,
     "print the account names of the configuration"},
    {"--list-options", nothing, "", mode, Mode::list_options, line,
     "print every option okuru accepts, one per line (see okuru(8))"},
    {"--list-config-keys", nothing, "", mode, Mode::list_config_keys, line,
     "print every configuration key as a dotted TOML path, one per line"},
    // sendmail's modes; -b takes the letter glued or as the next argument.
    {"-b", value, "MODE", sendmail_mode, no_mode, hidden, "a sendmail mode: -bm, -bp, ..."},
    {"-bm", nothing, "", mode, Mode::send, line, "read a message and send it (the default)"},
    {"-bp", nothing, "", mode, Mode::print_queue, line,
     "list the messages kept after failed submissions"},
    {"-bP", nothing, "", mode, Mode::print_queue, joined, ""},
    {"mailq", nothing, "", mode, Mode::print_queue, joined, ""},
    {"-q", glued, "TIME", mode, Mode::run_queue, line,
     "retry every kept message now, due or not (TIME is ignored)"},
    {"-bi", nothing, "", mode, Mode::newaliases, line,
     "aliases live in the configuration: exits 0"},
    {"-I", nothing, "", mode, Mode::newaliases, joined, ""},
    {"newaliases", nothing, "", mode, Mode::newaliases, joined, ""},
    {"-bs", nothing, "", mode, Mode::smtp_stdio, line, "speak SMTP on standard input and output"},
    {"-bd", nothing, "", mode, Mode::smtp_server, line, "no daemon mode: exits 64"},
    {"-bD", nothing, "", mode, Mode::smtp_server, joined, ""},
    {"-bl", nothing, "", mode, Mode::smtp_server, joined, ""},
    {"--version", nothing, "", version, no_mode, line, "print the version"},
    {"--help", nothing, "", help, no_mode, line, "print this text"},
    // sendmail's -o options, the letter glued or as the next argument and any value
    // glued to the letter (-oem, -o em). Letters not listed are refused.
    {"-o", value, "OPTION", sendmail_option, no_mode, hidden, "a sendmail option: -oi, -oem, ..."},
    {"-oe", glued, "VALUE", ignore, no_mode, ignored, "ignored: how errors are reported"},
    {"-od", glued, "VALUE", ignore, no_mode, ignored, "ignored: the delivery mode"},
    {"-oQ", glued, "VALUE", ignore, no_mode, ignored, "ignored: the queue directory"},
    {"-oT", glued, "VALUE", ignore, no_mode, ignored, "ignored: the queue lifetime"},
    {"-oc", glued, "VALUE", ignore, no_mode, ignored, "ignored: holding back expensive mailers"},
    {"-oC", glued, "VALUE", ignore, no_mode, ignored, "ignored: the checkpoint interval"},
    {"-ob", glued, "VALUE", ignore, no_mode, ignored, "ignored: free disk space for the queue"},
    {"-os", glued, "VALUE", ignore, no_mode, ignored, "ignored: syncing queue files"},
    {"-oL", glued, "VALUE", ignore, no_mode, ignored, "ignored: sendmail's log level"},
    {"-om", glued, "VALUE", ignore, no_mode, ignored, "ignored: the sender in alias lists"},
    {"-o7", glued, "VALUE", ignore, no_mode, ignored, "ignored: seven-bit input"},
    {"-o8", glued, "VALUE", ignore, no_mode, ignored, "ignored: eight-bit mode"},
    {"-oA", glued, "VALUE", ignore, no_mode, ignored, "ignored: the alias file"},
    {"-oM", glued, "VALUE", ignore, no_mode, ignored, "ignored: a sendmail macro"},
    {"-oh", glued, "VALUE", ignore, no_mode, ignored, "ignored: the hop count limit"},
    {"-oj", glued, "VALUE", ignore, no_mode, ignored, "ignored: error messages in MIME"},
    {"-oo", glued, "VALUE", ignore, no_mode, ignored, "ignored: old-style address lists"},
    {"-op", glued, "VALUE", ignore, no_mode, ignored, "ignored: privacy options"},
    {"-or", glued, "VALUE", ignore, no_mode, ignored, "ignored: timeouts"},
    {"-ot", glued, "VALUE", ignore, no_mode, ignored, "ignored: the time zone"},
    // The other sendmail options that make no difference to a submission.
    {"-e", value, "X", ignore, no_mode, ignored, "ignored: how errors are reported"},
    {"-L", value, "TAG", ignore, no_mode, ignored, "ignored: the syslog tag"},
    {"-h", value, "HOPS", ignore, no_mode, ignored, "ignored: the hop count"},
    {"-O", value, "OPT=VAL", ignore, no_mode, ignored, "ignored: a sendmail option by name"},
    {"-A", value, "X", ignore, no_mode, ignored, "ignored: submit.cf or sendmail.cf"},
    {"-p", value, "PROTO", ignore, no_mode, ignored, "ignored: the protocol for Received:"},
    {"-G", nothing, "", ignore, no_mode, ignored, "ignored: a gateway submission"},
    {"-U", nothing, "", ignore, no_mode, ignored, "ignored: an initial user submission"},
    {"-m", nothing, "", ignore, no_mode, ignored, "ignored: the sender in alias lists"},
    {"-n", nothing, "", ignore, no_mode, ignored, "ignored: do not expand aliases"},
    // msmtp's settings that okuru always has: the value that means okuru's
    // behaviour (or none) is accepted, any other is refused (okuru(8), MSMTP OPTIONS).
    {"--remove-bcc-headers", glued, "on", same_as_okuru, no_mode, ignored,
     "ignored: okuru always removes Bcc: headers"},
    {"--set-from-header", glued, "auto", same_as_okuru, no_mode, ignored,
     "ignored: okuru adds From: when the message has none"},
    {"--set-date-header", glued, "auto", same_as_okuru, no_mode, ignored,
     "ignored: okuru adds Date: when the message has none"},
    {"--set-msgid-header", glued, "auto", same_as_okuru, no_mode, ignored,
     "ignored: okuru adds Message-ID: when the message has none"},
    {"--undisclosed-recipients", glued, "off", same_as_okuru, no_mode, ignored,
     "ignored: okuru leaves To: and Cc: as written"},
    // msmtp's options with no okuru counterpart on the command line: refused with
    // the okuru way, never ignored (okuru(8), MSMTP OPTIONS).
    {"--configure", glued, "ADDR", refuse, no_mode, refused,
     "write an account in okuru.toml (okuru.toml(5)), then run okuru --check"},
    {"--rmqs", glued, "HOST", refuse, no_mode, refused,
     "okuru cannot ask a server to run its queue; use the server's own tools"},
    {"--source-ip", glued, "IP", refuse, no_mode, refused,
     "okuru connects from the address the system chooses"},
    {"--proxy-host", glued, "HOST", refuse, no_mode, refused,
     "okuru does not use SOCKS proxies; connect to the relay directly"},
    {"--proxy-port", glued, "PORT", refuse, no_mode, refused,
     "okuru does not use SOCKS proxies; connect to the relay directly"},
    {"--socket", glued, "FILE", refuse, no_mode, refused,
     "okuru connects over TCP: set host and port of an account in okuru.toml"},
    {"--timeout", glued, "SECONDS", refuse, no_mode, refused,
     "set timeout (and connect_timeout) in okuru.toml"},
    {"--protocol", glued, "smtp|lmtp", refuse, no_mode, refused,
     "okuru speaks SMTP submission only; set host and port in okuru.toml"},
    {"--domain", glued, "NAME", refuse, no_mode, refused, "set ehlo in okuru.toml"},
    {"--auth", glued, "METHOD", refuse, no_mode, refused, "set auth in okuru.toml"},
    {"--user", glued, "NAME", refuse, no_mode, refused, "set user in okuru.toml"},
    {"--passwordeval", glued, "COMMAND", refuse, no_mode, refused,
     "set password_command in okuru.toml (a password never goes on the command line)"},
    {"--tls-trust-file", glued, "FILE", refuse, no_mode, refused, "set ca_file in okuru.toml"},
    {"--tls-crl-file", glued, "FILE", refuse, no_mode, refused,
     "okuru reads no CRL files; pin the certificate with fingerprint in okuru.toml"},
    {"--tls-fingerprint", glued, "HASH", refuse, no_mode, refused,
     "set fingerprint in okuru.toml"},
    {"--tls-key-file", glued, "FILE", refuse, no_mode, refused, "set client_key in okuru.toml"},
    {"--tls-cert-file", glued, "FILE", refuse, no_mode, refused,
     "set client_cert in okuru.toml"},
    {"--tls-certcheck", glued, "on|off", refuse, no_mode, refused,
     "okuru always checks certificates; set ca_file or fingerprint in okuru.toml"},
    {"--tls-priorities", glued, "PRIORITIES", refuse, no_mode, refused,
     "set tls_priority in okuru.toml"},
    {"--tls-host-override", glued, "HOST", refuse, no_mode, refused,
     "set host in okuru.toml to the name in the server's certificate"},
    {"--tls-min-dh-prime-bits", glued, "BITS", refuse, no_mode, refused,
     "set tls_priority in okuru.toml"},
    {"--logfile-time-format", glued, "FORMAT", refuse, no_mode, refused,
     "okuru's log lines have one format (okuru(8), LOGGING)"},
    {"--syslog", glued, "FACILITY", refuse, no_mode, refused, "set syslog in okuru.toml"},
    {"--aliases", glued, "FILE", refuse, no_mode, refused,
     "write aliases in the [aliases] table of okuru.toml"},
    {"--auto-from", glued, "on|off", refuse, no_mode, refused,
     "set domain in okuru.toml, or give -f"},
    {"--maildomain", glued, "DOMAIN", refuse, no_mode, refused, "set domain in okuru.toml"},
});
// clang-format on

// The rows above that only msmtp spells this way (see msmtp_spelling).
constexpr auto msmtp_only = std::to_array<std::string_view>({
    "--read-recipients",
    "--from",
    "--read-envelope-from",
    "--dsn-notify",
    "--dsn-return",
    "--file",
    "-d",
    "--debug",
    "--logfile",
    "-P",
    "-S",
    "--tls-starttls",
    "--remove-bcc-headers",
    "--set-from-header",
    "--set-date-header",
    "--set-msgid-header",
    "--undisclosed-recipients",
});

// --help's layout: options from column 2 (long ones from 6, under the short ones'
// names), descriptions from column 21, lines up to 79 columns.
constexpr std::size_t description_column = 21;
constexpr std::size_t width = 79;

// `text` broken into lines of at most `room` columns (a longer word stays whole).
std::vector<std::string> wrapped(std::string_view text, std::size_t first_room, std::size_t room) {
    std::vector<std::string> lines(1);
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find(' ', start);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view word = text.substr(start, end - start);
        std::string& current = lines.back();
        const std::size_t limit = lines.size() == 1 ? first_room : room;
        if (!current.empty() && current.size() + 1 + word.size() > limit) {
            lines.emplace_back(word);
        } else {
            if (!current.empty()) current += ' ';
            current += word;
        }
        start = end + 1;
    }
    return lines;
}

// How --help writes a row: a value after a space for long options too, as okuru(8)
// does ("--host HOST"); --list-options says "--host=HOST".
std::string help_spelling(const OptionRow& row) {
    return row.takes == value ? std::string(row.name) + " " + std::string(row.value)
                              : spelling(row);
}

// The left column of one --help line: the rows' spellings, with a value shared by
// all of them written once ("-C, --config FILE").
std::string names_of(std::span<const OptionRow> rows) {
    bool shared = rows.front().takes == value;
    for (const OptionRow& r : rows)
        shared = shared && r.takes == value && r.value == rows.front().value;
    std::string out = rows.front().name.starts_with("--") ? "      " : "  ";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i > 0) out += ", ";
        out += shared ? std::string(rows[i].name) : help_spelling(rows[i]);
    }
    if (shared) out += " " + std::string(rows.front().value);
    return out;
}

std::string help_line(std::span<const OptionRow> rows) {
    std::string left = names_of(rows);
    const std::string indent(description_column, ' ');
    std::vector<std::string> text;
    if (left.size() + 2 <= description_column) {
        left.resize(description_column, ' ');
        text = wrapped(rows.front().description, width - description_column,
                       width - description_column);
    } else if (left.size() + 2 < width - 30) {
        left += "  ";
        text = wrapped(rows.front().description, width - left.size(), width - description_column);
    } else {
        left += "\n" + indent;
        text = wrapped(rows.front().description, width - description_column,
                       width - description_column);
    }
    std::string out = left + text.front() + "\n";
    for (std::size_t i = 1; i < text.size(); ++i) out += indent + text[i] + "\n";
    return out;
}

}  // namespace

std::span<const OptionRow> option_table() {
    return table;
}

const OptionRow* find_option(std::string_view name) {
    for (const OptionRow& row : table)
        if (row.name == name) return &row;
    return nullptr;
}

bool msmtp_spelling(std::string_view name) {
    return std::find(msmtp_only.begin(), msmtp_only.end(), name) != msmtp_only.end();
}

std::string_view description_of(const OptionRow& row) {
    const OptionRow* r = &row;
    while (r->description.empty() && r != table.data()) --r;
    return r->description;
}

std::string spelling(const OptionRow& row) {
    const std::string name(row.name);
    switch (row.takes) {
        case nothing:
            return name;
        case value:
            return name + (row.name.starts_with("--") ? "=" : " ") + std::string(row.value);
        case glued:
            // A long option's optional value follows '=' (--tls-starttls=off).
            return name + (row.name.starts_with("--") ? "[=" : "[") + std::string(row.value) + "]";
    }
    return name;
}

std::string help_option_lines() {
    std::string out;
    std::string ignored_list;
    std::size_t i = 0;
    while (i < table.size()) {
        const OptionRow& row = table[i];
        if (row.shown == ignored) {
            // "-L TAG" stays on one line: its space is a '\x01' until wrapped.
            std::string item = row.takes == glued ? std::string(row.name) : help_spelling(row);
            std::replace(item.begin(), item.end(), ' ', '\x01');
            ignored_list += (ignored_list.empty() ? "" : ", ") + item;
        }
        if (row.shown != line) {
            ++i;
            continue;
        }
        std::size_t end = i + 1;
        while (end < table.size() && table[end].shown == joined) ++end;
        out += help_line(std::span(table).subspan(i, end - i));
        i = end;
    }
    out += "\n";
    for (const std::string& l :
         wrapped("Accepted and ignored (sendmail and msmtp compatibility): " + ignored_list +
                     ". An -o letter takes any value glued (-oem, -odi).",
                 width, width)) {
        out += l + "\n";
    }
    std::replace(out.begin(), out.end(), '\x01', ' ');
    return out;
}

}  // namespace okuru
