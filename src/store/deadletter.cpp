#include "store/deadletter.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>

#include "base/errors.hpp"
#include "base/fd.hpp"
#include "base/log.hpp"

namespace okuru {
namespace {

constexpr std::string_view from_field = "X-Okuru-Envelope-From: ";
constexpr std::string_view to_field = "X-Okuru-Envelope-To: ";
constexpr std::string_view account_field = "X-Okuru-Account: ";
constexpr std::string_view error_field = "X-Okuru-Error: ";
// The retry schedule (store/retry.hpp), Unix seconds and a count: plain numbers
// that an administrator can read and edit.
constexpr std::string_view first_attempt_field = "X-Okuru-First-Attempt: ";
constexpr std::string_view attempts_field = "X-Okuru-Attempts: ";
constexpr std::string_view next_attempt_field = "X-Okuru-Next-Attempt: ";
constexpr std::string_view given_up_field = "X-Okuru-Given-Up: ";
// RFC 3461 parameters, as the command line gave them (checked there: printable
// ASCII, no space).
constexpr std::string_view notify_field = "X-Okuru-Notify: ";
constexpr std::string_view ret_field = "X-Okuru-Ret: ";
constexpr std::string_view envid_field = "X-Okuru-Envid: ";

// A DSN parameter's field, unless its value could break the envelope block.
void add_dsn_field(std::string& out, std::string_view field, const std::optional<std::string>& v) {
    if (!v || v->empty()) return;
    for (char c : *v)
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) > 0x7e) return;
    out += std::string(field) + *v + "\n";
}

template <typename Int>
bool parse_number(std::string_view text, Int& out) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size();
}

// The X-Okuru-* fields in front of a kept message; `error` already escaped.
std::string envelope_fields(const SavedEnvelope& envelope, std::string_view error) {
    std::string out;
    out += std::string(account_field) + envelope.account + "\n";
    if (envelope.sender_known)
        out += std::string(from_field) + (envelope.sender.empty() ? "<>" : envelope.sender) + "\n";
    for (const auto& r : envelope.recipients) out += std::string(to_field) + r + "\n";
    out += std::string(error_field) + std::string(error) + "\n";
    const retry::Schedule& s = envelope.schedule;
    out += std::string(first_attempt_field) + std::to_string(s.first_attempt) + "\n";
    out += std::string(attempts_field) + std::to_string(s.attempts) + "\n";
    out += std::string(next_attempt_field) + std::to_string(s.next_attempt) + "\n";
    if (!envelope.given_up.empty())
        out += std::string(given_up_field) + log::escape(envelope.given_up) + "\n";
    add_dsn_field(out, notify_field, envelope.dsn.notify);
    add_dsn_field(out, ret_field, envelope.dsn.ret);
    add_dsn_field(out, envid_field, envelope.dsn.envid);
    return out;
}

// CR LF -> LF: the wire form has no other CR, so this is reversed exactly on resend.
void append_lf(std::string& out, std::string_view crlf) {
    for (std::size_t i = 0; i < crlf.size(); ++i) {
        if (crlf[i] == '\r' && i + 1 < crlf.size() && crlf[i + 1] == '\n') continue;
        out += crlf[i];
    }
}

// Maildir's time.Pid.Random.host, with 128 random bits: in the system spool
// the name is all that keeps another user from opening a file by guessing it
// (the directory cannot be listed; the file is 0600 anyway).
std::string unique_name() {
    unsigned char rnd[16];
    if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd) throw_system(Exit::oserr, "getrandom", errno);
    char host[HOST_NAME_MAX + 1] = {};
    gethostname(host, sizeof host - 1);
    for (char* p = host; *p; ++p)
        if (*p == '/' || *p == ':') *p = '_';
    std::string r;
    static const char hex[] = "0123456789abcdef";
    for (unsigned char c : rnd) {
        r += hex[c >> 4];
        r += hex[c & 15];
    }
    return std::to_string(std::time(nullptr)) + ".P" + std::to_string(getpid()) + "R" + r + "." +
           host;
}

