// The input side of okuru's SMTP server (-bs): a byte source injected into the
// session, so that the protocol is testable without processes, and a line
// reader over it. RFC 5321 2.3.8 says lines end in CR LF; a local client that
// writes bare LF is tolerated (the line ends at LF, a CR before it is dropped).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace okuru::server {

// Where the session reads from.
class Input {
  public:
    virtual ~Input() = default;
    // Up to `n` bytes into `buf`: the number read, 0 at the end of input, or
    // nullopt when nothing arrived within `timeout`.
    virtual std::optional<std::size_t> read(char* buf, std::size_t n,
                                            std::chrono::milliseconds timeout) = 0;
};

// Where the session's replies go.
class Output {
  public:
    virtual ~Output() = default;
    virtual void write(std::string_view bytes) = 0;
};

// A descriptor (standard input, a socket) as an Input: poll(2) for the timeout.
class FdInput : public Input {
  public:
    explicit FdInput(int fd) : fd_(fd) {}
    std::optional<std::size_t> read(char* buf, std::size_t n,
                                    std::chrono::milliseconds timeout) override;

  private:
    int fd_;
};

// A descriptor as an Output (whole writes; an error throws Error(Exit::ioerr)).
class FdOutput : public Output {
  public:
    explicit FdOutput(int fd) : fd_(fd) {}
    void write(std::string_view bytes) override;

  private:
    int fd_;
};

class LineReader {
  public:
    enum class Status {
        line,     // a whole line, its line end removed
        partial,  // `max` octets of a longer line; the rest follows
        eof,      // the input ended (a last line without LF is returned as a line first)
        timeout,  // nothing arrived within the idle timeout
    };

    // `before_wait` runs before every read that may block: the session flushes
    // its replies there, so that pipelined commands (RFC 2920) get their replies
    // in one write while a client waiting for a reply always has it.
    LineReader(Input& in, std::chrono::milliseconds idle, std::function<void()> before_wait)
        : in_(in), idle_(idle), before_wait_(std::move(before_wait)) {}

    // The next line, or at most `max` octets of it (Status::partial).
    Status next(std::string& out, std::size_t max);

    // Skips the rest of a line after Status::partial (a command line too long).
    Status skip_line();

  private:
    bool fill();  // false: eof or timeout (in status_)

    Input& in_;
    std::chrono::milliseconds idle_;
    std::function<void()> before_wait_;
    std::string buf_;
    std::size_t pos_ = 0;
    Status status_ = Status::line;
};

}  // namespace okuru::server
