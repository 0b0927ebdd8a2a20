#include "app/app.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>

#include "app/app_internal.hpp"
#include "app/deliver.hpp"
#include "app/maillog.hpp"
#include "app/privilege.hpp"
#include "base/errors.hpp"
#include "base/fd.hpp"
#include "base/interrupt.hpp"
#include "base/log.hpp"
#include "config/cli.hpp"
#include "config/config.hpp"
#include "config/config_keys.hpp"
#include "config/route.hpp"
#include "message/message.hpp"
#include "okuru_build.h"
#include "sasl/sasl.hpp"
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

std::string login_name() {
    if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_name) return pw->pw_name;
    throw Error(Exit::nouser, "cannot determine the login name of uid " + std::to_string(getuid()));
}

constexpr const char* system_config_path = "/etc/okuru.toml";

// Reads the configuration. With privilege (setgid system-wide use) only the system
// file is read privileged: a user-chosen file drops privileges first. Secrets that
// live in files of the system configuration are read now, while they still can be
// (password commands and $CREDENTIALS_DIRECTORY belong to the user and wait); then
// privileges are dropped for good.
Config load(const Options& opt, Preloaded& preloaded, Fd* log_file) {
    const std::string path = find_config_path(opt.config_file);
    // Only the system file may be read with privilege: a user's own file (and the
    // password files it names) is read with the user's rights alone.
    if (is_privileged() && path != system_config_path) drop_privileges();
    Config config = load_config(path);
    if (is_privileged()) {
        for (const Account& a : config.accounts)
            if (a.password.kind == PasswordSource::Kind::file)
                preloaded.emplace(a.name, load_secret(a.password, "password of account " + a.name));
        // The administrator's log file may be writable by the group alone. Only a
        // file root made is opened with the privilege (the path may come from the
        // caller's $HOME); anything else is opened later with the user's rights.
        if (log_file && !config.log_file.empty()) *log_file = open_system_log_file(config.log_file);
        drop_privileges();
    }
    if (opt.log_file) log::open_file(*opt.log_file);
    return config;
}

}  // namespace app_detail