// Reads the X-Okuru-* fields at the start of a claimed file; leaves the offset
// just after them.
SavedEnvelope read_envelope(int fd, const std::string& path) {
    SavedEnvelope env;
    env.sender_known = false;
    std::string line;
    char c;
    while (true) {
        ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0 || c == '\n') {
            std::string_view l = line;
            if (l.starts_with(from_field)) {
                env.sender = std::string(l.substr(from_field.size()));
                env.sender_known = true;
                if (env.sender == "<>") env.sender.clear();
            } else if (l.starts_with(to_field)) {
                env.recipients.emplace_back(l.substr(to_field.size()));
            } else if (l.starts_with(account_field)) {
                env.account = std::string(l.substr(account_field.size()));
            } else if (l.starts_with(error_field)) {
                env.error = std::string(l.substr(error_field.size()));
            } else if (l.starts_with(first_attempt_field)) {
                parse_number(l.substr(first_attempt_field.size()), env.schedule.first_attempt);
            } else if (l.starts_with(attempts_field)) {
                parse_number(l.substr(attempts_field.size()), env.schedule.attempts);
            } else if (l.starts_with(next_attempt_field)) {
                parse_number(l.substr(next_attempt_field.size()), env.schedule.next_attempt);
            } else if (l.starts_with(given_up_field)) {
                env.given_up = std::string(l.substr(given_up_field.size()));
            } else if (l.starts_with(notify_field)) {
                env.dsn.notify = std::string(l.substr(notify_field.size()));
            } else if (l.starts_with(ret_field)) {
                env.dsn.ret = std::string(l.substr(ret_field.size()));
            } else if (l.starts_with(envid_field)) {
                env.dsn.envid = std::string(l.substr(envid_field.size()));
            } else {
                // First non-envelope line: rewind to its start.
                lseek(fd, -off_t(line.size() + (n > 0 ? 1 : 0)), SEEK_CUR);
                break;
            }
            line.clear();
            if (n <= 0) break;
        } else {
            line += c;
            if (line.size() > 4096) break;
        }
    }
    if (env.recipients.empty())
        throw Error(Exit::dataerr, path + ": not a message saved by okuru (no envelope)");
    // Kept by an okuru without retry fields: one failure when the file was written.
    if (env.schedule.first_attempt <= 0) {
        struct stat st {};
        if (fstat(fd, &st) == 0) env.schedule = retry::first_failure(retry::Policy{}, st.st_mtime);
    }
    return env;
}

// The files in new/ and cur/ (a missing Maildir has none); a directory that
// cannot be read is a problem, never an empty list.
std::vector<std::string> saved_paths(const std::string& maildir, ReadProblems& problems) {
    std::vector<std::string> paths;
    for (const char* sub : {"/new", "/cur"}) {
        const std::string dir = maildir + sub;
        std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), closedir);
        if (!d) {
            if (errno != ENOENT)
                problems.push_back("cannot read " + dir + ": " + std::strerror(errno));
            continue;
        }
        errno = 0;
        while (dirent* e = readdir(d.get())) {
            if (e->d_name[0] != '.') paths.push_back(dir + "/" + e->d_name);
            errno = 0;
        }
        if (errno != 0) problems.push_back("cannot read " + dir + ": " + std::strerror(errno));
    }
    return paths;
}

