#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/errors.hpp"
#include "config/secret.hpp"
#include "test_support.hpp"

using namespace okuru;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

using okuru::test::EnvGuard;

namespace {

const std::string password = "s3cr3t-Pa55";

struct TempDir : okuru::test::TempDir {
    // A helper program: the test uses /bin/sh to write it, load_secret execs it directly.
    std::string script(const std::string& name, const std::string& body) const {
        return write(name, "#!/bin/sh\n" + body + "\n", 0700);
    }
};

PasswordSource command(std::vector<std::string> argv) {
    PasswordSource s;
    s.kind = PasswordSource::Kind::command;
    s.argv = std::move(argv);
    return s;
}

PasswordSource file_source(PasswordSource::Kind kind, std::string text) {
    PasswordSource s;
    s.kind = kind;
    s.text = std::move(text);
    return s;
}

// The Error load_secret throws, checked for the code and for the secret's absence.
std::string failure(const PasswordSource& s, Exit expected) {
    try {
        load_secret(s, "account test", current_privilege());
    } catch (const Error& e) {
        CHECK(e.code() == expected);
        const std::string msg = e.what();
        CHECK(msg.find(password) == std::string::npos);
        CHECK(msg.find("account test") != std::string::npos);
        return msg;
    }
    FAIL("no error");
    return {};
}

}  // namespace

TEST_CASE("secret - moving leaves the source empty") {
    Secret a(std::string(100, 'x'));
    Secret b(std::move(a));
    CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the point of the test
    CHECK(b.reveal() == std::string(100, 'x'));
    Secret c;
    c = std::move(b);
    CHECK(b.empty());  // NOLINT(bugprone-use-after-move)
    CHECK(c.reveal().size() == 100);
}

TEST_CASE("secret - inline text is returned as written") {
    CHECK(load_secret(file_source(PasswordSource::Kind::inline_text, password), "x",
                      current_privilege())
              .reveal() == password);
    CHECK_THROWS_AS(load_secret(PasswordSource{}, "x", current_privilege()), Error);
}

TEST_CASE("secret - password_command: first line of stdout, no shell") {
    TempDir dir;
    const std::string ok = dir.script("ok", "printf '%s\\r\\nsecond line\\n' '" + password + "'");
    CHECK(load_secret(command({ok}), "t", current_privilege()).reveal() == password);
    // Arguments reach the program verbatim: no shell expands or splits them.
    const std::string echo = dir.script("echo", "printf '%s\\n' \"$1\"");
    CHECK(load_secret(command({echo, "a b; $HOME *"}), "t", current_privilege()).reveal() ==
          "a b; $HOME *");
    // Its stdin is /dev/null, not ours.
    const std::string reads = dir.script("reads", "if read x; then echo got; else echo eof; fi");
    CHECK(load_secret(command({reads}), "t", current_privilege()).reveal() == "eof");
    // A large output is read to the end (the child never blocks) and cut to the first line.
    const std::string big = dir.script("big", "echo first; head -c 300000 /dev/zero | tr '\\0' y");
    CHECK(load_secret(command({big}), "t", current_privilege()).reveal() == "first");
}

TEST_CASE("secret - password_command starts with default signal actions, none blocked") {
    // okuru ignores SIGPIPE and blocks SIGTERM while delivering; neither may reach
    // the program it runs (both would survive execve otherwise).
    TempDir dir;
    const std::string sigs =
        dir.script("sigs", "awk '/^Sig(Ign|Blk):/ { printf \"%s \", $2 }' /proc/self/status");
    struct sigaction ignore {
    }, old_pipe{};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &old_pipe);
    sigset_t term, old_mask;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, &old_mask);
    const std::string got = load_secret(command({sigs}), "t", current_privilege()).reveal();
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    sigaction(SIGPIPE, &old_pipe, nullptr);
    // "SigIgn SigBlk " in hex; the bits of signals 1-31 only (glibc keeps its
    // own real-time signals for threads, 32 and 33, as it likes).
    const auto standard = [](const std::string& hex) {
        return std::stoull(hex, nullptr, 16) & 0x7fffffffULL;
    };
    REQUIRE(got.size() == 34);
    CHECK(standard(got.substr(0, 16)) == 0);   // SIGPIPE back at its default
    CHECK(standard(got.substr(17, 16)) == 0);  // SIGTERM not blocked
}

TEST_CASE("secret - password_command failures never show its output") {
    TempDir dir;
    struct Case {
        std::string body;
        Exit code;
        std::string says;
    };
    const Case c = GENERATE(values<Case>({
        {"echo '" + password + "'; exit 3", Exit::tempfail, "exited with status 3"},
        {"echo '" + password + "'; kill -TERM $$", Exit::tempfail, "killed by signal 15"},
        {"exit 0", Exit::config, "printed an empty first line"},
        {"echo; echo '" + password + "'", Exit::config, "printed an empty first line"},
    }));
    const std::string prog = dir.script("prog", c.body);
    const std::string msg = failure(command({prog}), c.code);
    CHECK(msg.find(c.says) != std::string::npos);
    CHECK(msg.find(prog) != std::string::npos);
}

