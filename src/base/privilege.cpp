#include "base/privilege.hpp"

#include <sys/auxv.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "base/errors.hpp"
#include "base/passwd.hpp"

extern char** environ;

namespace okuru {
namespace {

// The caller's environment while privileged (clean_environment), or empty.
std::vector<std::string>& set_aside() {
    static std::vector<std::string> saved;
    return saved;
}
bool environment_cleaned = false;

// A time zone name ("Europe/Paris", ":UTC", "CET-1CEST"), not a file the caller
// points at: glibc reads TZ's file with the process's rights.
bool sane_tz(std::string_view tz) {
    if (tz.empty() || tz.size() > 64) return false;
    if (tz.front() == ':') tz.remove_prefix(1);
    if (tz.empty() || tz.front() == '/' || tz.find("..") != std::string_view::npos) return false;
    for (const char c : tz)
        if (c <= 0x20 || c >= 0x7f) return false;
    return true;
}

}  // namespace

void clean_environment() {
    if (!is_privileged() && getauxval(AT_SECURE) == 0) return;
    std::vector<std::string>& saved = set_aside();
    for (char** e = environ; e && *e; ++e) saved.emplace_back(*e);
    std::string okuru_config, credentials, tz;
    for (const std::string& kv : saved) {
        const std::string_view entry = kv;
        const auto eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        const std::string_view name = entry.substr(0, eq), value = entry.substr(eq + 1);
        if (name == "OKURU_CONFIG") okuru_config = value;
        if (name == "CREDENTIALS_DIRECTORY") credentials = value;
        if (name == "TZ" && sane_tz(value)) tz = value;
    }
    clearenv();
    environment_cleaned = true;
    setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
    if (const auto entry = passwd_entry(getuid())) {
        if (!entry->home.empty()) setenv("HOME", entry->home.c_str(), 1);
        if (!entry->name.empty()) {
            setenv("USER", entry->name.c_str(), 1);
            setenv("LOGNAME", entry->name.c_str(), 1);
        }
    }
    if (!okuru_config.empty()) setenv("OKURU_CONFIG", okuru_config.c_str(), 1);
    if (!credentials.empty()) setenv("CREDENTIALS_DIRECTORY", credentials.c_str(), 1);
    if (!tz.empty()) setenv("TZ", tz.c_str(), 1);
}

void restore_caller_environment() {
    if (!environment_cleaned || is_privileged()) return;
    clearenv();
    for (const std::string& kv : set_aside()) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) continue;
        setenv(kv.substr(0, eq).c_str(), kv.c_str() + eq + 1, 1);
    }
    set_aside().clear();
    environment_cleaned = false;
}

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
