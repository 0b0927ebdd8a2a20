#include <dirent.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "base/errors.hpp"
#include "message/spool.hpp"

using okuru::Spool;

namespace {

std::string read_all(const Spool& s, std::size_t bufsize = 4096) {
    std::string out, buf(bufsize, '\0');
    for (std::uint64_t off = 0;;) {
        const std::size_t n = s.read_at(off, buf);
        if (n == 0) break;
        out.append(buf.data(), n);
        off += n;
    }
    return out;
}

std::size_t open_fds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

// Points $TMPDIR at a fresh directory for the test's lifetime.
struct TempDirEnv {
    std::string path;
    std::string old;
    bool had_old = false;
    TempDirEnv() {
        char tmpl[] = "/tmp/okuru-spool-test-XXXXXX";
        path = ::mkdtemp(tmpl);
        if (const char* o = std::getenv("TMPDIR")) {
            old = o;
            had_old = true;
        }
        ::setenv("TMPDIR", path.c_str(), 1);
    }
    ~TempDirEnv() {
        if (had_old)
            ::setenv("TMPDIR", old.c_str(), 1);
        else
            ::unsetenv("TMPDIR");
        std::filesystem::remove_all(path);
    }
};

}  // namespace

TEST_CASE("spool - reads back what was appended, below and above the memory limit") {
    const std::size_t total = GENERATE(std::size_t(0), std::size_t(10), Spool::memory_limit,
                                       Spool::memory_limit + 1, 3 * Spool::memory_limit + 12345);
    const std::size_t piece = GENERATE(std::size_t(1000), std::size_t(65536), std::size_t(1) << 21);
    CAPTURE(total, piece);
    TempDirEnv env;
    std::string expected;
    Spool s;
    for (std::size_t i = 0; expected.size() < total; ++i) {
        std::string chunk(std::min(piece, total - expected.size()), char('a' + i % 26));
        chunk[0] = '\n';
        s.append(chunk);
        expected += chunk;
    }
    CHECK(s.size() == total);
    CHECK(read_all(s) == expected);
    CHECK(read_all(s, 7) == expected);
    // Random access in the middle.
    if (total > 100) {
        std::string buf(50, '\0');
        CHECK(s.read_at(total / 2, buf) == 50);
        CHECK(buf == expected.substr(total / 2, 50));
    }
    std::string buf(10, '\0');
    CHECK(s.read_at(total, buf) == 0);
    CHECK(s.read_at(total + 100, buf) == 0);
    // The temporary file never has a name in $TMPDIR.
    CHECK(std::filesystem::is_empty(env.path));
}

TEST_CASE("spool - moving keeps the data and closing releases the file") {
    TempDirEnv env;
    const std::size_t before = open_fds();
    {
        Spool a;
        a.append(std::string(Spool::memory_limit + 10, 'x'));
        CHECK(open_fds() == before + 1);
        Spool b(std::move(a));
        CHECK(b.size() == Spool::memory_limit + 10);
        CHECK(a.size() == 0);
        Spool c;
        c.append("small");
        c = std::move(b);
        CHECK(read_all(c) == std::string(Spool::memory_limit + 10, 'x'));
        CHECK(open_fds() == before + 1);
    }
    CHECK(open_fds() == before);
}

TEST_CASE("spool - an unusable temporary directory is a clear error") {
    TempDirEnv env;
    ::setenv("TMPDIR", (env.path + "/missing").c_str(), 1);
    Spool s;
    s.append("fits in memory");
    try {
        s.append(std::string(Spool::memory_limit, 'x'));
        FAIL("no error");
    } catch (const okuru::Error& e) {
        CHECK(e.code() == okuru::Exit::cantcreat);
        CHECK_THAT(e.what(), Catch::Contains("missing"));
    }
}
