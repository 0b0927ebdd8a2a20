#include "base/passwd.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

namespace okuru {
namespace {

// glibc's own bound for a getpwuid_r buffer is a hint, not a limit (an NSS
// module may need more): the buffer doubles on ERANGE up to this.
constexpr std::size_t max_buffer = 1 << 20;

std::size_t first_buffer_size() {
    const long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
    return hint > 0 ? std::size_t(hint) : 1024;
}

bool accepted(HomePolicy policy, const char* dir) {
    if (!dir || !*dir) return false;
    return policy == HomePolicy::as_given || *dir == '/';
}

}  // namespace

std::optional<PasswdEntry> passwd_entry(uid_t uid) {
    std::vector<char> buf(first_buffer_size());
    for (;;) {
        passwd pw{};
        passwd* found = nullptr;
        const int rc = getpwuid_r(uid, &pw, buf.data(), buf.size(), &found);
        if (rc == ERANGE && buf.size() < max_buffer) {
            buf.resize(buf.size() * 2);
            continue;
        }
        if (rc == EINTR) continue;
        // An error other than "no such entry" is treated as one, like getpwuid's
        // null: no caller can do better than its fallback.
        if (rc != 0 || !found) return std::nullopt;
        PasswdEntry e;
        if (found->pw_name) e.name = found->pw_name;
        e.gid = found->pw_gid;
        if (found->pw_dir) e.home = found->pw_dir;
        return e;
    }
}

std::string user_name(uid_t uid) {
    if (auto e = passwd_entry(uid); e && !e->name.empty()) return e->name;
    return std::to_string(uid);
}

std::string home_directory(HomePolicy policy, const char* home_env, uid_t uid) {
    if (accepted(policy, home_env)) return home_env;
    if (auto e = passwd_entry(uid); e && accepted(policy, e->home.c_str())) return e->home;
    return {};
}

std::string home_directory(HomePolicy policy) {
    return home_directory(policy, std::getenv("HOME"), getuid());
}

}  // namespace okuru
