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

// Sets real, effective and saved ids to the real ones and verifies it cannot be
// undone. Idempotent. Throws Error(Exit::oserr) if the kernel refuses.
void drop_privileges();

}  // namespace okuru
