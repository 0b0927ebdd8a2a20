// The per-submission record: one line for each message handed to a relay (or
// not), written to the configuration's log_file, to syslog, and to the -X file.
// It names the account, relay, envelope, size and the server's final reply (with
// its queue id) or the error, never a secret: nothing here can hold one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/fd.hpp"

namespace okuru {

struct Config;

struct SubmissionRecord {
    // The local user who submitted (the real uid, as Postfix's pickup logs it)
    // and their login name (empty: not in the password database). attempt()
    // always fills them; a record without uid is one built by a test.
    std::optional<std::uint32_t> uid;
    std::string user;
    std::string account;
    std::string relay;  // "host:port"
    std::string tls;    // "starttls", "implicit", "none"
    std::string auth;   // mechanism used; empty: none or unknown (after a failure)
    std::string sender;
    bool sender_known = true;  // false: failed before a sender was decided (no from=)
    std::vector<std::string> recipients;
    std::uint64_t size = 0;  // header and body octets as sent
    std::string status;      // "sent", "resent" or "failed"
    std::string reply;       // the server's reply to the end of data (sent)
    std::string error;       // what went wrong (failed)
    int exit = 0;
    std::string saved;      // where the message was kept (failed), if it was
    bool not_kept = false;  // failed and kept nowhere: "kept=no" (issue 10)
    // Partial delivery: each recipient the server refused while accepting the
    // others, as "<rcpt> REPLY"; `saved` then holds the copy kept for the 4xx ones.
    std::vector<std::string> refused;
};

// "uid=N user=NAME account=... relay=... ... exit=N": fields in a fixed order, values quoted
// where they may hold spaces, control bytes escaped (the reply came from the
// network).
std::string format_record(const SubmissionRecord& record);

// Writes records where the configuration asks (log_file, syslog), and always
// to the -X file (through log::info, so -v shows it too). Failures to write the
// log are warnings: they never change the outcome of a submission.
class MailLog {
  public:
    // Appends to config.log_file (opened at the first record, created 0600), or
    // to `opened`: with okuru's group privilege (system-wide use) the file of
    // /etc/okuru.toml is opened before privileges are dropped (open_log_file).
    explicit MailLog(const Config& config, Fd opened = Fd());
    ~MailLog();
    MailLog(const MailLog&) = delete;
    MailLog& operator=(const MailLog&) = delete;

    void write(const SubmissionRecord& record) const;

  private:
    std::string path_;
    mutable Fd file_;
    mutable bool tried_ = false;  // opening path_ failed once: warned, not again
    bool syslog_ = false;
};

// Opens a log file for appending (O_APPEND, created 0600, missing directories
// created 0700). Throws Error(cantcreat).
Fd open_log_file(const std::string& path);

// The same for the privileged open of /etc/okuru.toml's log_file: never creates
// the file or follows a symbolic link at its end, and keeps it only if root owns
// it (the administrator made it, root:okuru 0660). nullopt-like empty Fd when
// it is not such a file (okuru then opens it later with the user's rights).
Fd open_system_log_file(const std::string& path);

}  // namespace okuru
