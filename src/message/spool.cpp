#include "message/spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "base/errors.hpp"
#include "base/fd.hpp"

namespace okuru {
namespace {

std::string temp_dir() {
    const char* d = std::getenv("TMPDIR");
    return d && *d ? d : "/tmp";
}

// An anonymous file: O_TMPFILE never has a name, so nothing is left behind even
// if we are killed; file systems without it get mkstemp + immediate unlink.
int open_temp_file() {
    const std::string dir = temp_dir();
#ifdef O_TMPFILE
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) return fd;
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOENT)
        throw_system(Exit::cantcreat, "cannot create a temporary file in " + dir, errno);
#endif
    std::string path = dir + "/okuru-body-XXXXXX";
    int fd2 = ::mkostemp(path.data(), O_CLOEXEC);
    if (fd2 < 0) throw_system(Exit::cantcreat, "cannot create a temporary file in " + dir, errno);
    ::unlink(path.c_str());
    return fd2;
}

const std::string spool_what = "the message to a temporary file";

}  // namespace

Spool::Spool(Spool&& o) noexcept
    : memory_(std::move(o.memory_)),
      fd_(std::exchange(o.fd_, -1)),
      size_(std::exchange(o.size_, 0)) {}

Spool& Spool::operator=(Spool&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        memory_ = std::move(o.memory_);
        fd_ = std::exchange(o.fd_, -1);
        size_ = std::exchange(o.size_, 0);
    }
    return *this;
}

Spool::~Spool() {
    if (fd_ >= 0) ::close(fd_);
}

void Spool::append(std::string_view bytes) {
    if (bytes.empty()) return;
    if (fd_ < 0 && memory_.size() + bytes.size() <= memory_limit) {
        memory_.append(bytes);
        size_ += bytes.size();
        return;
    }
    if (fd_ < 0) {
        fd_ = open_temp_file();
        write_all(fd_, memory_, spool_what);
        std::string().swap(memory_);  // give the memory back
    }
    write_all(fd_, bytes, spool_what);
    size_ += bytes.size();
}

std::size_t Spool::read_at(std::uint64_t offset, std::span<char> buf) const {
    if (offset >= size_ || buf.empty()) return 0;
    const std::size_t want = std::size_t(std::min<std::uint64_t>(buf.size(), size_ - offset));
    if (fd_ < 0) {
        std::memcpy(buf.data(), memory_.data() + offset, want);
        return want;
    }
    std::size_t got = 0;
    while (got < want) {
        const ssize_t n = ::pread(fd_, buf.data() + got, want - got, off_t(offset + got));
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_system(Exit::ioerr, "cannot read the message back from its temporary file",
                         errno);
        }
        if (n == 0) break;
        got += std::size_t(n);
    }
    return got;
}

}  // namespace okuru
