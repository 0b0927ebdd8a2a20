#include "server/line_reader.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "base/errors.hpp"
#include "base/fd.hpp"

namespace okuru::server {

std::optional<std::size_t> FdInput::read(char* buf, std::size_t n,
                                         std::chrono::milliseconds timeout) {
    for (;;) {
        pollfd p{fd_, POLLIN, 0};
        const int ready = ::poll(&p, 1, int(timeout.count()));
        if (ready < 0) {
            if (errno == EINTR) continue;
            throw_system(Exit::ioerr, "poll on the SMTP client's input", errno);
        }
        if (ready == 0) return std::nullopt;
        const ssize_t got = ::read(fd_, buf, n);
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            // A client that reset the connection has ended the session.
            if (errno == ECONNRESET) return 0;
            throw_system(Exit::ioerr, "read from the SMTP client", errno);
        }
        return std::size_t(got);
    }
}

void FdOutput::write(std::string_view bytes) {
    write_all(fd_, bytes, "a reply to the SMTP client");
}

bool LineReader::fill() {
    if (pos_ > 0) {
        buf_.erase(0, pos_);
        pos_ = 0;
    }
    if (before_wait_) before_wait_();
    char chunk[64 * 1024];
    const auto got = in_.read(chunk, sizeof chunk, idle_);
    if (!got) {
        status_ = Status::timeout;
        return false;
    }
    if (*got == 0) {
        status_ = Status::eof;
        return false;
    }
    buf_.append(chunk, *got);
    return true;
}

LineReader::Status LineReader::next(std::string& out, std::size_t max) {
    out.clear();
    std::size_t scanned = 0;  // of the unread part, known to hold no LF
    for (;;) {
        const std::string_view rest = std::string_view(buf_).substr(pos_);
        const auto lf = rest.find('\n', scanned);
        if (lf != std::string_view::npos) {
            std::size_t len = lf;
            if (len > 0 && rest[len - 1] == '\r') --len;
            if (len <= max) {
                out.assign(rest.substr(0, len));
                pos_ += lf + 1;
                return Status::line;
            }
        }
        // Longer than `max` for sure: more than one octet beyond it without LF,
        // or one that is not the CR of a CR LF still to come.
        if (lf != std::string_view::npos || rest.size() > max + 1 ||
            (rest.size() == max + 1 && rest[max] != '\r')) {
            out.assign(rest.substr(0, max));
            pos_ += max;
            return Status::partial;
        }
        scanned = rest.size();
        if (!fill()) {
            const std::string_view left = std::string_view(buf_).substr(pos_);
            if (left.empty() || status_ == Status::timeout) return status_;
            // The last line without its line end: taken as it is.
            out.assign(left.substr(0, std::min(left.size(), max)));
            pos_ += out.size();
            return out.size() < left.size() ? Status::partial : Status::line;
        }
    }
}

LineReader::Status LineReader::skip_line() {
    std::string part;
    for (;;) {
        const Status s = next(part, 64 * 1024);
        if (s != Status::partial) return s;
    }
}

}  // namespace okuru::server
