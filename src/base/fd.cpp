#include "base/fd.hpp"

#include <unistd.h>

#include <cerrno>

#include "base/errors.hpp"

namespace okuru {

Fd& Fd::operator=(Fd&& other) noexcept {
    if (this != &other) {
        reset();
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

void Fd::reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

void write_all(int fd, std::string_view data, const std::string& what) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_system(Exit::ioerr, "cannot write " + what, errno);
        }
        data.remove_prefix(std::size_t(n));
    }
}

}  // namespace okuru
