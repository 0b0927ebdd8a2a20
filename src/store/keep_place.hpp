// Where a failed message is kept (issue 10, part 1): the caller's own
// dead-letter Maildir when it can take the message, else the system spool, a
// drop box under the installation's localstatedir that every local user can
// write to and only root can read (okuru(8), SYSTEM-WIDE USE).
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace okuru {

// Who may have written the files of a Maildir.
enum class DeadLetterKind {
    own,           // the caller's: created 0700 as needed, the caller's files
    system_spool,  // every local user's: never created here, each file hostile
};

struct DeadLetterDir {
    std::string path;
    DeadLetterKind kind = DeadLetterKind::own;
};

// The compiled-in system spool (meson option spooldir; /var/spool/okuru for prefix
// /usr). Not configurable at run time: a setgid or root reader must not be
// pointed at a directory the caller chose.
DeadLetterDir system_spool();

// The caller's own dead-letter Maildir: config.dead_letter, else
// $XDG_STATE_HOME/okuru/failed, else HOME/.local/state/okuru/failed, where HOME
// is $HOME or, when unset (cron under systemd, atd), the home the password
// database gives the real uid, each only if absolute (HomePolicy::absolute_only
// in base/passwd.hpp). Empty when there is no home at all.
std::string dead_letter_dir(const Config& config);

// One place a message may be kept, in the order tried; `unusable` says why it was
// skipped without trying (a home that does not exist is never created).
struct KeepPlace {
    DeadLetterDir dir;
    std::string unusable;
};

// The caller's own Maildir, then the system spool.
std::vector<KeepPlace> keep_places(const Config& config);

// What mailq and --resend-failed read: the caller's own Maildir (when there is a
// home) and, run by root, the system spool.
std::vector<DeadLetterDir> dead_letters_to_read(const Config& config);

// A dead_letter is one user's: when the configuration names a directory that
// exists and belongs to another user (a dead_letter of /etc/okuru.toml that
// several users share, the system spool), it is refused with Exit::config when
// the configuration is read, before anything is sent, naming the owner.
void check_dead_letter(const Config& config);

}  // namespace okuru
