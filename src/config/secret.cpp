// Password sources. Secrets are kept in heap buffers that are wiped with
// explicit_bzero; intermediate buffers are wiped too. No error message ever
// contains a secret or the output of a password command.
#include "config/secret.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/errors.hpp"
#include "base/fd.hpp"
#include "base/log.hpp"
#include "base/passwd.hpp"

extern char** environ;

namespace okuru {
namespace {

constexpr std::size_t max_secret = 64 * 1024;
constexpr std::chrono::milliseconds command_timeout{30'000};

// A buffer wiped when it goes away, whatever path leaves the function.
struct WipedBuffer {
    std::string bytes;
    explicit WipedBuffer(std::size_t n) : bytes(n, '\0') {}
    WipedBuffer(const WipedBuffer&) = delete;
    WipedBuffer& operator=(const WipedBuffer&) = delete;
    ~WipedBuffer() { explicit_bzero(bytes.data(), bytes.size()); }
};

// The first line of `buf` (without CR LF) as a Secret. The copy is made into a
// heap buffer large enough never to use the small-string buffer, so moving it
// into the Secret leaves no stray copy behind.
Secret first_line(const WipedBuffer& buf, std::size_t len) {
    std::string_view text(buf.bytes.data(), len);
    text = text.substr(0, text.find('\n'));
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    std::string value;
    value.reserve(std::max<std::size_t>(text.size(), 64));
    value.append(text);
    return Secret(std::move(value));
}

// Reads `fd` into `buf` until end of file, a full buffer or, with `first_line_only`,
// the first newline; returns the length. Throws Error(Exit::config).
std::size_t read_into(const Fd& fd, WipedBuffer& buf, bool first_line_only, const std::string& path,
                      const std::string& what) {
    std::size_t len = 0;
    while (len < buf.bytes.size()) {
        const ssize_t n = ::read(fd.get(), buf.bytes.data() + len, buf.bytes.size() - len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_system(Exit::config, what + ": cannot read " + log::escape(path), errno);
        if (n == 0) break;
        len += std::size_t(n);
        if (first_line_only && std::memchr(buf.bytes.data(), '\n', len)) break;
    }
    return len;
}

std::string mode_text(mode_t m) {
    char out[8];
    std::snprintf(out, sizeof out, "%04o", unsigned(m & 07777));
    return out;
}

// `context` ("account x: ") prefixes the message; `group` is the process's
// effective group (see Privilege::group).
void check_private_stat(const struct stat& st, const std::string& path, const std::string& context,
                        gid_t group) {
    const std::string p = log::escape(path);
    const mode_t open_bits = st.st_mode & (S_IRWXG | S_IRWXO);
    // The system-wide file of the setgid design: root:okuru 0640, read with egid okuru.
    // Group root does not count: that would let any root-group file pass as "private".
    const bool system_file = st.st_uid == 0 && st.st_gid == group && st.st_gid != 0 &&
                             (open_bits & ~mode_t(S_IRGRP)) == 0;
    if (st.st_uid != getuid() && !system_file) {
        throw Error(Exit::config, context + p + " holds a password but belongs to " +
                                      user_name(st.st_uid) + ", not to you (" +
                                      user_name(getuid()) + "): chown " + user_name(getuid()) +
                                      " " + p + " && chmod 600 " + p);
    }
    if (open_bits != 0 && !system_file) {
        throw Error(Exit::config, context + p + " holds a password but its mode " +
                                      mode_text(st.st_mode) +
                                      " lets group or others read or write it: chmod 600 " + p);
    }
}

Secret read_private_file(const std::string& path, const std::string& what,
                         const std::string& source_name, gid_t group) {
    return read_opened_secret(open_private_file(path, what, source_name, group), path, what,
                              source_name);
}

}  // namespace

Fd open_private_file(const std::string& path, const std::string& what,
                     const std::string& source_name, gid_t group) {
    Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY)};
    if (!fd)
        throw_system(Exit::config, what + ": cannot read " + source_name + " " + log::escape(path),
                     errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        throw_system(Exit::config, what + ": " + log::escape(path), errno);
    check_private_stat(st, path, what + ": ", group);
    return fd;
}

Secret read_opened_secret(const Fd& fd, const std::string& path, const std::string& what,
                          const std::string& source_name) {
    WipedBuffer buf(max_secret);
    const std::size_t len = read_into(fd, buf, true, path, what);
    Secret s = first_line(buf, len);
    if (s.empty())
        throw Error(Exit::config,
                    what + ": " + source_name + " " + log::escape(path) + " is empty");
    return s;
}

namespace {

void refuse_privileged(const Privilege& privilege, const std::string& what,
                       const char* source_name) {
    // The setgid design: user-controlled sources run only after privileges are dropped.
    if (privilege.held) {
        throw Error(Exit::noperm, what + ": refusing to use " + source_name +
                                      " while holding okuru's group privilege");
    }
}

// Reaps the child whatever happens; kills it if it is still running.
struct Child {
    pid_t pid = -1;
    int status = 0;
    Child() = default;
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
        }
    }
    bool try_reap() {
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR)) {
            pid = -1;
            return true;
        }
        return false;
    }
};