// Opens a saved file for reading. In the system spool every entry was written
// by some local user and is treated as hostile: root reads it only if it is a
// regular file (O_NOFOLLOW: never a symbolic link; O_NONBLOCK: a FIFO cannot
// hang the reader), with one link (not a hard link to a file of someone else's),
// without group or other permission bits (okuru made it 0600). The owner,
// recorded, is the user who submitted it. Returns an invalid Fd when the file is
// gone (resent meanwhile) or refused (the problem is recorded).
Fd open_saved(const DeadLetterDir& maildir, const std::string& path, struct stat& st,
              ReadProblems& problems) {
    Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY));
    if (!fd) {
        if (errno == ELOOP)
            problems.push_back(path + ": a symbolic link, not a message (left alone)");
        else if (errno != ENOENT)
            problems.push_back("cannot read " + path + ": " + std::strerror(errno));
        return Fd();
    }
    if (fstat(fd.get(), &st) != 0) {
        problems.push_back("cannot read " + path + ": " + std::strerror(errno));
        return Fd();
    }
    std::string refused;
    if (!S_ISREG(st.st_mode)) {
        refused = "not a regular file";
    } else if (maildir.kind == DeadLetterKind::system_spool) {
        if (st.st_nlink != 1)
            refused = "has " + std::to_string(st.st_nlink) + " links (okuru writes one)";
        else if ((st.st_mode & 07077) != 0)
            refused = "mode " + std::to_string((st.st_mode >> 6) & 7) +
                      std::to_string((st.st_mode >> 3) & 7) + std::to_string(st.st_mode & 7) +
                      " (okuru writes 0600)";
    }
    if (!refused.empty()) {
        problems.push_back(path + ": " + refused + ", not a message (left alone)");
        return Fd();
    }
    return fd;
}

void settle(ReadProblems& found, ReadProblems* problems) {
    if (found.empty()) return;
    if (!problems) throw Error(Exit::ioerr, found.front());
    problems->insert(problems->end(), found.begin(), found.end());
}

}  // namespace

std::string save_failed(const DeadLetterDir& dir, const SavedEnvelope& envelope,
                        std::string_view error, std::string_view headers, const Spool& body) {
    const std::string& maildir = dir.path;
    if (dir.kind == DeadLetterKind::own)
        for (const char* sub : {"/tmp", "/new", "/cur"}) make_private_dirs(maildir + sub);
    const std::string name = unique_name();
    const std::string tmp = maildir + "/tmp/" + name;
    Fd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) throw_system(Exit::cantcreat, "cannot create " + tmp, errno);

    SavedEnvelope recorded = envelope;
    if (recorded.schedule.first_attempt <= 0)
        recorded.schedule = retry::first_failure(retry::Policy{}, std::time(nullptr));
    std::string out = envelope_fields(recorded, log::escape(error));
    append_lf(out, headers);
    write_all(fd.get(), out, tmp);

    std::string chunk(1 << 16, '\0');
    std::string converted;
    bool pending_cr = false;
    for (std::uint64_t off = 0;;) {
        std::size_t n = body.read_at(off, {chunk.data(), chunk.size()});
        if (n == 0) break;
        off += n;
        converted.clear();
        std::string_view piece(chunk.data(), n);
        if (pending_cr && piece.front() != '\n') converted += '\r';
        pending_cr = piece.back() == '\r';
        if (pending_cr) piece.remove_suffix(1);
        append_lf(converted, piece);
        write_all(fd.get(), converted, tmp);
    }
    if (fsync(fd.get()) != 0) throw_system(Exit::ioerr, "cannot sync " + tmp, errno);
    const std::string final_path = maildir + "/new/" + name;
    if (rename(tmp.c_str(), final_path.c_str()) != 0)
        throw_system(Exit::cantcreat, "cannot move message into " + maildir + "/new", errno);
    return final_path;
}

ClaimedMessage::ClaimedMessage(ClaimedMessage&& o) noexcept
    : path(std::move(o.path)), envelope(std::move(o.envelope)), fd(o.fd) {
    o.fd = -1;
}

ClaimedMessage::~ClaimedMessage() {
    if (fd >= 0) close(fd);  // releases the lock
}

void ClaimedMessage::remove() {
    // Only the file that was sent: in the system spool its owner may have renamed
    // it and put another file under its name meanwhile.
    struct stat by_fd {
    }, by_path{};
    if (fd >= 0 && (fstat(fd, &by_fd) != 0 || lstat(path.c_str(), &by_path) != 0 ||
                    by_fd.st_ino != by_path.st_ino || by_fd.st_dev != by_path.st_dev))
        return;
    if (unlink(path.c_str()) != 0 && errno != ENOENT)
        throw_system(Exit::ioerr, "cannot remove " + path, errno);
}

