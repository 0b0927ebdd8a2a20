// sendmail-compatible argv parsing, driven by the option table (options_table.hpp):
// this file knows how an option is written (clusters, glued values, "--opt=value")
// and what each action does; which options exist is the table's business. What
// msmtp's own switches and settings mean is in cli_msmtp.cpp.
#include "config/cli.hpp"

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <vector>

#include "base/errors.hpp"
#include "base/log.hpp"
#include "base/privilege.hpp"
#include "base/text.hpp"
#include "config/cli_msmtp.hpp"
#include "config/options_table.hpp"

namespace okuru {
namespace {

// RFC 3461 4.4: ENVID is at most 100 characters of printable US-ASCII.
constexpr std::size_t max_envid = 100;

[[noreturn]] void usage(const std::string& message) {
    throw Error(Exit::usage, message);
}

// "invalid -R value 'x': use FULL or HDRS"; `use` says what the value may be.
[[noreturn]] void invalid_value(std::string_view option, std::string_view value,
                                const std::string& use) {
    usage("invalid " + std::string(option) + " value '" + log::escape(value) + "': use " + use);
}

bool has_control(std::string_view s) {
    return std::any_of(s.begin(), s.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// -N (or msmtp's --dsn-notify, named as given): "never", or a comma list of
// success, delay, failure (RFC 3461 4.1).
std::string parse_notify(std::string_view option, std::string_view value) {
    const auto bad = [option, value] {
        invalid_value(option, value, "never, or a comma list of success, delay, failure");
    };
    std::vector<std::string> items;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = value.find(',', start);
        const std::string item = ascii_upper(
            trim(value.substr(start, comma == std::string_view::npos ? comma : comma - start)));
        if (item != "NEVER" && item != "SUCCESS" && item != "DELAY" && item != "FAILURE") {
            bad();
        }
        if (std::find(items.begin(), items.end(), item) == items.end()) items.push_back(item);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    // RFC 3461 4.1: NEVER must not be combined with the other keywords.
    if (items.size() > 1 && std::find(items.begin(), items.end(), "NEVER") != items.end()) {
        bad();
    }
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
    return out;
}

// A row's value that lists its choices: "full|hdrs" -> {"full", "hdrs"}.
std::vector<std::string_view> choices_of(const OptionRow& row) {
    std::vector<std::string_view> out;
    std::string_view rest = row.value;
    for (auto bar = rest.find('|'); bar != std::string_view::npos; bar = rest.find('|')) {
        out.push_back(rest.substr(0, bar));
        rest.remove_prefix(bar + 1);
    }
    out.push_back(rest);
    return out;
}

// "a, b or c", for messages.
std::string or_list(const std::vector<std::string>& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i)
        out += (i == 0 ? "" : i + 1 == items.size() ? " or " : ", ") + items[i];
    return out;
}

// A value that must be one of the row's choices, compared case-insensitively,
// returned upper-cased.
std::string parse_choice(const OptionRow& row, std::string_view value) {
    const std::string u = ascii_upper(value);
    std::vector<std::string> upper;
    for (std::string_view choice : choices_of(row)) upper.push_back(ascii_upper(choice));
    if (std::find(upper.begin(), upper.end(), u) != upper.end()) return u;
    invalid_value(row.name, value, or_list(upper));
}

// sendmail reads a boolean option's value by its first letter; none means true.
bool sendmail_boolean(std::string_view value) {
    return value.empty() || std::string_view("tTyY").find(value[0]) != std::string_view::npos;
}

class Parser {
  public:
    explicit Parser(std::span<const std::string> args) : args_(args) {}

    Options run() {
        if (!args_.empty()) {
            const std::string& name = args_[0];
            const auto slash = name.rfind('/');
            opt_.invoked_as = slash == std::string::npos ? name : name.substr(slash + 1);
        }
        if (opt_.invoked_as.empty()) opt_.invoked_as = "okuru";
        // Invoked as mailq or newaliases: the table's program rows choose the mode.
        if (const OptionRow* row = find_option(opt_.invoked_as);
            row && !row->name.starts_with('-') && row->action == Action::mode) {
            opt_.mode = row->mode;
        }

        bool options_ended = false;
        while (next_ < args_.size()) {
            const std::string& arg = args_[next_++];
            if (options_ended) {
                opt_.recipients.push_back(arg);
            } else if (arg == "--") {
                options_ended = true;
            } else if (arg.starts_with("--")) {
                long_option(arg);
            } else if (arg == "-") {
                usage("invalid argument '-' (recipients after -- are taken verbatim)");
            } else if (arg.starts_with('-')) {
                short_options(arg);
            } else {
                opt_.recipients.push_back(arg);
            }
        }
        msmtp_tls_.resolve(opt_.tls);
        if (help_) {
            opt_.mode = Mode::help;
        } else if (version_) {
            opt_.mode = Mode::version;
        } else {
            check_mode_options();
        }
        return opt_;
    }

  private:
    // Options that only make sense in one mode are refused elsewhere, so that a
    // mistyped command line does not do something other than what was meant.
    void check_mode_options() const {
        const bool probe = opt_.mode == Mode::serverinfo || opt_.mode == Mode::check;
        const bool lists = opt_.mode == Mode::list_accounts || opt_.mode == Mode::list_options ||
                           opt_.mode == Mode::list_config_keys;
        // msmtp sends through --host; okuru sends through accounts only, so that
        // every submission has its TLS and login settings from the configuration.
        if (!probe && (opt_.host || opt_.port || opt_.tls))
            usage(
                "--host, --port and --tls go with --serverinfo or --check; to send "
                "through a server, write it as an account in okuru.toml (host, port, tls) "
                "and choose it with -a");
        if (opt_.host && opt_.account)
            usage("--host names a server directly: it cannot be combined with -a");
        if (opt_.host && opt_.config_file)
            usage("--host names a server directly: no configuration is read, so -C has no use");
        if ((probe || lists) && (opt_.recipients_from_headers || opt_.pretend || opt_.sender ||
                                 opt_.sender_from_header)) {
            usage(std::string(opt_.recipients_from_headers ? "-t"
                              : opt_.pretend               ? "--pretend"
                              : opt_.sender                ? "-f"
                                                           : "--read-envelope-from") +
                  " has no meaning with " + mode_option_);
        }
        if (lists && opt_.account) usage("-a cannot be combined with " + mode_option_);
        if (lists && opt_.mode != Mode::list_accounts && opt_.config_file)
            usage(mode_option_ + " reads no configuration: -C has no use");
        // -bs: the envelope comes from the SMTP client.
        if (opt_.mode == Mode::smtp_stdio &&
            (opt_.recipients_from_headers || opt_.sender_from_header || opt_.pretend))
            usage("-t, --read-envelope-from and --pretend have no meaning with -bs");
        const bool no_recipients =
            probe || lists || opt_.mode == Mode::test_message || opt_.mode == Mode::smtp_stdio;
        if (no_recipients && !opt_.recipients.empty()) {
            usage("unexpected argument '" + log::escape(opt_.recipients.front()) + "' with " +
                  mode_option_);
        }
    }

    // Every option that chooses a mode goes through here. Among sendmail's own
    // (-b, -q, -I) the last wins, as in sendmail; okuru's long modes refuse any
    // other mode instead of being overridden in silence (--check -q checks nothing).
    void set_mode(Mode mode, const std::string& option) {
        if (!mode_option_.empty() && opt_.mode != mode &&
            (option.starts_with("--") || mode_option_.starts_with("--")))
            usage(option + " cannot be combined with " + mode_option_);
        mode_option_ = option;
        opt_.mode = mode;
    }

    // The value of an option whose argument was not glued: the next argument, which must
    // not look like an option (a forgotten value would otherwise swallow the next flag).
    std::string separate_value(const std::string& option) {
        if (next_ >= args_.size()) usage("option " + option + " requires an argument");
        const std::string& value = args_[next_];
        if (value.starts_with('-')) {
            usage("option " + option + " requires a value, but the next argument '" +
                  log::escape(value) + "' starts with '-'");
        }
        ++next_;
        return value;
    }

    // An option whose value is the next argument: `as_given` is "-f me@x".
    void apply_separate(const OptionRow& row, const std::string& option) {
        const std::string value = separate_value(option);
        apply(row, value, option + " " + value);
    }

    // --name, --name=value, --name value.
    void long_option(const std::string& arg) {
        const auto eq = arg.find('=');
        const std::string name = arg.substr(0, eq);
        const bool has_value = eq != std::string::npos;
        const OptionRow* row = find_option(name);
        if (!row) unknown(name);
        // msmtp's --tls alone means on; okuru's "--tls implicit" takes the next argument.
        if (row->action == Action::tls && !has_value &&
            (next_ >= args_.size() || !msmtp_tls_value(args_[next_]))) {
            apply(*row, "on", name);
        } else if (row->takes == Takes::nothing) {
            if (has_value) usage("option " + log::escape(name) + " takes no value");
            apply(*row, "", name);
        } else if (has_value || row->takes == Takes::glued) {
            apply(*row, has_value ? arg.substr(eq + 1) : "", arg);
        } else {
            apply_separate(*row, name);
        }
    }

    // One argument of clustered short options, getopt style: flags until a letter that
    // takes a value, which consumes the rest of the argument or the next one (or only
    // the rest, for an optional value: -q15m).
    void short_options(const std::string& arg) {
        for (std::size_t i = 1; i < arg.size(); ++i) {
            const std::string option = "-" + std::string(1, arg[i]);
            const OptionRow* row = find_option(option);
            if (!row) unknown(option);
            const std::string rest = arg.substr(i + 1);
            switch (row->takes) {
                case Takes::nothing:
                    apply(*row, "", option);
                    continue;
                case Takes::glued:
                    apply(*row, rest, option + rest);
                    return;
                case Takes::value:
                    if (!rest.empty()) {
                        apply(*row, rest, option + rest);
                    } else {
                        apply_separate(*row, option);
                    }
                    return;
            }
        }
    }

    [[noreturn]] void unknown(const std::string& option) const {
        usage("unknown option " + log::escape(option) + " (see " + opt_.invoked_as + " --help)");
    }

    // What a row does with its value. `as_given` is how the option appeared ("-Lcron",
    // "-L cron", "-o em"), for Options::ignored and the messages.
    void apply(const OptionRow& row, const std::string& value, const std::string& as_given) {
        const std::string name(row.name);
        // A command line written for msmtp: a lone dot is text, as in msmtp.
        if (msmtp_spelling(name)) opt_.dot_ends_input = false;
        switch (row.action) {
            case Action::recipients_from_headers:
                opt_.recipients_from_headers = true;
                break;
            case Action::dot_not_end:
                opt_.dot_ends_input = false;
                break;
            case Action::dot_not_end_boolean:
                opt_.dot_ends_input = !sendmail_boolean(value);
                break;
            case Action::verbose:
                ++opt_.verbose;
                break;
            case Action::verbose_boolean:
                if (sendmail_boolean(value)) ++opt_.verbose;
                break;
            case Action::sender:
                // An envelope sender never starts with '-': refusing it keeps an injected
                // "-f -X/path" or "-f-X/path" from being read as anything but an error.
                if (value.starts_with('-')) {
                    usage("invalid sender address '" + log::escape(value) + "' after " + name +
                          ": an address may not start with '-'");
                }
                opt_.sender = value;
                break;
            case Action::full_name:
                if (has_control(value)) {
                    usage("invalid full name after " + name + ": '" + log::escape(value) +
                          "' contains control characters");
                }
                opt_.full_name = value;
                break;
            case Action::dsn_notify:
                // msmtp's "off": request nothing, as without the option.
                if (value == "off") {
                    opt_.dsn_notify.reset();
                } else {
                    opt_.dsn_notify = parse_notify(name, value);
                }
                break;
            case Action::dsn_ret:
                // msmtp's spellings: "off" requests nothing, "headers" is hdrs.
                if (value == "off") {
                    opt_.dsn_ret.reset();
                } else {
                    opt_.dsn_ret = parse_choice(row, value == "headers" ? "hdrs" : value);
                }
                break;
            case Action::dsn_envid:
                if (value.empty() || value.size() > max_envid ||
                    std::any_of(value.begin(), value.end(), [](char ch) {
                        return static_cast<unsigned char>(ch) <= 0x20 ||
                               static_cast<unsigned char>(ch) > 0x7e;
                    })) {
                    usage("invalid envelope id after " + name + ": '" + log::escape(value) +
                          "' (1 to 100 printable ASCII characters, RFC 3461)");
                }
                opt_.dsn_envid = value;
                break;
            case Action::body_type:
                opt_.body_type = parse_choice(row, value);
                break;
            case Action::config_file:
                if (opt_.system_only) usage(name + " cannot be combined with --system");
                opt_.config_file = non_empty(name, value);
                break;
            case Action::system_only:
                // The same as -C /etc/okuru.toml, said so that it cannot be mistyped
                // or combined with another file (see okuru(8), SYSTEM-WIDE USE).
                if (opt_.config_file && !opt_.system_only)
                    usage("--system cannot be combined with -C");
                opt_.system_only = true;
                opt_.config_file = system_config_path;
                break;
            case Action::account:
                opt_.account = non_empty(name, value);
                break;
            case Action::log_file:
                opt_.log_file = non_empty(name, value);
                break;
            case Action::pretend:
                opt_.pretend = true;
                break;
            case Action::help:
                help_ = true;
                break;
            case Action::version:
                version_ = true;
                break;
            case Action::mode:
                // -q's argument is part of how it was given ("-q15m"); every other mode
                // option is named as the table names it ("-bp" also for "-b p").
                set_mode(row.mode, row.takes == Takes::glued ? as_given : name);
                break;
            case Action::test_message:
                set_mode(row.mode, name);
                if (value.empty() || value.starts_with('-'))
                    usage(name + " needs a recipient address");
                opt_.test_address = value;
                break;
            case Action::host:
                opt_.host = non_empty(name, value);
                break;
            case Action::port:
                opt_.port = parse_port(name, value);
                break;
            case Action::tls:
                // okuru's mode word, or msmtp's on and off.
                opt_.tls = msmtp_tls_.tls(value);
                if (!opt_.tls) {
                    const auto choices = choices_of(row);
                    invalid_value(name, value, or_list({choices.begin(), choices.end()}));
                }
                break;
            case Action::sendmail_mode: {
                // -bX: the operating mode; only the rows named "-bX" exist.
                const OptionRow* mode = value.empty() ? nullptr : find_option(name + value);
                if (!mode || mode->action != Action::mode)
                    usage("unsupported mode " + name + log::escape(value) + " (see okuru(8))");
                apply(*mode, "", as_given);
                break;
            }
            case Action::sendmail_option: {
                // -oX[value]: a sendmail configuration option given on the command line;
                // a letter without a row is refused, so a mistake does not pass silently.
                const OptionRow* option =
                    value.empty() ? nullptr : find_option(name + value.substr(0, 1));
                if (!option)
                    usage("unsupported sendmail option '" + log::escape(as_given) +
                          "' (see okuru(8))");
                apply(*option, value.substr(1), as_given);
                break;
            }
            case Action::tls_starttls:
                if (!msmtp_tls_.starttls(value)) invalid_value(name, value, "on or off");
                break;
            case Action::sender_from_header:
                opt_.sender_from_header = true;
                break;
            case Action::ignore:
                opt_.ignored.push_back(as_given);
                break;
            case Action::same_as_okuru:
                msmtp_same_as_okuru(row, value, as_given);
                opt_.ignored.push_back(as_given);
                break;
            case Action::refuse:
                msmtp_refuse(row);
        }
    }

    static std::uint16_t parse_port(const std::string& name, const std::string& value) {
        unsigned long port = 0;
        const bool digits =
            !value.empty() && value.size() <= 5 &&
            std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (digits) port = std::stoul(value);
        if (!digits || port == 0 || port > 65535) invalid_value(name, value, "1 to 65535");
        return static_cast<std::uint16_t>(port);
    }

    static std::string non_empty(const std::string& option, const std::string& value) {
        if (value.empty()) usage("option " + log::escape(option) + " requires a non-empty value");
        return value;
    }

    std::span<const std::string> args_;
    std::size_t next_ = 1;
    Options opt_;
    bool help_ = false;
    bool version_ = false;
    std::string mode_option_;  // the long option that chose the mode, if any
    MsmtpTls msmtp_tls_;       // --tls, with msmtp's --tls-starttls
};

}  // namespace

Options parse_command_line(std::span<const std::string> args) {
    return Parser(args).run();
}

std::string usage_text() {
    return "Usage: okuru [options] [--] [recipient ...]\n"
           "       okuru --check | --serverinfo | --test-message ADDR | --resend-failed\n"
           "       okuru --list-accounts | --list-options | --list-config-keys\n"
           "       mailq | newaliases\n"
           "Reads a message on standard input and submits it to the SMTP relay chosen by\n"
           "the configuration (a sendmail-compatible submission agent, no queue, no daemon).\n"
           "\n" +
           help_option_lines() +
           "Exit status follows sysexits(3): 75 means try again later. See okuru(8).\n";
}

std::string option_list_text() {
    std::string out;
    for (const OptionRow& row : option_table()) {
        // Program names (mailq) are no options; -b and -o appear as their rows (-bm, -oi).
        // msmtp's refused options are offered nowhere.
        if (row.shown == Shown::hidden || row.shown == Shown::refused || !row.name.starts_with('-'))
            continue;
        out += spelling(row) + "\t" + std::string(description_of(row)) + "\n";
    }
    return out;
}

}  // namespace okuru
