// System-wide use without exposing the credentials: the binary may be setgid to a
// group that alone can read the system configuration. Privilege is used only to
// read that file and its secrets, then dropped for good before anything the user
// controls. This module owns the system configuration's path and the one test of
// "running with the privilege"; only the program (src/app) asks the process:
// leaf modules are given a Privilege value as a parameter.
#pragma once

#include <sys/types.h>

namespace okuru {

// The system configuration, fixed at /etc/okuru.toml by design rather than taken
// from meson's sysconfdir. okuru stands in for the system's
// sendmail: cron, sudo and daemons run whatever binary is installed, and the
// administrator, the man pages, --help, contrib/system-wide.toml and the README
// (whose setgid steps use the default prefix /usr/local) all name /etc/okuru.toml.
// A build under /usr/local that looked in /usr/local/etc would silently ignore the
// file the administrator wrote (Postfix's /etc/postfix and dma's /etc/dma are fixed
// likewise). A package built with prefix /usr gets /etc from meson anyway.
inline constexpr const char* system_config_path = "/etc/okuru.toml";

// The process's privilege, as the modules that must respect it are given it.
struct Privilege {
    // Running with an effective uid or gid other than the caller's (setgid
    // system-wide use): user-controlled sources and paths are refused.
    bool held = false;
    // The effective group: a root-owned secret file of this group, mode 0640 or
    // stricter, counts as private (the system file of the setgid design). 0:
    // no group exception.
    gid_t group = 0;
};

// The process as it is now (reads its ids).
Privilege current_privilege();

// True when running with an effective uid/gid different from the real one.
bool is_privileged();

// The first call of main (before anything reads the environment): when the
// process is privileged (setgid, or AT_SECURE), the caller's environment is
// set aside and replaced by a short allow-list, so that no library loads code or
// reads files named by the caller while secrets are in memory:
//   PATH    a fixed /usr/local/bin:/usr/bin:/bin (the commands of the
//           administrator's configuration run after the drop, from it);
//   HOME, USER, LOGNAME  from the password database for the real uid (the
//           user's own configuration and dead letters are found in the home the
//           system gives the user, not a directory the caller names);
//   OKURU_CONFIG  kept: a file other than /etc/okuru.toml is read only after
//           the privilege is dropped;
//   CREDENTIALS_DIRECTORY  kept: only read after the drop, with the user's rights;
//   TZ      kept when it names a zone (no path, no ".."): the Date: of the message.
// Everything else (LANG, LC_*, GSSAPI_MECH_CONF, KRB5_CONFIG, XDG_*, TMPDIR...)
// is removed. Unprivileged, nothing changes. Never throws.
void clean_environment();

// Gives the caller's environment set aside by clean_environment back, once the
// privilege is gone and nothing of the system configuration was read (a user's
// own configuration, a mode that reads none): the user's password_command then
// sees the user's agent, keyring and so on. Does nothing while privileged or
// when nothing was set aside.
void restore_caller_environment();

// Sets real, effective and saved ids to the real ones and verifies it cannot be
// undone. Idempotent. Throws Error(Exit::oserr) if the kernel refuses.
void drop_privileges();

}  // namespace okuru
