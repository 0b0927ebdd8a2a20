#include "app.hpp"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>

#include "cli.hpp"
#include "config.hpp"
#include "deadletter.hpp"
#include "deliver.hpp"
#include "errors.hpp"
#include "interrupt.hpp"
#include "log.hpp"
#include "message.hpp"
#include "privilege.hpp"
#include "route.hpp"
#include "sasl.hpp"
#include "okuru_build.h"

namespace okuru {
namespace {

void say(const std::string& text) { std::fprintf(stderr, "okuru: %s\n", text.c_str()); }

// "root@localhost" and "user@<this host>" are local mailboxes (fail2ban, cron
// on some systems): they go through [aliases] like bare names, never to the relay.
std::string localize(const std::string& address) {
    const std::string domain = domain_of(address);
    if (domain.empty()) return address;
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    std::string h = host;
    for (char& c : h) c = char(std::tolower(static_cast<unsigned char>(c)));
    const std::string short_host = h.substr(0, h.find('.'));
    if (domain == "localhost" || domain == "localhost.localdomain" || domain == h ||
        domain == short_host)
        return address.substr(0, address.rfind('@'));
    return address;
}

std::string login_name() {
    if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_name) return pw->pw_name;
    throw Error(Exit::nouser, "cannot determine the login name of uid " + std::to_string(getuid()));
}

using Preloaded = std::map<std::string, Secret>;

constexpr const char* system_config_path = "/etc/okuru.toml";

// Reads the configuration. With privilege (setgid system-wide use) only the system
// file is read privileged: a user-chosen file drops privileges first. Secrets that
// live in files of the system configuration are read now, while they still can be
// (password commands and $CREDENTIALS_DIRECTORY belong to the user and wait); then
// privileges are dropped for good.
Config load(const Options& opt, Preloaded& preloaded) {
    const std::string path = find_config_path(opt.config_file);
    // Only the system file may be read with privilege: a user's own file (and the
    // password files it names) is read with the user's rights alone.
    if (is_privileged() && path != system_config_path) drop_privileges();
    Config config = load_config(path);
    if (is_privileged()) {
        for (const Account& a : config.accounts)
            if (a.password.kind == PasswordSource::Kind::file)
                preloaded.emplace(a.name, load_secret(a.password, "password of account " + a.name));
        drop_privileges();
    }
    if (opt.log_file) log::open_file(*opt.log_file);
    return config;
}

const Secret* preloaded_for(const Preloaded& p, const Account& a) {
    auto it = p.find(a.name);
    return it == p.end() ? nullptr : &it->second;
}

// RFC 6531: any non-ASCII address in the envelope needs the SMTPUTF8 extension.
bool needs_smtputf8(const Envelope& env) {
    if (okuru::needs_smtputf8(env.sender)) return true;
    for (const auto& r : env.recipients)
        if (okuru::needs_smtputf8(r)) return true;
    return false;
}

DsnOptions dsn_from(const Options& opt) {
    DsnOptions dsn;
    dsn.notify = opt.dsn_notify;
    dsn.ret = opt.dsn_ret;
    dsn.envid = opt.dsn_envid;
    return dsn;
}

std::string tls_name(TlsMode m) {
    return m == TlsMode::starttls ? "starttls" : m == TlsMode::implicit ? "implicit" : "none";
}

void print_pretend(const Submission& s, const Envelope& env, const std::string& headers,
                   const InputMessage& msg) {
    const Account& a = *s.account;
    std::cout << "account:   " << a.name << " (" << s.reason << ")\n";
    std::cout << "relay:     " << a.host << ":" << a.port << " tls=" << tls_name(a.tls);
    for (const auto& f : a.fallback_hosts)
        std::cout << ", fallback " << f.host << ":" << (f.port ? f.port : a.port);
    std::cout << "\n";
    if (!a.user.empty() || !a.oauth_token_command.empty()) {
        std::cout << "auth:      user " << log::escape(a.user) << ", mechanisms ";
        if (a.auth_mechanisms.empty()) {
            std::cout << "automatic";
        } else {
            for (std::size_t i = 0; i < a.auth_mechanisms.size(); ++i)
                std::cout << (i ? " " : "") << a.auth_mechanisms[i];
        }
        std::cout << "\n";
    } else {
        std::cout << "auth:      none\n";
    }
    std::cout << "envelope:  MAIL FROM:<" << env.sender << ">\n";
    for (const auto& r : env.recipients) std::cout << "           RCPT TO:<" << r << ">\n";
    std::cout << "headers:\n";
    std::string_view h = headers;
    while (!h.empty()) {
        auto eol = h.find("\r\n");
        std::string_view line = h.substr(0, eol);
        if (line.empty()) break;
        std::cout << "  " << log::escape(line) << "\n";
        if (eol == std::string_view::npos) break;
        h.remove_prefix(eol + 2);
    }
    std::cout << "body:      " << msg.body.size() << " bytes" << (msg.eight_bit ? ", 8-bit" : "")
              << "\n";
}

// Prepares and sends one submission; on failure saves the message and reports.
Exit send_one(const Config& config, const Options& opt, const Submission& s,
              const std::string& sender, InputMessage& msg, const DeliveryOptions& dopt) {
    const Account& a = *s.account;
    Envelope env;
    env.sender = a.envelope_from.empty() ? sender : a.envelope_from;
    env.recipients = s.recipients;

    HeaderFinish finish;
    finish.envelope_sender = env.sender;
    finish.full_name = opt.full_name;
    finish.from_rewrite = a.from_header;
    finish.message_id_domain = domain_of(env.sender);
    if (finish.message_id_domain.empty()) finish.message_id_domain = "localhost";
    const std::string headers = finish_headers(msg.headers, finish);

    if (opt.pretend) {
        print_pretend(s, env, headers, msg);
        return Exit::ok;
    }

    const bool eight_bit = msg.eight_bit || (opt.body_type && *opt.body_type == "8BITMIME");
    Content content{headers, msg.body, eight_bit, needs_smtputf8(env)};
    try {
        const InterruptGuard interrupts;
        SubmitResult r = deliver(a, env, content, dopt);
        log::info("accepted: " + r.final_reply.str());
        return Exit::ok;
    } catch (const std::exception& e) {
        const Exit code = exit_code(e);
        const std::string why = describe(e);
        say(why);
        if (config.save_failed) {
            try {
                const std::string path = save_failed(dead_letter_dir(config),
                                                     {a.name, env.sender, env.recipients}, why,
                                                     headers, msg.body);
                say("message saved to " + path + " (okuru --resend-failed retries it)");
            } catch (const std::exception& save_error) {
                say("could not save the message: " + describe(save_error));
            }
        }
        return code;
    }
}

Exit send_mode(const Options& opt) {
    Preloaded preloaded;
    const Config config = load(opt, preloaded);

    // Validate the command line's addresses before reading anything else.
    std::optional<std::string> sender_arg;
    if (opt.sender) sender_arg = parse_envelope_address(*opt.sender, "sender (-f)", true);
    std::vector<std::string> recipients;
    for (const auto& r : opt.recipients) recipients.push_back(parse_envelope_address(r, "recipient"));

    InputMessage msg = read_message(STDIN_FILENO, ReadOptions{opt.dot_ends_input});

    if (opt.recipients_from_headers)
        for (auto& r : header_recipients(msg.headers)) recipients.push_back(std::move(r));
    if (recipients.empty())
        throw Error(Exit::usage, "no recipients: give addresses as arguments or use -t");

    Qualifier qualify(config);
    std::vector<std::string> expanded;
    for (const auto& r : recipients)
        for (auto& x : qualify.expand_recipient(localize(r))) expanded.push_back(std::move(x));

    std::string sender;
    if (sender_arg) {
        sender = sender_arg->empty() ? "" : qualify.qualify_sender(*sender_arg);
    } else if (auto from = header_sender(msg.headers)) {
        sender = qualify.qualify_sender(*from);
    } else {
        sender = qualify.qualify_sender(login_name());
    }
    qualify_headers(msg.headers, [&qualify](std::string_view a) { return qualify.expand_recipient(a); });

    const auto plan = plan_submissions(config, opt.account, sender, expanded);
    DeliveryOptions dopt;
    dopt.dsn = dsn_from(opt);
    Exit result = Exit::ok;
    for (const Submission& s : plan) {
        dopt.preloaded_password = preloaded_for(preloaded, *s.account);
        result = worst(result, send_one(config, opt, s, sender, msg, dopt));
    }
    return result;
}

Exit resend_mode(const Options& opt) {
    Preloaded preloaded;
    const Config config = load(opt, preloaded);
    const std::string dir = dead_letter_dir(config);
    std::size_t sent = 0;
    Exit result = Exit::ok;
    const std::size_t left = for_each_failed(dir, [&](ClaimedMessage& m) {
        InputMessage msg = read_message(m.fd, ReadOptions{false});
        const Account* a = config.find_account(m.envelope.account);
        std::vector<Submission> plan =
            a ? std::vector<Submission>{{a, m.envelope.recipients, "saved account"}}
              : plan_submissions(config, std::nullopt, m.envelope.sender, m.envelope.recipients);
        bool ok = true;
        // The saved header block is final already (Date, Message-ID, From, no Bcc).
        const std::string headers = msg.headers.render() + "\r\n";
        for (const Submission& s : plan) {
            Envelope env{s.account->envelope_from.empty() ? m.envelope.sender
                                                          : s.account->envelope_from,
                         s.recipients};
            Content content{headers, msg.body, msg.eight_bit, needs_smtputf8(env)};
            try {
                DeliveryOptions dopt;
                dopt.preloaded_password = preloaded_for(preloaded, *s.account);
                deliver(*s.account, env, content, dopt);
            } catch (const std::exception& e) {
                say(m.path + ": " + describe(e));
                result = worst(result, exit_code(e));
                ok = false;
            }
        }
        if (ok) {
            ++sent;
            say("resent " + m.path);
        }
        return ok;
    });
    say(std::to_string(sent) + " message(s) resent, " + std::to_string(left) + " left in " + dir);
    return result;
}

}  // namespace

