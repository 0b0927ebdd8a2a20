#include "base/fd.hpp"

#include <sys/stat.h>
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

void make_private_dirs(const std::string& path) {
    for (std::size_t pos = 1; pos <= path.size(); ++pos) {
        if (pos != path.size() && path[pos] != '/') continue;
        const std::string part = path.substr(0, pos);
        if (mkdir(part.c_str(), 0700) != 0 && errno != EEXIST)
            throw_system(Exit::cantcreat, "cannot create " + part, errno);
    }
}

}  // namespace okuru