namespace {

// Writes `fields` and the message bytes of `m` to `maildir`/tmp/`name`, synced
// and locked; the caller renames it into place. Returns the descriptor.
Fd write_copy(const ClaimedMessage& m, const std::string& fields, const std::string& tmp) {
    Fd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) throw_system(Exit::cantcreat, "cannot create " + tmp, errno);
    // A copy root makes of a message in the system spool stays the submitter's:
    // the owner is who mailq names and whose address a sender-less message gets.
    if (m.owner != geteuid() && fchown(fd.get(), m.owner, gid_t(-1)) != 0) {
        const int err = errno;
        unlink(tmp.c_str());
        throw_system(Exit::ioerr, "cannot give " + tmp + " back to its owner", err);
    }
    // Locked before it has a name another run could open.
    if (flock(fd.get(), LOCK_EX) != 0) throw_system(Exit::ioerr, "cannot lock " + tmp, errno);
    try {
        write_all(fd.get(), fields, tmp);
        std::string chunk(1 << 16, '\0');
        for (off_t off = off_t(m.message_offset);;) {
            const ssize_t n = pread(m.fd, chunk.data(), chunk.size(), off);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw_system(Exit::ioerr, "cannot read " + m.path, errno);
            if (n == 0) break;
            off += n;
            write_all(fd.get(), std::string_view(chunk.data(), std::size_t(n)), tmp);
        }
        if (fsync(fd.get()) != 0) throw_system(Exit::ioerr, "cannot sync " + tmp, errno);
    } catch (...) {
        unlink(tmp.c_str());
        throw;
    }
    return fd;
}

std::string base_name(const std::string& path) {
    return path.substr(path.rfind('/') + 1);
}

// The Maildir holding `path` (".../new/name" -> "...").
std::string maildir_of(const std::string& path) {
    const std::string dir = path.substr(0, path.rfind('/'));
    return dir.substr(0, dir.rfind('/'));
}

}  // namespace

namespace {

// Creates (0700) or checks `dir`: a real directory, not a symbolic link, this
// process's own, writable by nobody else. Root moves messages of the system
// spool into its .given-up folder; that spool is writable by every user, so a
// folder (or a symbolic link) a user made there first must never receive what
// root writes.
void own_private_dir(const std::string& dir) {
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        throw_system(Exit::cantcreat, "cannot create " + dir, errno);
    struct stat st {};
    if (lstat(dir.c_str(), &st) != 0) throw_system(Exit::cantcreat, "cannot read " + dir, errno);
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) != 0)
        throw Error(Exit::cantcreat,
                    dir + ": not a private directory of uid " + std::to_string(geteuid()) +
                        " (a symbolic link, another user's, or writable by others): "
                        "nothing is moved there");
}

}  // namespace

void make_own_maildir(const std::string& maildir) {
    const std::string parent = maildir.substr(0, maildir.rfind('/'));
    if (!parent.empty()) make_private_dirs(parent);
    own_private_dir(maildir);
    for (const char* sub : {"/tmp", "/new", "/cur"}) own_private_dir(maildir + sub);
}

std::string given_up_dir(const std::string& maildir) {
    return maildir + "/.given-up";
}

void ClaimedMessage::reschedule(const retry::Schedule& schedule, std::string_view error) {
    SavedEnvelope updated = envelope;
    updated.schedule = schedule;
    updated.error = log::escape(error);
    const std::string tmp = maildir_of(path) + "/tmp/" + base_name(path);
    Fd copy = write_copy(*this, envelope_fields(updated, updated.error), tmp);
    // Atomic: the old file or the new one is there, never neither.
    if (rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        unlink(tmp.c_str());
        throw_system(Exit::cantcreat, "cannot replace " + path, err);
    }
    envelope = std::move(updated);
    // The new file stays claimed: its lock lives in the open file description
    // that the duplicate shares; closing the old descriptor releases the old inode.
    const int claimed = fcntl(copy.get(), F_DUPFD_CLOEXEC, 0);
    if (claimed < 0) throw_system(Exit::oserr, "cannot duplicate a descriptor", errno);
    close(fd);
    fd = claimed;
}

