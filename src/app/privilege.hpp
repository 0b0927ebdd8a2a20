// System-wide use without exposing the credentials: the binary may be setgid to a
// group that alone can read /etc/okuru.toml. Privilege is used only to read that
// file and its secrets, then dropped for good before anything the user controls.
#pragma once

namespace okuru {

// True when running with an effective uid/gid different from the real one.
bool is_privileged();

// Sets real, effective and saved ids to the real ones and verifies it cannot be
// undone. Idempotent. Throws Error(Exit::oserr) if the kernel refuses.
void drop_privileges();

}  // namespace okuru
