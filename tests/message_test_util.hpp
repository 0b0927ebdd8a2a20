// Helpers for the message tests: feed read_message from a pipe (with a writer
// thread, as stdin would be) or from a regular file, and read a Spool back.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <string>
#include <thread>

#include "message/message.hpp"

namespace okuru::test {

inline void write_all_fd(int fd, std::string_view s) {
    while (!s.empty()) {
        const ssize_t n = ::write(fd, s.data(), s.size());
        if (n <= 0) return;  // the reader stopped early (lone dot): fine
        s.remove_prefix(std::size_t(n));
    }
}

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

inline InputMessage read_string(const std::string& in, const ReadOptions& opt) {
    ::signal(SIGPIPE, SIG_IGN);  // the reader may stop early (lone dot, errors)
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) std::abort();
    Fd r{p[0]};
    std::thread writer([w = p[1], &in] {
        write_all_fd(w, in);
        ::close(w);
    });
    try {
        InputMessage m = read_message(r.fd, opt);
        ::close(r.fd);
        r.fd = -1;
        writer.join();
        return m;
    } catch (...) {
        ::close(r.fd);  // the writer gets EPIPE and ends
        r.fd = -1;
        writer.join();
        throw;
    }
}

inline InputMessage read_file(const std::string& in, const ReadOptions& opt) {
    char path[] = "/tmp/okuru-msg-test-XXXXXX";
    Fd f{::mkstemp(path)};
    ::unlink(path);
    write_all_fd(f.fd, in);
    ::lseek(f.fd, 0, SEEK_SET);
    return read_message(f.fd, opt);
}

inline std::string body_of(const InputMessage& m) {
    std::string out(m.body.size(), '\0');
    std::size_t got = 0;
    while (got < out.size()) {
        const std::size_t n =
            m.body.read_at(got, std::span<char>(out.data() + got, out.size() - got));
        if (n == 0) break;
        got += n;
    }
    out.resize(got);
    return out;
}

}  // namespace okuru::test