std::string ClaimedMessage::move_aside(const std::string& given_up_maildir, std::string_view why,
                                       std::string_view last_error) {
    make_own_maildir(given_up_maildir);
    SavedEnvelope updated = envelope;
    updated.given_up = std::string(why);
    if (!last_error.empty()) updated.error = log::escape(last_error);
    const std::string name = base_name(path);
    const std::string tmp = given_up_maildir + "/tmp/" + name;
    write_copy(*this, envelope_fields(updated, updated.error), tmp);
    const std::string final_path = given_up_maildir + "/new/" + name;
    if (rename(tmp.c_str(), final_path.c_str()) != 0) {
        const int err = errno;
        unlink(tmp.c_str());
        throw_system(Exit::cantcreat, "cannot move message into " + given_up_maildir + "/new", err);
    }
    // Only now is the kept copy removed: a crash in between leaves two copies,
    // never none.
    remove();
    envelope = std::move(updated);
    return final_path;
}

std::size_t for_each_failed(const DeadLetterDir& maildir,
                            const std::function<bool(ClaimedMessage&)>& send,
                            ReadProblems* problems) {
    std::size_t left = 0;
    ReadProblems found;
    for (const std::string& path : saved_paths(maildir.path, found)) {
        ClaimedMessage m;
        m.path = path;
        struct stat st {};
        const Fd opened = open_saved(maildir, path, st, found);
        if (!opened) continue;  // taken and removed by another run, or refused
        // The same open file description (its lock) for the message's lifetime.
        m.fd = fcntl(opened.get(), F_DUPFD_CLOEXEC, 0);
        if (m.fd < 0) throw_system(Exit::oserr, "cannot duplicate a descriptor", errno);
        m.owner = st.st_uid;
        if (flock(m.fd, LOCK_EX | LOCK_NB) != 0) {
            ++left;  // another run is sending it right now
            continue;
        }
        // The other run may have sent and unlinked it between our open and lock.
        struct stat by_fd {
        }, by_path{};
        if (fstat(m.fd, &by_fd) != 0 || stat(m.path.c_str(), &by_path) != 0 ||
            by_fd.st_ino != by_path.st_ino || by_fd.st_dev != by_path.st_dev)
            continue;
        try {
            m.envelope = read_envelope(m.fd, m.path);
            m.message_offset = std::uint64_t(lseek(m.fd, 0, SEEK_CUR));
            if (send(m)) {
                m.remove();
                continue;
            }
        } catch (const std::exception& e) {
            std::fprintf(stderr, "okuru: %s: %s\n", m.path.c_str(), describe(e).c_str());
        }
        ++left;
    }
    settle(found, problems);
    return left;
}

std::vector<SavedMessage> list_failed(const DeadLetterDir& maildir, ReadProblems* problems) {
    std::vector<SavedMessage> out;
    ReadProblems found;
    for (const std::string& path : saved_paths(maildir.path, found)) {
        SavedMessage m;
        m.path = path;
        struct stat st {};
        const Fd fd = open_saved(maildir, path, st, found);
        if (!fd) continue;  // resent meanwhile, or refused
        try {
            m.envelope = read_envelope(fd.get(), m.path);
        } catch (const std::exception& ex) {
            log::warn(describe(ex));
            continue;
        }
        m.size = std::uint64_t(st.st_size);
        m.saved_at = st.st_mtime;
        m.owner = st.st_uid;
        out.push_back(std::move(m));
    }
    settle(found, problems);
    std::sort(out.begin(), out.end(), [](const SavedMessage& a, const SavedMessage& b) {
        return a.saved_at != b.saved_at ? a.saved_at < b.saved_at : a.path < b.path;
    });
    return out;
}

}  // namespace okuru
