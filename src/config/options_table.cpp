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
    {"-i", nothing, "", dot_not_end, no_mode, line,
     "a line with a single dot does not end the message"},
    {"-oi", glued, "BOOL", dot_not_end_boolean, no_mode, joined, ""},
    {"-f", value, "ADDR", sender, no_mode, line, "envelope sender"},
    {"-r", value, "ADDR", sender, no_mode, joined, ""},
    {"-F", value, "NAME", full_name, no_mode, line, "full name for a generated From: header"},
    {"-N", value, "NOTIFY", dsn_notify, no_mode, line,
     "never, or a comma list of success,delay,failure (DSN)"},
    {"-R", value, "full|hdrs", dsn_ret, no_mode, line, "what a bounce returns (DSN)"},
    {"-V", value, "ENVID", dsn_envid, no_mode, line, "DSN envelope identifier"},
    {"-B", value, "7BIT|8BITMIME", body_type, no_mode, line, "body type"},
    // Configuration and account.
    {"-C", value, "CONFIG", config_file, no_mode, line,
     "configuration file (default: $OKURU_CONFIG, ~/.config/okuru/config.toml, "
     "/etc/okuru.toml)"},
    {"--config", value, "CONFIG", config_file, no_mode, joined, ""},
    {"--system", nothing, "", system_only, no_mode, line,
     "use /etc/okuru.toml only, whatever $OKURU_CONFIG, $HOME or $XDG_CONFIG_HOME say "
     "(for callers such as sudo's mailer)"},
    {"-a", value, "ACCOUNT", account, no_mode, line, "use this account, whatever the routes say"},
    {"--account", value, "ACCOUNT", account, no_mode, joined, ""},
    // Diagnostics.
    {"-v", nothing, "", verbose, no_mode, line, "show the SMTP dialogue (twice: more detail)"},
    {"--verbose", nothing, "", verbose, no_mode, joined, ""},
    {"-ov", glued, "BOOL", verbose_boolean, no_mode, joined, ""},
    {"-X", value, "FILE", log_file, no_mode, line, "append the log to FILE"},
    {"--pretend", nothing, "", pretend, no_mode, line,
     "show account, relay, envelope and headers; send nothing"},
    {"--resend-failed", nothing, "", mode, Mode::resend_failed, line,
     "retry the kept messages that are due (what the resend timer runs)"},
    {"--check", nothing, "", mode, Mode::check, line,
     "check the configuration, password, connection, TLS and login of the account given "
     "with -a (default: every account); sends no mail"},
    {"--serverinfo", nothing, "", mode, Mode::serverinfo, line,
     "show what the server of an account (-a) or of --host offers: greeting, TLS, "
     "certificate, capabilities; no login, no mail"},
    {"--host", value, "HOST", host, no_mode, line,
     "with --serverinfo or --check: a server without configuration"},
    {"--port", value, "PORT", port, no_mode, joined, "the port of --host, or of the accounts"},
    {"--tls", value, "starttls|implicit|none", tls, no_mode, joined,
     "the TLS mode of --host, or of the accounts"},
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
    {"-bs", nothing, "", mode, Mode::smtp_server, line, "no SMTP server or daemon mode: exits 64"},
    {"-bd", nothing, "", mode, Mode::smtp_server, joined, ""},
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
});
// clang-format on

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
            return name + "[" + std::string(row.value) + "]";
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
         wrapped("Accepted and ignored (sendmail compatibility): " + ignored_list +
                     ". An -o letter takes any value glued (-oem, -odi).",
                 width, width)) {
        out += l + "\n";
    }
    std::replace(out.begin(), out.end(), '\x01', ' ');
    return out;
}

}  // namespace okuru
