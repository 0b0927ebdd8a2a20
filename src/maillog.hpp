// The per-submission record: one line for each message handed to a relay (or
// not), written to the configuration's log_file, to syslog, and to the -X file.
// It names the account, relay, envelope, size and the server's final reply (with
// its queue id) or the error, never a secret: nothing here can hold one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fd.hpp"

namespace okuru {

struct Config;

struct SubmissionRecord {
    std::string account;
    std::string relay;  // "host:port"
    std::string tls;    // "starttls", "implicit", "none"
    std::string auth;   // mechanism used; empty: none or unknown (after a failure)
    std::string sender;
    std::vector<std::string> recipients;
    std::uint64_t size = 0;  // header and body octets as sent
    std::string status;      // "sent", "resent" or "failed"
    std::string reply;       // the server's reply to the end of data (sent)
    std::string error;       // what went wrong (failed)
    int exit = 0;
    std::string saved;  // where the message was kept (failed), if it was
};

// "account=... relay=... ... exit=N": fields in a fixed order, values quoted
// where they may hold spaces, control bytes escaped (the reply came from the
// network).
std::string format_record(const SubmissionRecord& record);

// Writes records where the configuration asks (log_file, syslog), and always
// to the -X file (through log::info, so -v shows it too). Failures to write the
// log are warnings: they never change the outcome of a submission.
class MailLog {
  public:
    // Opens config.log_file (appending, created 0600), unless `opened` already
    // holds it: with okuru's group privilege (system-wide use) the file of
    // /etc/okuru.toml is opened before privileges are dropped (open_log_file).
    explicit MailLog(const Config& config, Fd opened = Fd());
    ~MailLog();
    MailLog(const MailLog&) = delete;
    MailLog& operator=(const MailLog&) = delete;

    void write(const SubmissionRecord& record) const;

  private:
    std::string path_;
    Fd file_;
    bool syslog_ = false;
};

// Opens a log file for appending (O_APPEND, created 0600). Throws Error(cantcreat).
Fd open_log_file(const std::string& path);

}  // namespace okuru
