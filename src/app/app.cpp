#include "app/app.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "app/app_internal.hpp"
#include "app/attempt.hpp"
#include "app/maillog.hpp"
#include "app/one_secret.hpp"
#include "app/prepare.hpp"
#include "app/startup.hpp"
#include "base/errors.hpp"
#include "base/fd.hpp"
#include "base/interrupt.hpp"
#include "base/log.hpp"
#include "base/privilege.hpp"
#include "config/cli.hpp"
#include "config/config.hpp"
#include "config/config_keys.hpp"
#include "config/route.hpp"
#include "message/message.hpp"
#include "store/deadletter.hpp"

namespace okuru {
namespace app_detail {

void say(const std::string& text) {
    std::fprintf(stderr, "okuru: %s\n", text.c_str());
}

// This machine's names: "user@<this host>" is a local mailbox (fail2ban, cron on
// some systems) and goes through [aliases] like a bare name, never to the relay.
std::vector<std::string> this_host_names() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return {};
    const std::string name = host;
    return {name, name.substr(0, name.find('.'))};
}

DsnOptions dsn_from(const Options& opt) {
    return DsnOptions{opt.dsn_notify, opt.dsn_ret, opt.dsn_envid};
}

}  // namespace app_detail

namespace {

using namespace app_detail;

void print_pretend(const Submission& s, const Planned& p, const InputMessage& msg) {
    const Account& a = *s.account;
    std::cout << "account:   " << a.name << " (" << s.reason << ")\n";
    std::cout << "relay:     " << a.host << ":" << a.port << " tls=" << tls_mode_name(a.tls);
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
    if (const auto& pop = a.pop_before_smtp) {
        std::cout << "pop:       POP-before-SMTP " << pop->host << ":" << pop->port
                  << " tls=" << tls_mode_name(pop->tls) << ", user "
                  << log::escape(pop->user.empty() ? a.user : pop->user) << "\n";
    }
    std::cout << "envelope:  MAIL FROM:<" << p.envelope.sender << ">\n";
    for (const auto& r : p.envelope.recipients) std::cout << "           RCPT TO:<" << r << ">\n";
    std::cout << "headers:\n";
    std::string_view h = p.headers;
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

// The message of --test-message, as if a caller had piped it in.
Fd test_message_input(const std::string& to) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw_system(Exit::oserr, "pipe", errno);
    Fd read_end(fds[0]);
    const Fd write_end(fds[1]);
    // Far below the pipe's capacity, so the write cannot block.
    write_all(write_end.get(), test_message_text(to), "the test message");
    return read_end;
}

Exit send_mode(const Options& opt) {
    Preloaded preloaded;
    Fd log_file;
    Config config = load(opt, preloaded, &log_file);  // not const: see forget_unused_secrets
    const MailLog maillog(config, std::move(log_file));

    // Validate the command line's addresses before reading anything else.
    Request req;
    req.account = opt.account;
    if (opt.sender) req.sender = parse_envelope_address(*opt.sender, "sender (-f)", true);
    // sendmail splits an argument holding a list (cron's MAILTO="a@x,b@y").
    for (const auto& arg : opt.recipients)
        for (auto& r : parse_recipient_argument(arg)) req.recipients.push_back(std::move(r));

    Fd generated;
    if (opt.test_address) {
        req.recipients.push_back(parse_envelope_address(*opt.test_address, "recipient"));
        generated = test_message_input(*opt.test_address);
    }
    InputMessage msg =
        read_message(generated ? generated.get() : STDIN_FILENO, ReadOptions{opt.dot_ends_input});

    if (opt.recipients_from_headers)
        for (auto& r : header_recipients(msg.headers)) req.recipients.push_back(std::move(r));
    // msmtp's --read-envelope-from: the sender is From:'s first address, as if given
    // with -f (qualified and routed the same way). Without one it is an error rather
    // than a guess, since the caller asked for that address; mutt with
    // use_envelope_from also passes -f, which must then be the same address.
    if (opt.sender_from_header) {
        auto from = header_sender(msg.headers);
        if (!from)
            throw Error(Exit::dataerr,
                        "--read-envelope-from: the message has no From: header with an address");
        if (req.sender && *req.sender != *from)
            throw Error(Exit::usage, "--read-envelope-from: the From: address <" +
                                         log::escape(*from) + "> is not the -f address <" +
                                         log::escape(*req.sender) + ">: give one of them");
        req.sender = std::move(from);
    }
    if (req.recipients.empty())
        throw Error(Exit::usage, "no recipients: give addresses as arguments or use -t");

    AttemptContext context{config, maillog, preloaded, {}};
    const DsnOptions dsn = dsn_from(opt);
    Prepared prepared;
    try {
        prepared = prepare(config, req, msg);
    } catch (const std::exception&) {
        // The message is here but cannot be routed (a bare name without alias, no
        // account): keep it, so that fixing the configuration and running
        // --resend-failed still delivers it.
        if (opt.pretend) throw;
        Planned p;
        p.unroutable = std::current_exception();
        p.envelope = SavedEnvelope{req.account.value_or(""), req.sender.value_or(""),
                                   req.recipients, req.sender.has_value()};
        p.envelope.dsn = dsn;
        p.headers = msg.headers.render() + "\r\n";
        return attempt(context, p, msg.body).exit;
    }

    // Routed: the other accounts' inline passwords and client keys go now, before
    // any connection (issue 12).
    forget_unused_secrets(config, prepared.plan);
    Exit result = Exit::ok;
    for (const Submission& s : prepared.plan) {
        Planned p = planned(s, prepared.sender, msg, opt.full_name, dsn);
        if (opt.pretend) {
            print_pretend(s, p, msg);
            continue;
        }
        p.eight_bit = p.eight_bit || (opt.body_type && *opt.body_type == "8BITMIME");
        result = worst(result, attempt(context, p, msg.body).exit);
    }
    return result;
}

}  // namespace

