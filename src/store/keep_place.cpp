#include "store/keep_place.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/errors.hpp"
#include "base/log.hpp"
#include "base/passwd.hpp"
#include "okuru_build.h"

namespace okuru {
namespace {

bool same_path(std::string a, std::string b) {
    while (a.size() > 1 && a.back() == '/') a.pop_back();
    while (b.size() > 1 && b.back() == '/') b.pop_back();
    return a == b;
}

}  // namespace

DeadLetterDir system_spool() {
    return {OKURU_SPOOLDIR, DeadLetterKind::system_spool};
}

std::string dead_letter_dir(const Config& config) {
    if (!config.dead_letter.empty()) return config.dead_letter;
    if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state == '/')
        return std::string(state) + "/okuru/failed";
    // $HOME, else the password database's home for the real uid (cron under
    // systemd, atd, smartd and unattended-upgrades run the mailer without HOME).
    // Absolute only: messages are written there (see HomePolicy).
    const std::string home = home_directory(HomePolicy::absolute_only);
    return home.empty() ? std::string() : home + "/.local/state/okuru/failed";
}

std::vector<KeepPlace> keep_places(const Config& config) {
    std::vector<KeepPlace> out;
    KeepPlace own;
    own.dir.path = dead_letter_dir(config);
    if (own.dir.path.empty()) {
        own.unusable = "this user has no home directory";
    } else if (config.dead_letter.empty()) {
        // The default lies under the home, which okuru never creates: a daemon
        // user's home (nobody's /nonexistent, www-data's /var/www) may be missing
        // on purpose, and root would otherwise make it, owned by root.
        const std::string home = own.dir.path.substr(0, own.dir.path.find("/.local/state/"));
        struct stat st {};
        if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state == '/') {
            // $XDG_STATE_HOME/okuru/failed: created below it as needed.
        } else if (::stat(home.c_str(), &st) != 0) {
            own.unusable = "home " + log::escape(home) + ": " + std::strerror(errno);
        } else if (!S_ISDIR(st.st_mode)) {
            own.unusable = "home " + log::escape(home) + " is not a directory";
        }
    }
    out.push_back(std::move(own));
    out.push_back({system_spool(), {}});
    return out;
}

std::vector<DeadLetterDir> dead_letters_to_read(const Config& config) {
    std::vector<DeadLetterDir> dirs;
    if (std::string own = dead_letter_dir(config); !own.empty()) dirs.push_back({std::move(own)});
    if (getuid() == 0) dirs.push_back(system_spool());
    return dirs;
}

void check_dead_letter(const Config& config) {
    if (config.dead_letter.empty()) return;
    const std::string& dir = config.dead_letter;
    const std::string where = config.path + ": dead_letter \"" + log::escape(dir) + "\"";
    if (same_path(dir, system_spool().path)) {
        throw Error(Exit::config, where +
                                      " is the system spool, which okuru uses by itself when no "
                                      "Maildir of the user's can keep a message: leave "
                                      "dead_letter out");
    }
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) return;  // created, the caller's, when first needed
    if (st.st_uid == getuid()) return;
    // Shared by several users: the first one's 0700 tmp/ new/ cur/ would fail
    // every other user at the worst moment (the relay is down), and a Maildir
    // every user can read would show each user the others' mail.
    throw Error(Exit::config,
                where + " belongs to " + user_name(st.st_uid) + ", not to " + user_name(getuid()) +
                    ": a dead-letter Maildir keeps one user's messages. Give each user their "
                    "own (leave dead_letter out: ~/.local/state/okuru/failed, or the system "
                    "spool " OKURU_SPOOLDIR " for users without a usable home)");
}

}  // namespace okuru
