// Nothing lost: a message whose submission failed is saved, with its envelope,
// to a Maildir of the user's (default $XDG_STATE_HOME/okuru/failed) or the
// system spool (store/keep_place.hpp), and `okuru --resend-failed` retries each
// saved message once.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "message/dsn.hpp"
#include "message/spool.hpp"
#include "store/keep_place.hpp"
#include "store/retry.hpp"

namespace okuru {

struct SavedEnvelope {
    std::string account;  // account that was tried
    std::string sender;   // "" is the null sender
    std::vector<std::string> recipients;
    bool sender_known = true;  // false: saved before a sender was decided (no -f)
    std::string error{};       // why it was saved (read back only)
    // When it was tried and when it is due (X-Okuru-First-Attempt, -Attempts,
    // -Next-Attempt). save_failed records a first failure now when first_attempt
    // is 0; a file from an older okuru reads as one failure at its mtime.
    retry::Schedule schedule{};
    std::string given_up{};  // why it was moved aside (read back only; "" while kept)
    // -N, -R and -V as the caller gave them (X-Okuru-Notify, -Ret, -Envid): sent
    // again with every retry, and -N honoured when the message is given up.
    DsnOptions dsn{};
};

// Writes the message (headers as prepared, body from the spool, LF line endings)
// with X-Okuru-Envelope-* fields in front, via tmp/ and an atomic rename into new/.
// The caller's own Maildir is created (0700) as needed; the system spool never
// is (its directories are root's, made at installation). The file is 0600, the
// caller's, with an unguessable name. Returns the final path. Throws
// Error(Exit::cantcreat / ioerr).
std::string save_failed(const DeadLetterDir& maildir, const SavedEnvelope& envelope,
                        std::string_view error, std::string_view headers, const Spool& body);
inline std::string save_failed(const std::string& maildir, const SavedEnvelope& envelope,
                               std::string_view error, std::string_view headers,
                               const Spool& body) {
    return save_failed(DeadLetterDir{maildir}, envelope, error, headers, body);
}

// One saved message, claimed by this process (an exclusive lock that stays held
// until the object dies), so concurrent runs never send it twice.
struct ClaimedMessage {
    std::string path;
    SavedEnvelope envelope;
    uid_t owner = 0;  // who wrote the file: in the system spool, who submitted it
    int fd = -1;      // locked descriptor; the message bytes follow the envelope fields
    std::uint64_t message_offset = 0;  // where the message starts in the file
    ClaimedMessage() = default;
    ClaimedMessage(ClaimedMessage&&) noexcept;
    ClaimedMessage& operator=(ClaimedMessage&&) = delete;
    ~ClaimedMessage();
    // Removes the file (after the server accepted it).
    void remove();
    // Records a failed retry: the new schedule and error, written to a new file
    // that atomically replaces this one (and stays claimed). Throws Error.
    void reschedule(const retry::Schedule& schedule, std::string_view error);
    // Gives the message up: it goes, with an X-Okuru-Given-Up field saying `why`
    // (and `last_error` as its X-Okuru-Error unless empty), into the given-up
    // Maildir, and leaves the dead letters. Returns its new path. Throws Error
    // (the message then stays where it was).
    std::string move_aside(const std::string& given_up_maildir, std::string_view why,
                           std::string_view last_error = {});
};

// Where messages given up are moved: the Maildir++ folder ".given-up" inside the
// dead-letter Maildir, so that a mail reader shows it and a rename moves a
// message there on the same file system.
std::string given_up_dir(const std::string& maildir);

// Creates `maildir` with tmp/, new/ and cur/ (0700), or checks that they are
// real directories of this process's user that no one else can write. Throws
// Error(Exit::cantcreat) otherwise.
void make_own_maildir(const std::string& maildir);

// A saved message as mailq lists it (read without claiming it).
struct SavedMessage {
    std::string path;
    SavedEnvelope envelope;
    std::uint64_t size = 0;     // bytes of the file
    std::int64_t saved_at = 0;  // modification time, Unix seconds
    uid_t owner = 0;            // who wrote the file
};

// Problems met while reading a Maildir: an unreadable directory or file is one
// (never "empty"); so is, in the system spool, an entry that is not a plain
// file of its own (a symbolic link, a hard link, a FIFO, group or other bits).
using ReadProblems = std::vector<std::string>;

// Every message in new/ and cur/, oldest first. A missing Maildir is an empty list;
// a file okuru did not write is skipped with a warning. Other problems go to
// `problems`, or, without it, the first is thrown as Error(Exit::ioerr).
std::vector<SavedMessage> list_failed(const DeadLetterDir& maildir,
                                      ReadProblems* problems = nullptr);
inline std::vector<SavedMessage> list_failed(const std::string& maildir) {
    return list_failed(DeadLetterDir{maildir});
}

// Calls `send` for every message that can be claimed in new/ and cur/; messages
// locked by another run are skipped. `send` returns true when the message was
// accepted (the file is then deleted). Problems as for list_failed. Returns the
// number of messages left.
std::size_t for_each_failed(const DeadLetterDir& maildir,
                            const std::function<bool(ClaimedMessage&)>& send,
                            ReadProblems* problems = nullptr);
inline std::size_t for_each_failed(const std::string& maildir,
                                   const std::function<bool(ClaimedMessage&)>& send) {
    return for_each_failed(DeadLetterDir{maildir}, send);
}

}  // namespace okuru