namespace {

using namespace app_detail;

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

void print_pretend(const Submission& s, const Envelope& env, const std::string& headers,
                   const InputMessage& msg) {
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

// What one message needs beyond the configuration: from the command line, or
// from the envelope saved with a failed message.
struct Request {
    std::optional<std::string> account;   // -a, or the account tried before
    std::optional<std::string> sender;    // validated -f ("" = null sender)
    std::vector<std::string> recipients;  // validated, possibly bare names
};

struct Prepared {
    std::string sender;  // qualified envelope sender before any account rewrite
    std::vector<Submission> plan;
};

// Qualification and routing, shared by a new message and a resent one (both
// steps are idempotent, so a saved message goes through them again safely).
Prepared prepare(const Config& config, const Request& req, InputMessage& msg) {
    Qualifier qualify(config, {}, this_host_names());
    std::vector<std::string> expanded;
    for (const auto& r : req.recipients)
        for (auto& x : qualify.expand_recipient(r)) expanded.push_back(std::move(x));

    Prepared p;
    if (req.sender) {
        p.sender = req.sender->empty() ? "" : qualify.qualify_sender(*req.sender);
    } else if (auto from = header_sender(msg.headers)) {
        p.sender = qualify.qualify_sender(*from);
    } else {
        p.sender = qualify.qualify_sender(login_name());
    }
    qualify_headers(msg.headers,
                    [&qualify](std::string_view a) { return qualify.expand_recipient(a); });
    p.plan = plan_submissions(config, req.account, p.sender, expanded);
    return p;
}

// The envelope and the final header block of one submission.
std::pair<Envelope, std::string> outgoing(const Submission& s, const std::string& sender,
                                          const HeaderBlock& headers,
                                          const std::optional<std::string>& full_name) {
    const Account& a = *s.account;
    Envelope env;
    env.sender = a.envelope_from.empty() ? sender : a.envelope_from;
    env.recipients = s.recipients;
    HeaderFinish finish;
    finish.envelope_sender = env.sender;
    finish.full_name = full_name;
    finish.from_rewrite = a.from_header;
    finish.message_id_domain = domain_of(env.sender);
    if (finish.message_id_domain.empty()) finish.message_id_domain = "localhost";
    return {std::move(env), finish_headers(headers, finish)};
}

// Keeps a message okuru could not send and returns where (empty: not kept);
// never throws (it is already the error path).
std::string keep(const Config& config, const SavedEnvelope& envelope, const std::string& why,
                 std::string_view headers, const Spool& body) {
    if (!config.save_failed) return {};
    try {
        const std::string path = save_failed(dead_letter_dir(config), envelope, why, headers, body);
        say("message saved to " + path + " (okuru --resend-failed retries it)");
        return path;
    } catch (const std::exception& save_error) {
        say("could not save the message: " + describe(save_error));
        return {};
    }
}

// The log record of one submission, before its outcome is known.
SubmissionRecord record_for(const Account& a, const Envelope& env, std::string_view headers,
                            const Spool& body) {
    SubmissionRecord r;
    r.account = a.name;
    r.relay = a.host + ":" + std::to_string(a.port);
    r.tls = std::string(tls_mode_name(a.tls));
    r.sender = env.sender;
    r.recipients = env.recipients;
    r.size = headers.size() + body.size();
    return r;
}

void record_success(SubmissionRecord& r, const SubmitResult& result, std::string_view status) {
    r.status = status;
    r.auth = result.mechanism;
    r.reply = result.final_reply.str();
}

void record_failure(SubmissionRecord& r, const std::exception& e) {
    r.status = "failed";
    r.error = describe(e);
    r.exit = int(exit_code(e));
}

// Prepares and sends one submission; on failure saves the message and reports.
Exit send_one(const Config& config, const MailLog& maillog, const Options& opt, const Submission& s,
              const std::string& sender, InputMessage& msg, const DeliveryOptions& dopt) {
    const auto [env, headers] = outgoing(s, sender, msg.headers, opt.full_name);
    if (opt.pretend) {
        print_pretend(s, env, headers, msg);
        return Exit::ok;
    }

    const bool eight_bit = msg.eight_bit || (opt.body_type && *opt.body_type == "8BITMIME");
    Content content{headers, msg.body, eight_bit, needs_smtputf8(env)};
    SubmissionRecord record = record_for(*s.account, env, headers, msg.body);
    Exit result = Exit::ok;
    try {
        const InterruptGuard interrupts;
        DeliveryOptions tracked = dopt;
        tracked.tried_relay = &record.relay;
        SubmitResult r = deliver(*s.account, env, content, tracked);
        log::info("accepted: " + r.final_reply.str());
        record_success(record, r, "sent");
    } catch (const std::exception& e) {
        const std::string why = describe(e);
        say(why);
        record_failure(record, e);
        record.saved =
            keep(config, {s.account->name, env.sender, env.recipients}, why, headers, msg.body);
        result = exit_code(e);
    }
    // Outside the try: whatever happens to the log line, a sent message is never
    // also kept (which would have --resend-failed send it twice).
    maillog.write(record);
    return result;
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
    const Config config = load(opt, preloaded, &log_file);
    const MailLog maillog(config, std::move(log_file));

    // Validate the command line's addresses before reading anything else.
    Request req;
    req.account = opt.account;
    if (opt.sender) req.sender = parse_envelope_address(*opt.sender, "sender (-f)", true);
    for (const auto& r : opt.recipients)
        req.recipients.push_back(parse_envelope_address(r, "recipient"));

    Fd generated;
    if (opt.test_address) {
        req.recipients.push_back(parse_envelope_address(*opt.test_address, "recipient"));
        generated = test_message_input(*opt.test_address);
    }
    InputMessage msg =
        read_message(generated ? generated.get() : STDIN_FILENO, ReadOptions{opt.dot_ends_input});

    if (opt.recipients_from_headers)
        for (auto& r : header_recipients(msg.headers)) req.recipients.push_back(std::move(r));
    if (req.recipients.empty())
        throw Error(Exit::usage, "no recipients: give addresses as arguments or use -t");

    Prepared prepared;
    try {
        prepared = prepare(config, req, msg);
    } catch (const std::exception& e) {
        // The message is here but cannot be routed (a bare name without alias, no
        // account): keep it, so that fixing the configuration and running
        // --resend-failed still delivers it.
        if (!opt.pretend) {
            const std::string why = describe(e);
            say(why);
            const std::string headers = msg.headers.render() + "\r\n";
            const SavedEnvelope envelope{req.account.value_or(""), req.sender.value_or(""),
                                         req.recipients, req.sender.has_value()};
            SubmissionRecord record;
            record.account = envelope.account;
            record.sender = envelope.sender;
            record.sender_known = envelope.sender_known;
            record.recipients = envelope.recipients;
            record.size = headers.size() + msg.body.size();
            record_failure(record, e);
            record.saved = keep(config, envelope, why, headers, msg.body);
            maillog.write(record);
            return exit_code(e);
        }
        throw;
    }

    DeliveryOptions dopt;
    dopt.dsn = dsn_from(opt);
    Exit result = Exit::ok;
    for (const Submission& s : prepared.plan) {
        dopt.preloaded_password = preloaded_for(preloaded, *s.account);
        result = worst(result, send_one(config, maillog, opt, s, prepared.sender, msg, dopt));
    }
    return result;
}

// Sends one saved message; true when every part was accepted.
bool resend_one(const Config& config, const MailLog& maillog, const Preloaded& preloaded,
                ClaimedMessage& m, Exit& result) {
    InputMessage msg = read_message(m.fd, ReadOptions{false});
    Request req;
    if (config.find_account(m.envelope.account)) req.account = m.envelope.account;
    if (m.envelope.sender_known) req.sender = m.envelope.sender;
    req.recipients = m.envelope.recipients;
    const Prepared prepared = prepare(config, req, msg);
    bool ok = true;
    for (const Submission& s : prepared.plan) {
        const auto [env, headers] = outgoing(s, prepared.sender, msg.headers, std::nullopt);
        Content content{headers, msg.body, msg.eight_bit, needs_smtputf8(env)};
        SubmissionRecord record = record_for(*s.account, env, headers, msg.body);
        try {
            const InterruptGuard interrupts;
            DeliveryOptions dopt;
            dopt.preloaded_password = preloaded_for(preloaded, *s.account);
            dopt.tried_relay = &record.relay;
            record_success(record, deliver(*s.account, env, content, dopt), "resent");
        } catch (const std::exception& e) {
            record_failure(record, e);
            record.saved = m.path;
            say(m.path + ": " + describe(e));
            result = worst(result, exit_code(e));
            ok = false;
        }
        maillog.write(record);
    }
    return ok;
}

Exit resend_mode(const Options& opt) {
    Preloaded preloaded;
    Fd log_file;
    const Config config = load(opt, preloaded, &log_file);
    const MailLog maillog(config, std::move(log_file));
    const std::string dir = dead_letter_dir(config);
    std::size_t sent = 0;
    Exit result = Exit::ok;
    const std::size_t left = for_each_failed(dir, [&](ClaimedMessage& m) {
        bool ok = false;
        try {
            ok = resend_one(config, maillog, preloaded, m, result);
        } catch (const std::exception& e) {
            say(m.path + ": " + describe(e));
            result = worst(result, exit_code(e));
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
        // Only the modes that read the configuration may need the group privilege
        // (setgid system-wide use); every other one gives it up at once.
        const bool reads_config = opt.mode == Mode::send || opt.mode == Mode::test_message ||
                                  opt.mode == Mode::resend_failed ||
                                  opt.mode == Mode::print_queue || opt.mode == Mode::check ||
                                  opt.mode == Mode::serverinfo || opt.mode == Mode::list_accounts;
        if (!reads_config && is_privileged()) drop_privileges();
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
