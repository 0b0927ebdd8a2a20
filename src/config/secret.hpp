// Passwords and tokens: read only when a connection needs them, held in memory
// that is wiped on destruction, never logged, never put in argv or the
// environment of a child process.
#pragma once

#include <string.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/fd.hpp"
#include "base/privilege.hpp"

namespace okuru {

// Where a password (or token) comes from, as the configuration names it.
struct PasswordSource {
    enum class Kind { none, inline_text, command, file, credential };
    Kind kind = Kind::none;
    std::string text;               // inline_text: the password; file: path; credential: name
    std::vector<std::string> argv;  // command: argv, run without a shell

    PasswordSource() = default;
    PasswordSource(Kind k, std::string t, std::vector<std::string> a)
        : kind(k), text(std::move(t)), argv(std::move(a)) {}
    PasswordSource(const PasswordSource&) = default;
    PasswordSource& operator=(const PasswordSource&) = default;
    // An inline password is a secret too: wiped with the configuration.
    ~PasswordSource() { explicit_bzero(text.data(), text.size()); }
};

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
// echoed in errors. With privilege.held, the command and credential sources are
// refused (Exit::noperm): they belong to the user and wait until the privilege is
// dropped. Files are checked with check_private_file(privilege.group). Throws
// Error(Exit::config / noperm / tempfail).
Secret load_secret(const PasswordSource& source, const std::string& what,
                   const Privilege& privilege);

// The command part of load_secret, with its time limit (load_secret uses 30 s).
// Refuses to run while the privilege is held (it must be dropped first).
// Throws Error(config) if it cannot be started or prints nothing, Error(tempfail) on
// a non-zero exit, a signal or the timeout (the child is killed); never shows its output.
Secret run_secret_command(const std::vector<std::string>& argv, const std::string& what,
                          std::chrono::milliseconds timeout, const Privilege& privilege);

// A password file opened now (with whatever rights the process has) and
// checked as check_private_file does, to be read later: read_opened_secret
// gives its first line as load_secret would. Both throw Error(Exit::config).
Fd open_private_file(const std::string& path, const std::string& what,
                     const std::string& source_name, gid_t group);
Secret read_opened_secret(const Fd& fd, const std::string& path, const std::string& what,
                          const std::string& source_name);

// The whole of a PEM file holding a key (a client certificate and its key),
// read as it is, at most 64 KiB. Throws Error(Exit::config) naming the file.
Secret read_pem_file(const std::string& path, const std::string& what);

// Refuses a file that holds secrets but is readable or writable by group/others
// or not owned by the real user. The one exception is the system-wide file of the
// setgid design: owned by root, group = `group` (the process's effective group,
// Privilege::group; 0 allows no exception), mode 0640 or stricter.
// Throws Error(Exit::config) naming the file and the chmod/chown that fixes it.
void check_private_file(const std::string& path, gid_t group);

}  // namespace okuru