int run(std::span<const std::string> args) {
    // A dead peer must surface as an error from write(), not kill us mid-message.
    signal(SIGPIPE, SIG_IGN);
    absorb_stray_signals();
    try {
        const Options opt = parse_command_line(args);
        log::set_verbosity(opt.verbose);
        // Only the modes that read the configuration may need the group privilege
        // (setgid system-wide use); every other one gives it up at once.
        if (!reads_config(opt.mode) && is_privileged()) {
            drop_privileges();
            restore_caller_environment();
        }
        switch (opt.mode) {
            case Mode::version:
                print_version();
                return 0;
            case Mode::help:
                std::fputs(usage_text().c_str(), stdout);
                return 0;
            case Mode::print_queue:
                return int(mailq_mode(opt));
            case Mode::list_accounts:
                return int(list_accounts_mode(opt));
            case Mode::list_options:
                std::fputs(option_list_text().c_str(), stdout);
                return 0;
            case Mode::list_config_keys:
                for (const std::string& key : config_key_paths()) std::printf("%s\n", key.c_str());
                return 0;
            case Mode::serverinfo:
            case Mode::check:
                return int(probe_mode(opt));
            case Mode::run_queue:  // -q: every kept message now, due or not
                return int(resend_mode(opt));
            case Mode::newaliases:
                say("nothing to rebuild: aliases are read from [aliases] in the configuration");
                return 0;
            case Mode::smtp_server:
                throw Error(Exit::usage, "okuru has no daemon mode (-bd): see okuru-smtp.socket");
            case Mode::smtp_stdio:
                return int(smtp_mode(opt));
            case Mode::resend_failed:
                return int(resend_mode(opt));
            case Mode::send:
            case Mode::test_message:
                return int(send_mode(opt));
        }
        return int(Exit::software);
    } catch (const std::exception& e) {
        // An error while the system configuration was read with the group
        // privilege: nothing after it needs the privilege, so it goes first.
        if (is_privileged()) {
            try {
                drop_privileges();
            } catch (const std::exception&) {
            }
        }
        say(describe(e));
        return int(exit_code(e));
    }
}

}  // namespace okuru