struct SpawnActions {
    posix_spawn_file_actions_t fa;
    SpawnActions() { posix_spawn_file_actions_init(&fa); }
    SpawnActions(const SpawnActions&) = delete;
    SpawnActions& operator=(const SpawnActions&) = delete;
    ~SpawnActions() { posix_spawn_file_actions_destroy(&fa); }
};

// The child starts as a program run from a shell would: every signal at its
// default action and none blocked. okuru ignores SIGPIPE (inherited through
// execve) and blocks SIGTERM and its kind while it delivers (inherited too).
struct SpawnAttributes {
    posix_spawnattr_t attr;
    SpawnAttributes() {
        posix_spawnattr_init(&attr);
        sigset_t all, none;
        sigfillset(&all);
        sigemptyset(&none);
        posix_spawnattr_setsigdefault(&attr, &all);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    }
    SpawnAttributes(const SpawnAttributes&) = delete;
    SpawnAttributes& operator=(const SpawnAttributes&) = delete;
    ~SpawnAttributes() { posix_spawnattr_destroy(&attr); }
};

}  // namespace

Secret::Secret(Secret&& other) noexcept : value_(std::move(other.value_)) {
    other.wipe();
}

Secret& Secret::operator=(Secret&& other) noexcept {
    if (this != &other) {
        wipe();
        value_ = std::move(other.value_);
        other.wipe();
    }
    return *this;
}

Secret::~Secret() {
    wipe();
}

void Secret::wipe() noexcept {
    // Fill the whole allocation (also the small-string buffer), not only size().
    value_.resize(value_.capacity());
    explicit_bzero(value_.data(), value_.size());
    value_.clear();
}