int run(std::span<const std::string> args) {
    // A dead peer must surface as an error from write(), not kill us mid-message.
    signal(SIGPIPE, SIG_IGN);
    try {
        const Options opt = parse_command_line(args);
        log::set_verbosity(opt.verbose);
        switch (opt.mode) {
            case Mode::version:
                std::printf("okuru %s\nSASL mechanisms:", OKURU_VERSION);
                for (const auto& m : available_mechanisms()) std::printf(" %s", m.c_str());
                std::printf("\n");
                return 0;
            case Mode::help:
                std::fputs(usage_text().c_str(), stdout);
                return 0;
            case Mode::print_queue:
                std::printf("Mail queue is empty (okuru submits every message at once and keeps no queue)\n");
                return 0;
            case Mode::run_queue:
                say("there is no queue to run: okuru submits every message at once "
                    "(failed messages: okuru --resend-failed)");
                return 0;
            case Mode::newaliases:
                say("nothing to rebuild: aliases are read from [aliases] in the configuration");
                return 0;
            case Mode::smtp_server:
                throw Error(Exit::usage, "okuru has no SMTP server or daemon mode (-bs, -bd)");
            case Mode::resend_failed:
                return int(resend_mode(opt));
            case Mode::send:
                return int(send_mode(opt));
        }
        return int(Exit::software);
    } catch (const std::exception& e) {
        say(describe(e));
        return int(exit_code(e));
    }
}

}  // namespace okuru