TEST_CASE("secret - password_command is killed at its time limit") {
    TempDir dir;
    const std::string slow = dir.script("slow", "echo '" + password + "'; exec sleep 30");
    const auto start = std::chrono::steady_clock::now();
    try {
        run_secret_command({slow}, "account test", 300ms, current_privilege());
        FAIL("no timeout");
    } catch (const Error& e) {
        CHECK(e.code() == Exit::tempfail);
        CHECK(std::string(e.what()).find("did not finish within 300 ms") != std::string::npos);
        CHECK(std::string(e.what()).find(password) == std::string::npos);
    }
    CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("secret - a missing password_command is a config error") {
    const std::string msg = failure(command({"/nonexistent/okuru-helper"}), Exit::config);
    CHECK(msg.find("cannot run password_command \"/nonexistent/okuru-helper\"") !=
          std::string::npos);
}

TEST_CASE("secret - password_file: first line of a private file") {
    TempDir dir;
    const std::string good = dir.write("good", password + "\nrest\n", 0600);
    CHECK(load_secret(file_source(PasswordSource::Kind::file, good), "t", current_privilege())
              .reveal() == password);
    const std::string ro = dir.write("ro", password, 0400);  // no final newline
    CHECK(load_secret(file_source(PasswordSource::Kind::file, ro), "t", current_privilege())
              .reveal() == password);

    const mode_t mode = GENERATE(mode_t(0644), mode_t(0640), mode_t(0604), mode_t(0620));
    const std::string shared = dir.write("shared", password + "\n", mode);
    const std::string msg = failure(file_source(PasswordSource::Kind::file, shared), Exit::config);
    CHECK(msg.find("chmod 600 " + shared) != std::string::npos);
    CHECK_THROWS_WITH(check_private_file(shared, getegid()), Catch::Contains("chmod 600"));

    const std::string empty = dir.write("empty", "\n", 0600);
    CHECK(failure(file_source(PasswordSource::Kind::file, empty), Exit::config).find("is empty") !=
          std::string::npos);
    failure(file_source(PasswordSource::Kind::file, (dir.path / "missing").string()), Exit::config);
}

TEST_CASE("secret - check_private_file accepts 0600 and 0400 files of the user") {
    TempDir dir;
    CHECK_NOTHROW(check_private_file(dir.write("a", "x", 0600), getegid()));
    CHECK_NOTHROW(check_private_file(dir.write("b", "x", 0400), getegid()));
    CHECK_THROWS_AS(check_private_file((dir.path / "missing").string(), getegid()), Error);
    // Owned by someone else: refused with the chown that fixes it.
    std::string foreign = "/etc/passwd";
    if (getuid() == 0) {
        foreign = dir.write("foreign", "x", 0600);
        REQUIRE(chown(foreign.c_str(), 65534, 65534) == 0);
    }
    CHECK_THROWS_WITH(check_private_file(foreign, getegid()), Catch::Contains("chown"));
}

TEST_CASE("secret - password_credential reads $CREDENTIALS_DIRECTORY/NAME") {
    TempDir dir;
    dir.write("isp", password + "\n", 0400);
    const PasswordSource cred = file_source(PasswordSource::Kind::credential, "isp");
    {
        const EnvGuard env("CREDENTIALS_DIRECTORY", dir.path.c_str());
        CHECK(load_secret(cred, "t", current_privilege()).reveal() == password);
        failure(file_source(PasswordSource::Kind::credential, "other"), Exit::config);
    }
    const EnvGuard env("CREDENTIALS_DIRECTORY", nullptr);
    CHECK(failure(cred, Exit::config).find("$CREDENTIALS_DIRECTORY") != std::string::npos);
}

TEST_CASE("secret - with the privilege held, the user's sources are refused unrun") {
    TempDir dir;
    const std::string ran = (dir.path / "ran").string();
    const std::string prog = dir.script("prog", "touch '" + ran + "'; echo '" + password + "'");
    const Privilege held{true, getegid()};
    const auto refused = [&](const PasswordSource& s, const std::string& says) {
        try {
            load_secret(s, "account test", held);
            FAIL("accepted with the privilege held");
        } catch (const Error& e) {
            CHECK(e.code() == Exit::noperm);
            CHECK(std::string(e.what()).find(says) != std::string::npos);
        }
    };
    refused(command({prog}), "refusing to use password_command");
    CHECK_FALSE(fs::exists(ran));
    dir.write("isp", password + "\n", 0400);
    const EnvGuard env("CREDENTIALS_DIRECTORY", dir.path.c_str());
    refused(file_source(PasswordSource::Kind::credential, "isp"), "password_credential");
    // A file of the system configuration is what the privilege is for.
    const std::string file = dir.write("file", password + "\n", 0600);
    CHECK(load_secret(file_source(PasswordSource::Kind::file, file), "t", held).reveal() ==
          password);
}

TEST_CASE("secret - check_private_file: root's file of the given group, 0640 at most") {
    if (getuid() != 0) {
        WARN("needs root to make a root-owned file of another group: skipped");
        return;
    }
    TempDir dir;
    const gid_t okuru_group = 4242;
    const auto system_file = [&](const char* name, mode_t mode) {
        const std::string p = dir.write(name, "x", mode);
        REQUIRE(chown(p.c_str(), 0, okuru_group) == 0);
        return p;
    };
    const std::string good = system_file("good", 0640);
    CHECK_NOTHROW(check_private_file(good, okuru_group));
    CHECK_NOTHROW(check_private_file(system_file("strict", 0440), okuru_group));
    // Another group, no group (0), or a mode that opens it further: refused.
    CHECK_THROWS_WITH(check_private_file(good, okuru_group + 1), Catch::Contains("chmod 600"));
    CHECK_THROWS_WITH(check_private_file(good, 0), Catch::Contains("chmod 600"));
    CHECK_THROWS_WITH(check_private_file(system_file("writable", 0660), okuru_group),
                      Catch::Contains("chmod 600"));
}
