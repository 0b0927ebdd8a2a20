// sendmail-compatible argv parsing. The option set follows sendmail(8) and Postfix's
// sendmail(1); which options are ignored and why is documented in doc/okuru.8.
#include "config/cli.hpp"

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "base/errors.hpp"
#include "base/log.hpp"
#include "base/text.hpp"

namespace okuru {
namespace {

// sendmail's getopt letters that take a value (glued, or the next argument).
constexpr std::string_view value_options = "ABCFLNORVXabefhopr";
// Letters that never take a value and may be clustered (-ti).
constexpr std::string_view flag_options = "GIUimntv";

// -o letters (sendmail's single-character option names) that make no difference to a
// submission client; see "IGNORED OPTIONS" in okuru(8) for the reason behind each.
// i and v are handled; every other letter is refused so a mistake does not pass silently.
constexpr std::string_view ignored_o_letters = "78AbCcdehjLMmopQrsTt";

// RFC 3461 4.4: ENVID is at most 100 characters of printable US-ASCII.
constexpr std::size_t max_envid = 100;

[[noreturn]] void usage(const std::string& message) {
    throw Error(Exit::usage, message);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool has_control(std::string_view s) {
    return std::any_of(s.begin(), s.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// -N: "never", or a comma list of success, delay, failure (RFC 3461 4.1).
std::string parse_notify(std::string_view value) {
    const std::string bad = "invalid -N value '" + log::escape(value) +
                            "': use never, or a comma list of success, delay, failure";
    std::vector<std::string> items;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = value.find(',', start);
        const std::string item = ascii_upper(
            trim(value.substr(start, comma == std::string_view::npos ? comma : comma - start)));
        if (item != "NEVER" && item != "SUCCESS" && item != "DELAY" && item != "FAILURE") {
            usage(bad);
        }
        if (std::find(items.begin(), items.end(), item) == items.end()) items.push_back(item);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    // RFC 3461 4.1: NEVER must not be combined with the other keywords.
    if (items.size() > 1 && std::find(items.begin(), items.end(), "NEVER") != items.end()) {
        usage(bad);
    }
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
    return out;
}

// A value that must be one of `choices` (compared case-insensitively), returned upper-cased.
std::string parse_choice(char option, std::string_view value,
                         std::initializer_list<std::string_view> choices) {
    const std::string u = ascii_upper(value);
    for (auto choice : choices) {
        if (u == choice) return u;
    }
    std::string list;
    for (auto choice : choices) list += (list.empty() ? "" : " or ") + std::string(choice);
    usage("invalid -" + std::string(1, option) + " value '" + log::escape(value) + "': use " +
          list);
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
        if (opt_.invoked_as == "mailq") opt_.mode = Mode::print_queue;
        if (opt_.invoked_as == "newaliases") opt_.mode = Mode::newaliases;

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
        if (!probe && (opt_.host || opt_.port || opt_.tls))
            usage("--host, --port and --tls go with --serverinfo or --check");
        if (opt_.host && opt_.account)
            usage("--host names a server directly: it cannot be combined with -a");
        if (opt_.host && opt_.config_file)
            usage("--host names a server directly: no configuration is read, so -C has no use");
        if ((probe || opt_.mode == Mode::list_accounts) &&
            (opt_.recipients_from_headers || opt_.pretend || opt_.sender)) {
            usage(std::string(opt_.recipients_from_headers ? "-t"
                              : opt_.pretend               ? "--pretend"
                                                           : "-f") +
                  " has no meaning with " + mode_option_);
        }
        if (opt_.mode == Mode::list_accounts && opt_.account)
            usage("-a cannot be combined with --list-accounts");
        const bool no_recipients =
            probe || opt_.mode == Mode::list_accounts || opt_.mode == Mode::test_message;
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

    void long_option(const std::string& arg) {
        const auto eq = arg.find('=');
        const std::string name = arg.substr(0, eq);
        const bool has_value = eq != std::string::npos;
        const auto value = [&] { return has_value ? arg.substr(eq + 1) : separate_value(name); };
        const auto no_value = [&] {
            if (has_value) usage("option " + log::escape(name) + " takes no value");
        };
        if (name == "--config") {
            opt_.config_file = non_empty(name, value());
        } else if (name == "--account") {
            opt_.account = non_empty(name, value());
        } else if (name == "--pretend") {
            no_value();
            opt_.pretend = true;
        } else if (name == "--verbose") {
            no_value();
            ++opt_.verbose;
        } else if (name == "--version") {
            no_value();
            version_ = true;
        } else if (name == "--help") {
            no_value();
            help_ = true;
        } else if (name == "--resend-failed") {
            no_value();
            set_mode(Mode::resend_failed, name);
        } else if (name == "--serverinfo") {
            no_value();
            set_mode(Mode::serverinfo, name);
        } else if (name == "--check") {
            no_value();
            set_mode(Mode::check, name);
        } else if (name == "--list-accounts") {
            no_value();
            set_mode(Mode::list_accounts, name);
        } else if (name == "--test-message") {
            set_mode(Mode::test_message, name);
            const std::string address = value();
            if (address.empty() || address.starts_with('-'))
                usage("--test-message needs a recipient address");
            opt_.test_address = address;
        } else if (name == "--host") {
            opt_.host = non_empty(name, value());
        } else if (name == "--port") {
            opt_.port = parse_port(value());
        } else if (name == "--tls") {
            const std::string v = value();
            opt_.tls = parse_tls_mode(v);
            if (!opt_.tls)
                usage("invalid --tls value '" + log::escape(v) +
                      "': use starttls, implicit or none");
        } else {
            usage("unknown option " + log::escape(name) + " (see " + opt_.invoked_as + " --help)");
        }
    }

    // One argument of clustered short options, getopt style: flags until a letter that
    // takes a value, which consumes the rest of the argument or the next one.
    void short_options(const std::string& arg) {
        for (std::size_t i = 1; i < arg.size(); ++i) {
            const char c = arg[i];
            const std::string option = "-" + std::string(1, c);
            if (c == 'q') {
                // -q[interval|Rsite|Iid|...]: the argument is optional, so only glued.
                set_mode(Mode::run_queue, arg);
                return;
            }
            if (flag_options.find(c) != std::string_view::npos) {
                flag(c);
                continue;
            }
            if (value_options.find(c) == std::string_view::npos) {
                usage("unknown option " + log::escape(option) + " (see " + opt_.invoked_as +
                      " --help)");
            }
            if (i + 1 < arg.size()) {
                with_value(c, arg.substr(i + 1), option + arg.substr(i + 1));
            } else {
                const std::string value = separate_value(option);
                with_value(c, value, option + " " + value);
            }
            return;
        }
    }

    void flag(char c) {
        switch (c) {
            case 't':
                opt_.recipients_from_headers = true;
                break;
            case 'i':
                opt_.dot_ends_input = false;
                break;
            case 'v':
                ++opt_.verbose;
                break;
            case 'I':
                set_mode(Mode::newaliases, "-I");
                break;  // sendmail/Postfix: -I = -bi
            default:
                opt_.ignored.push_back("-" + std::string(1, c));
                break;  // G U m n
        }
    }

    // `as_given` is how the option appeared ("-Lcron" or "-L cron"), for Options::ignored.
    void with_value(char c, const std::string& value, const std::string& as_given) {
        const std::string option = "-" + std::string(1, c);
        switch (c) {
            case 'f':
            case 'r':
                // An envelope sender never starts with '-': refusing it keeps an injected
                // "-f -X/path" or "-f-X/path" from being read as anything but an error.
                if (value.starts_with('-')) {
                    usage("invalid sender address '" + log::escape(value) + "' after " + option +
                          ": an address may not start with '-'");
                }
                opt_.sender = value;
                break;
            case 'F':
                if (has_control(value)) {
                    usage("invalid full name after -F: '" + log::escape(value) +
                          "' contains control characters");
                }
                opt_.full_name = value;
                break;
            case 'N':
                opt_.dsn_notify = parse_notify(value);
                break;
            case 'R':
                opt_.dsn_ret = parse_choice(c, value, {"FULL", "HDRS"});
                break;
            case 'B':
                opt_.body_type = parse_choice(c, value, {"7BIT", "8BITMIME"});
                break;
            case 'V':
                if (value.empty() || value.size() > max_envid ||
                    std::any_of(value.begin(), value.end(), [](char ch) {
                        return static_cast<unsigned char>(ch) <= 0x20 ||
                               static_cast<unsigned char>(ch) > 0x7e;
                    })) {
                    usage("invalid envelope id after -V: '" + log::escape(value) +
                          "' (1 to 100 printable ASCII characters, RFC 3461)");
                }
                opt_.dsn_envid = value;
                break;
            case 'C':
                opt_.config_file = non_empty(option, value);
                break;
            case 'a':
                opt_.account = non_empty(option, value);
                break;
            case 'X':
                opt_.log_file = non_empty(option, value);
                break;
            case 'b':
                mode(value);
                break;
            case 'o':
                sendmail_option(value, as_given);
                break;
            default:
                opt_.ignored.push_back(as_given);
                break;  // A L O e h p
        }
    }

    // -bX: the operating mode. The ones that need a daemon, a queue or an address test
    // mode map to the modes app reports on; the rest are refused.
    void mode(const std::string& value) {
        const std::string option = "-b" + value;
        if (value == "m") {
            set_mode(Mode::send, option);
        } else if (value == "p" || value == "P") {
            set_mode(Mode::print_queue, option);
        } else if (value == "s" || value == "d" || value == "D" || value == "l") {
            set_mode(Mode::smtp_server, option);
        } else if (value == "i") {
            set_mode(Mode::newaliases, option);
        } else {
            usage("unsupported mode -b" + log::escape(value) + " (see okuru(8))");
        }
    }

    // -oX[value]: a sendmail configuration option given on the command line.
    void sendmail_option(const std::string& value, const std::string& as_given) {
        const char letter = value.empty() ? '\0' : value[0];
        const std::string rest = value.empty() ? "" : value.substr(1);
        if (letter == 'i' || letter == 'v') {
            // sendmail reads a boolean option's value by its first letter; none means true.
            const bool on =
                rest.empty() || std::string_view("tTyY").find(rest[0]) != std::string_view::npos;
            if (letter == 'i') opt_.dot_ends_input = !on;
            if (letter == 'v' && on) ++opt_.verbose;
            return;
        }
        if (letter != '\0' && ignored_o_letters.find(letter) != std::string_view::npos) {
            opt_.ignored.push_back(as_given);
            return;
        }
        usage("unsupported sendmail option '" + log::escape(as_given) + "' (see okuru(8))");
    }

    static std::uint16_t parse_port(const std::string& value) {
        unsigned long port = 0;
        const bool digits =
            !value.empty() && value.size() <= 5 &&
            std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (digits) port = std::stoul(value);
        if (!digits || port == 0 || port > 65535)
            usage("invalid --port value '" + log::escape(value) + "': use 1 to 65535");
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
};

}  // namespace

Options parse_command_line(std::span<const std::string> args) {
    return Parser(args).run();
}

std::string usage_text() {
    return R"(Usage: okuru [options] [--] [recipient ...]
       okuru --check | --serverinfo | --test-message ADDR | --resend-failed
       mailq | newaliases
Reads a message on standard input and submits it to the SMTP relay chosen by
the configuration (a sendmail-compatible submission agent, no queue, no daemon).

  -t                 also take recipients from To/Cc/Bcc (Resent-* if present)
  -i, -oi            a line with a single dot does not end the message
  -f ADDR, -r ADDR   envelope sender
  -F NAME            full name for a generated From: header
  -N DSN             never, or a comma list of success,delay,failure
  -R RET             full or hdrs: what a bounce returns (DSN)
  -V ENVID           DSN envelope identifier
  -B TYPE            body type: 7BIT or 8BITMIME
  -C, --config FILE  configuration file (default: $OKURU_CONFIG,
                     ~/.config/okuru/config.toml, /etc/okuru.toml)
  -a, --account NAME use this account, whatever the routes say
  -v, --verbose      show the SMTP dialogue (twice: more detail)
  -X FILE            append the log to FILE
      --pretend      show account, relay, envelope and headers; send nothing
      --resend-failed  retry the messages saved after failed submissions
      --check        check the configuration, password, connection, TLS and
                     login of the account given with -a (default: every account);
                     sends no mail
      --serverinfo   show what the server of an account (-a) or of --host offers:
                     greeting, TLS, certificate, capabilities; no login, no mail
      --host HOST, --port PORT, --tls starttls|implicit|none
                     with --serverinfo or --check: a server without configuration
      --test-message ADDR  send a short test message to ADDR
      --list-accounts  print the account names of the configuration
  -bm                read a message and send it (the default)
  -bp, mailq         list the messages kept after failed submissions
  -q[...]            there is no queue: exits 0
  -bi, -I, newaliases  aliases live in the configuration: exits 0
  -bs, -bd, -bD, -bl  no SMTP server or daemon mode: exits 64
      --version      print the version
      --help         print this text

Accepted and ignored (sendmail compatibility): -oe* -od* -om -os -oL* and other
-o options (see okuru(8)), -e x, -L tag, -h hops, -O opt=val, -A x, -p proto,
-G, -U, -m, -n.
Exit status follows sysexits(3): 75 means try again later. See okuru(8).
)";
}

}  // namespace okuru