Secret run_secret_command(const std::vector<std::string>& argv, const std::string& what,
                          std::chrono::milliseconds timeout, const Privilege& privilege) {
    const std::string name =
        "password_command \"" + log::escape(argv.empty() ? "" : argv[0]) + "\"";
    if (argv.empty()) throw Error(Exit::config, what + ": password_command is empty");
    refuse_privileged(privilege, what, "password_command");

    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw_system(Exit::oserr, what + ": pipe", errno);
    Fd out{p[0]}, in{p[1]};
    SpawnActions actions;
    posix_spawn_file_actions_addopen(&actions.fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions.fa, in.get(), STDOUT_FILENO);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    const SpawnAttributes attributes;
    Child child;
    // No shell: argv[0] is looked up in $PATH and run directly.
    const int rc = ::posix_spawnp(&child.pid, argv[0].c_str(), &actions.fa, &attributes.attr,
                                  args.data(), environ);
    in.reset();
    if (rc != 0) {
        child.pid = -1;
        throw_system(Exit::config, what + ": cannot run " + name, rc);
    }

    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto remaining_ms = [&] {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        return left.count() < 0 ? 0 : int(left.count());
    };
    const std::string limit = timeout.count() % 1000 == 0
                                  ? std::to_string(timeout.count() / 1000) + " s"
                                  : std::to_string(timeout.count()) + " ms";
    const std::string timed_out =
        what + ": " + name + " did not finish within " + limit + " and was killed";
    WipedBuffer buf(max_secret), scratch(4096);
    std::size_t len = 0;
    for (;;) {
        pollfd pfd{out.get(), POLLIN, 0};
        const int ready = ::poll(&pfd, 1, remaining_ms());
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) throw_system(Exit::oserr, what + ": poll", errno);
        if (ready == 0) throw Error(Exit::tempfail, timed_out);  // ~Child kills it
        // Past the limit the rest is read and dropped, so the child never blocks on a pipe.
        const bool full = len == buf.bytes.size();
        char* dst = full ? scratch.bytes.data() : buf.bytes.data() + len;
        const std::size_t room = full ? scratch.bytes.size() : buf.bytes.size() - len;
        const ssize_t n = ::read(out.get(), dst, room);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_system(Exit::ioerr, what + ": reading from " + name, errno);
        if (n == 0) break;
        if (!full) len += std::size_t(n);
    }
    while (!child.try_reap()) {
        if (remaining_ms() == 0) throw Error(Exit::tempfail, timed_out);
        ::poll(nullptr, 0, 10);
    }
    const int status = child.status;
    if (WIFSIGNALED(status)) {
        throw Error(Exit::tempfail, what + ": " + name + " was killed by signal " +
                                        std::to_string(WTERMSIG(status)));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        throw Error(Exit::tempfail, what + ": " + name + " exited with status " +
                                        std::to_string(WEXITSTATUS(status)) +
                                        " (its output is not shown)");
    }
    Secret s = first_line(buf, len);
    if (s.empty()) throw Error(Exit::config, what + ": " + name + " printed an empty first line");
    return s;
}

Secret read_pem_file(const std::string& path, const std::string& what) {
    const Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY)};
    if (!fd) throw_system(Exit::config, what + ": cannot read " + log::escape(path), errno);
    WipedBuffer buf(max_secret);
    const std::size_t len = read_into(fd, buf, false, path, what);
    if (len == buf.bytes.size())
        throw Error(Exit::config, what + ": " + log::escape(path) + " is larger than 64 KiB");
    std::string value;
    value.reserve(len + 1);
    value.append(buf.bytes.data(), len);
    return Secret(std::move(value));
}

Secret load_secret(const PasswordSource& source, const std::string& what,
                   const Privilege& privilege) {
    switch (source.kind) {
        case PasswordSource::Kind::none:
            throw Error(Exit::config, what + ": no password source is configured");
        case PasswordSource::Kind::inline_text: {
            std::string value;
            value.reserve(std::max<std::size_t>(source.text.size(), 64));
            value.append(source.text);
            return Secret(std::move(value));
        }
        case PasswordSource::Kind::command:
            return run_secret_command(source.argv, what, command_timeout, privilege);
        case PasswordSource::Kind::file:
            return read_private_file(source.text, what, "password_file", privilege.group);
        case PasswordSource::Kind::credential: {
            refuse_privileged(privilege, what, "password_credential");
            const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
            if (!dir || !*dir) {
                throw Error(Exit::config,
                            what + ": password_credential \"" + log::escape(source.text) +
                                "\" needs $CREDENTIALS_DIRECTORY, which systemd sets for a " +
                                "service with LoadCredential= (it is not set)");
            }
            return read_private_file(std::string(dir) + "/" + source.text, what, "credential",
                                     privilege.group);
        }
    }
    throw Error(Exit::software, what + ": unknown password source");
}

void check_private_file(const std::string& path, gid_t group) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        throw_system(Exit::config, "cannot check the permissions of " + log::escape(path), errno);
    check_private_stat(st, path, "", group);
}

}  // namespace okuru
