// The password database, read by uid: one reentrant lookup (getpwuid_r) for
// every module that needs a user's name, primary group or home directory, and
// the one place that decides when $HOME is believed instead of it.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace okuru {

// One entry of the password database. An empty field counts as absent: an
// empty name names nobody and an empty home is no home.
struct PasswdEntry {
    std::string name;  // the login name; empty: the entry has none
    gid_t gid = 0;     // the primary group
    std::string home;  // the home directory as written there; empty: none
};

// The entry of `uid`; nullopt when the database has none or cannot be read.
// Throws only std::bad_alloc.
std::optional<PasswdEntry> passwd_entry(uid_t uid);

// The login name of `uid`, or its number in decimal when the database has none:
// for messages that must name the user whatever happens.
std::string user_name(uid_t uid);

// What home_directory() accepts from $HOME and from the password database.
enum class HomePolicy {
    // Any non-empty value, as a shell expands "~": a relative $HOME is taken
    // relative to the working directory. For the user's own configuration
    // ("~/" in a path, the user configuration file), which the user controls.
    as_given,
    // Absolute paths only: where okuru writes (the dead-letter Maildir), a
    // relative $HOME would put messages under whatever directory it was
    // started in; an unusable value falls through to the password database.
    absolute_only,
};

// $HOME (`home_env`, null: unset), else the home of `uid` in the password
// database, each taken only if `policy` accepts it; empty: neither. Throws
// only std::bad_alloc.
std::string home_directory(HomePolicy policy, const char* home_env, uid_t uid);

// The same for this process: $HOME, else the home of the real uid (the user
// who ran okuru, whatever group privilege it holds). Under that privilege
// clean_environment() has already replaced $HOME by the database's.
std::string home_directory(HomePolicy policy);

}  // namespace okuru
