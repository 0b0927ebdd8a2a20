#include "app/maillog.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "base/errors.hpp"
#include "base/fd.hpp"
#include "base/log.hpp"
#include "config/config.hpp"

namespace okuru {
namespace {

// A value that may hold spaces or quotes goes in double quotes: \" and \\ for
// those two, \xNN (as log::escape) for control bytes.
std::string quoted(std::string_view text) {
    std::string out = "\"";
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        if (i < text.size() && text[i] != '"' && text[i] != '\\') continue;
        out += log::escape(text.substr(start, i - start));
        if (i < text.size()) out += std::string("\\") + text[i];
        start = i + 1;
    }
    return out + "\"";
}

// An address in from=<...> / to=<...>: a quoted local part may hold spaces,
// which would let a recipient forge fields ("x status=sent"@...); \x20 keeps
// every field one word.
std::string address(std::string_view text) {
    std::string out;
    for (char c : log::escape(text)) out += c == ' ' ? std::string("\\x20") : std::string(1, c);
    return out;
}

std::string utc_now() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace

std::string format_record(const SubmissionRecord& r) {
    std::string line;
    if (r.uid) {
        line += "uid=" + std::to_string(*r.uid) + " user=";
        line += r.user.empty() ? std::string("?") : address(r.user);
        line += " ";
    }
    line += "account=" + log::escape(r.account);
    if (!r.relay.empty()) line += " relay=" + log::escape(r.relay);
    if (!r.tls.empty()) line += " tls=" + r.tls;
    if (!r.auth.empty()) line += " auth=" + r.auth;
    if (r.sender_known) line += " from=<" + address(r.sender) + ">";
    line += " to=";
    for (std::size_t i = 0; i < r.recipients.size(); ++i)
        line += (i ? ",<" : "<") + address(r.recipients[i]) + ">";
    line += " size=" + std::to_string(r.size);
    line += " status=" + r.status;
    if (!r.reply.empty()) line += " reply=" + quoted(r.reply);
    if (!r.error.empty()) line += " error=" + quoted(r.error);
    if (!r.refused.empty()) {
        std::string all;
        for (const auto& x : r.refused) all += (all.empty() ? "" : "; ") + x;
        line += " refused=" + quoted(all);
    }
    line += " exit=" + std::to_string(r.exit);
    if (!r.saved.empty()) line += " saved=" + quoted(r.saved);
    if (r.not_kept) line += " kept=no";
    return line;
}

Fd open_log_file(const std::string& path) {
    Fd fd{::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)};
    // A user's first log line (log_file = "~/.local/state/okuru/okuru.log") also
    // makes its directory, private like the dead letters, rather than warning on
    // every send. Never with privilege: the system log_file is open_system_log_file.
    if (!fd && errno == ENOENT) {
        if (const auto slash = path.rfind('/'); slash != std::string::npos && slash > 0)
            make_private_dirs(path.substr(0, slash));
        fd = Fd{::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)};
    }
    if (!fd) throw_system(Exit::cantcreat, "cannot open log file " + path, errno);
    return fd;
}

Fd open_system_log_file(const std::string& path) {
    Fd fd{::open(path.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC)};
    struct stat st {};
    if (!fd || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0) return Fd();
    return fd;
}

MailLog::MailLog(const Config& config, Fd opened)
    : path_(config.log_file), file_(std::move(opened)) {
    if (!config.syslog_facility.empty()) {
        openlog("okuru", LOG_PID, syslog_facility_code(config.syslog_facility).value_or(LOG_MAIL));
        syslog_ = true;
    }
}

MailLog::~MailLog() {
    if (syslog_) closelog();
}

void MailLog::write(const SubmissionRecord& record) const {
    const std::string line = format_record(record);
    const std::string stamped = utc_now() + " " + line;
    log::info(stamped);
    if (syslog_) syslog(record.status == "failed" ? LOG_ERR : LOG_INFO, "%s", line.c_str());
    if (!file_ && !path_.empty() && !tried_) {
        tried_ = true;
        try {
            file_ = open_log_file(path_);
        } catch (const std::exception& e) {
            // The mail matters more than its log line: warn, and carry on.
            log::warn(describe(e));
        }
    }
    if (!file_) return;
    // One write of one line with O_APPEND: concurrent okuru runs (cron jobs firing
    // together) never interleave within a line.
    try {
        write_all(file_.get(), stamped + "\n", "log file " + path_);
    } catch (const std::exception& e) {
        log::warn(describe(e));
    }
}

}  // namespace okuru
