// Passwords and tokens: read only when a connection needs them, held in memory
// that is wiped on destruction, never logged, never put in argv or the
// environment of a child process.
#pragma once

#include <string>
#include <string_view>

#include "config.hpp"

namespace okuru {

class Secret {
public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}
    Secret(const Secret&) = delete;
    Secret& operator=(const Secret&) = delete;
    Secret(Secret&& other) noexcept;
    Secret& operator=(Secret&& other) noexcept;
    ~Secret();

    const std::string& reveal() const { return value_; }
    bool empty() const { return value_.empty(); }

private:
    void wipe() noexcept;
    std::string value_;
};

// Loads a secret from its source. `what` names it in errors ("account gmail").
// inline_text: the text; file: first line of the file; credential: first line
// of $CREDENTIALS_DIRECTORY/NAME; command: first line of stdout of argv run
// without a shell, with stdin from /dev/null, a timeout, and its output never
// echoed in errors. Throws Error(Exit::config / noperm / tempfail).
Secret load_secret(const PasswordSource& source, const std::string& what);

// Refuses a file that holds secrets but is readable or writable by group/others
// or not owned by the real user (or root for the system file). Throws
// Error(Exit::config) naming the file and the chmod/chown that fixes it.
void check_private_file(const std::string& path);

}  // namespace okuru
