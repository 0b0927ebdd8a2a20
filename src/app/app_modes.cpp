// The modes that send no message of the caller's: --version, --list-accounts,
// mailq, --serverinfo, --check, and the text --test-message sends.
#include <gnutls/gnutls.h>
#include <gsasl.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "app/app_internal.hpp"
#include "app/authorize.hpp"
#include "app/diagnose.hpp"
#include "app/startup.hpp"
#include "base/log.hpp"
#include "base/passwd.hpp"
#include "base/privilege.hpp"
#include "config/route.hpp"
#include "message/message.hpp"
#include "okuru_build.h"
#include "sasl/sasl.hpp"
#include "store/deadletter.hpp"

namespace okuru::app_detail {
namespace {

std::string local_time(std::int64_t t) {
    const std::time_t tt = t;
    std::tm tm{};
    localtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

// The accounts --serverinfo (one) or --check (all, or -a) talk to, with
// --port / --tls applied on top of the configuration.
std::vector<Account> chosen_accounts(const Config& config, const Options& opt) {
    std::vector<Account> out;
    if (opt.account) {
        out.push_back(forced_account(config, *opt.account));
    } else if (opt.mode == Mode::serverinfo) {
        const Account* a = config.find_account(config.default_account);
        out.push_back(a ? *a : config.accounts.front());
    } else {
        out = config.accounts;
    }
    for (Account& a : out) {
        if (opt.tls) a.tls = *opt.tls;
        if (opt.port) a.port = *opt.port;
    }
    return out;
}

// With the group privilege the accounts of /etc/okuru.toml are the
// administrator's: a caller who moved one to another port or TLS mode would have
// its login sent to a listener of their own (issue 12). Refused before anything
// is read; a user's own configuration is read without the privilege and may be
// redirected at will. --host reads no configuration and sends no credentials.
void refuse_redirection(const Options& opt) {
    if (!opt.port && !opt.tls) return;
    if (!is_privileged() || find_config_path(opt.config_file) != system_config_path) return;
    throw Error(Exit::noperm, std::string(opt.port ? "--port" : "--tls") +
                                  " cannot change where an account of " + system_config_path +
                                  " connects (okuru runs with its group privilege); "
                                  "use --host to look at another server");
}

// The messages of one Maildir, as mailq lists them.
void print_saved(const std::vector<SavedMessage>& saved) {
    for (const SavedMessage& m : saved) {
        // user=: who submitted it, the file's owner (in the system spool, any
        // local user's).
        std::printf("\n%s  %llu bytes  %s  user=%s\n", m.path.c_str(),
                    static_cast<unsigned long long>(m.size), local_time(m.saved_at).c_str(),
                    log::escape(user_name(m.owner)).c_str());
        const SavedEnvelope& e = m.envelope;
        if (!e.account.empty()) std::printf("    account: %s\n", log::escape(e.account).c_str());
        if (e.sender_known) std::printf("    from:    <%s>\n", log::escape(e.sender).c_str());
        for (const auto& r : e.recipients)
            std::printf("    to:      <%s>\n", log::escape(r).c_str());
        if (!e.error.empty()) std::printf("    error:   %s\n", log::escape(e.error).c_str());
        if (!e.given_up.empty()) {
            std::printf("    given up: %s\n", log::escape(e.given_up).c_str());
        } else {
            std::printf("    tried:   %u time(s) since %s, next attempt %s\n", e.schedule.attempts,
                        local_time(e.schedule.first_attempt).c_str(),
                        local_time(e.schedule.next_attempt).c_str());
        }
    }
}

}  // namespace

void print_version() {
    std::printf("okuru %s\n", OKURU_VERSION);
    std::printf("GnuTLS %s, GNU SASL %s, toml++ %s\n", gnutls_check_version(nullptr),
                gsasl_check_version(nullptr), toml_library_version().c_str());
    std::printf("SASL mechanisms:");
    for (const auto& m : available_mechanisms()) std::printf(" %s", m.c_str());
    std::printf("\n");
}

Exit list_accounts_mode(const Options& opt) {
    Preloaded preloaded;
    const Config config = load(opt, preloaded);
    for (const Account& a : config.accounts) std::printf("%s\n", a.name.c_str());
    return Exit::ok;
}

Exit mailq_mode(const Options& opt) {
    // Without any configuration file the default Maildir is still worth listing;
    // a file that exists but is broken is an error (its dead_letter is unknown).
    Config config;
    bool have_file = true;
    try {
        find_config_path(opt.config_file);
    } catch (const Error&) {
        have_file = false;
    }
    if (have_file) {
        Preloaded preloaded;
        config = load(opt, preloaded);
    } else if (is_privileged()) {
        drop_privileges();
        restore_caller_environment();
    }
    // The caller's Maildir and, for root, the system spool, each with its
    // given-up folder. An unreadable directory or file is reported, and makes
    // the status 74: never "empty".
    std::vector<SavedMessage> saved, given_up;
    std::string places;
    ReadProblems problems;
    for (const DeadLetterDir& dir : dead_letters_to_read(config)) {
        places += (places.empty() ? "" : " or ") + dir.path;
        for (SavedMessage& m : list_failed(dir, &problems)) saved.push_back(std::move(m));
        const DeadLetterDir aside{given_up_dir(dir.path), dir.kind};
        for (SavedMessage& m : list_failed(aside, &problems)) given_up.push_back(std::move(m));
    }
    for (const std::string& p : problems) say(p);
    const Exit status = problems.empty() ? Exit::ok : Exit::ioerr;
    if (saved.empty()) {
        if (problems.empty())
            std::printf(
                "Mail queue is empty (okuru keeps no queue; no failed message is saved%s)\n",
                places.empty() ? "" : (" in " + places).c_str());
    } else {
        std::printf(
            "okuru keeps no queue; %zu message(s) saved after failed submissions "
            "(the resend timer retries each when due; okuru -q retries them all now):\n",
            saved.size());
    }
    print_saved(saved);
    if (!given_up.empty()) {
        std::printf("\n%zu message(s) given up, kept in the .given-up folder (never retried):\n",
                    given_up.size());
        print_saved(given_up);
    }
    return status;
}

Exit probe_mode(const Options& opt) {
    ProbeTargets targets;
    Preloaded preloaded;
    if (opt.host) {
        // A server named on the command line: no configuration is read at all.
        if (is_privileged()) {
            drop_privileges();
            restore_caller_environment();
        }
        if (opt.log_file) log::open_file(*opt.log_file);
        targets.from_config = false;
        targets.accounts.push_back(adhoc_account(*opt.host, opt.port, opt.tls));
    } else {
        // --check reports the configuration as its first step, on stdout like the
        // rest, and ends with FAILED if it is unusable (stderr says it again).
        const bool steps = opt.mode == Mode::check;
        std::string step = "config";
        try {
            refuse_redirection(opt);
            const Config config = load(opt, preloaded);
            if (steps) {
                print_step(step, config.path + ": OK (" + std::to_string(config.accounts.size()) +
                                     (config.accounts.size() == 1 ? " account)" : " accounts)"));
            }
            step = "account";
            authorize_user(config);  // no login with the system's credentials either
            targets.accounts = chosen_accounts(config, opt);
        } catch (const std::exception& e) {
            if (steps) {
                print_step(step, "FAILED: " + describe(e));
                std::printf("FAILED\n");
            }
            throw;
        }
        targets.preloaded = &preloaded;
    }
    return opt.mode == Mode::serverinfo ? serverinfo(targets) : check(targets);
}

std::string test_message_text(const std::string& to) {
    const std::vector<std::string> names = this_host_names();
    const std::string host = names.empty() ? "localhost" : names.front();
    const std::string when = local_time(std::time(nullptr));
    return "To: " + to + "\n" +
           "Subject: okuru test message\n"
           "MIME-Version: 1.0\n"
           "Content-Type: text/plain; charset=us-ascii\n"
           "\n"
           "This is a test message from okuru " OKURU_VERSION " on " +
           host +
           ",\n"
           "sent at " +
           when +
           " with okuru --test-message.\n"
           "\n"
           "If you are reading it, mail from this machine gets through.\n";
}

}  // namespace okuru::app_detail
