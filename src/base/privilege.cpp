#include "base/privilege.hpp"

#include <unistd.h>

#include <cerrno>

#include "base/errors.hpp"

namespace okuru {

Privilege current_privilege() {
    return Privilege{is_privileged(), getegid()};
}

bool is_privileged() {
    return getegid() != getgid() || geteuid() != getuid();
}

void drop_privileges() {
    const gid_t gid = getgid();
    const uid_t uid = getuid();
    if (setresgid(gid, gid, gid) != 0)
        throw_system(Exit::oserr, "cannot drop group privileges", errno);
    if (setresuid(uid, uid, uid) != 0)
        throw_system(Exit::oserr, "cannot drop user privileges", errno);
    // Paranoia: if the saved id survived, regaining it must fail.
    if (gid != 0 && getegid() != gid) throw Error(Exit::oserr, "group privileges still held");
    if (uid != 0 && geteuid() != uid) throw Error(Exit::oserr, "user privileges still held");
}

}  // namespace okuru
