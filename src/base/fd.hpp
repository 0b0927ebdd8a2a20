// A file descriptor owned by one object (RAII), and the write loop every
// writer of a whole buffer needs.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace okuru {

class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    // Closes now (e.g. a pipe end that must be closed before waiting on the child).
    void reset() noexcept;

  private:
    int fd_ = -1;
};

// Writes all of `data` to a blocking descriptor, retrying on EINTR. Throws
// Error(Exit::ioerr, "cannot write " + what + ": ...").
void write_all(int fd, std::string_view data, const std::string& what);

// Creates `path` and each missing parent, mode 0700 (existing ones are left as
// they are). Throws Error(Exit::cantcreat) naming the directory that failed.
void make_private_dirs(const std::string& path);

}  // namespace okuru
