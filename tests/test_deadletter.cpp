#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "base/errors.hpp"
#include "base/passwd.hpp"
#include "store/deadletter.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;

using okuru::test::TempDir;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string rest_of(int fd) {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, std::size_t(n));
    return out;
}

}  // namespace

TEST_CASE("deadletter - a saved message keeps envelope, headers and body") {
    TempDir dir;
    okuru::Spool body;
    body.append("line one\r\n.dot line\r\nlast\r\n");
    const std::string path = okuru::save_failed(
        dir.path.string(), {"isp", "me@example.org", {"a@x.example", "b@y.example"}},
        "RCPT TO:<a@x.example> rejected: 450 4.2.0 \x1b[31mbusy",
        "From: me@example.org\r\nSubject: hi\r\n\r\n", body);

    CHECK(fs::path(path).parent_path() == dir.path / "new");
    CHECK((fs::status(path).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));
    CHECK(fs::is_empty(dir.path / "tmp"));
    const std::string text = slurp(path);
    // The retry schedule's fields (tests/test_retry.cpp) follow the error.
    CHECK(
        text.starts_with("X-Okuru-Account: isp\n"
                         "X-Okuru-Envelope-From: me@example.org\n"
                         "X-Okuru-Envelope-To: a@x.example\n"
                         "X-Okuru-Envelope-To: b@y.example\n"
                         "X-Okuru-Error: RCPT TO:<a@x.example> rejected: 450 4.2.0 "
                         "\\x1b[31mbusy\n"
                         "X-Okuru-First-Attempt: "));
    CHECK(text.find("\nX-Okuru-Attempts: 1\nX-Okuru-Next-Attempt: ") != std::string::npos);
    CHECK(text.ends_with("\nFrom: me@example.org\nSubject: hi\n\nline one\n.dot line\nlast\n"));

    int calls = 0;
    const std::size_t left =
        okuru::for_each_failed(dir.path.string(), [&](okuru::ClaimedMessage& m) {
            ++calls;
            CHECK(m.envelope.account == "isp");
            CHECK(m.envelope.sender == "me@example.org");
            CHECK(m.envelope.recipients == std::vector<std::string>{"a@x.example", "b@y.example"});
            CHECK(rest_of(m.fd) ==
                  "From: me@example.org\nSubject: hi\n\nline one\n.dot line\nlast\n");
            return false;  // not accepted: stays
        });
    CHECK(calls == 1);
    CHECK(left == 1);
    CHECK(fs::exists(path));

    const std::size_t left2 =
        okuru::for_each_failed(dir.path.string(), [](okuru::ClaimedMessage&) { return true; });
    CHECK(left2 == 0);
    CHECK_FALSE(fs::exists(path));
}

TEST_CASE("deadletter - the null sender survives the round trip") {
    TempDir dir;
    okuru::Spool body;
    okuru::save_failed(dir.path.string(), {"isp", "", {"a@x.example"}}, "x", "\r\n", body);
    okuru::for_each_failed(dir.path.string(), [](okuru::ClaimedMessage& m) {
        CHECK(m.envelope.sender.empty());
        CHECK(m.envelope.sender_known);
        return true;
    });
}

TEST_CASE("deadletter - concurrent resend runs send every message exactly once") {
    TempDir dir;
    okuru::Spool body;
    body.append("x\r\n");
    constexpr int messages = 40;
    for (int i = 0; i < messages; ++i)
        okuru::save_failed(dir.path.string(),
                           {"isp", "me@example.org", {"n" + std::to_string(i) + "@x.example"}},
                           "err", "Subject: s\r\n\r\n", body);
    const fs::path sent_log = dir.path / "sent.log";

    std::vector<pid_t> kids;
    for (int k = 0; k < 4; ++k) {
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            int log = open(sent_log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
            okuru::for_each_failed(dir.path.string(), [&](okuru::ClaimedMessage& m) {
                std::string line = m.envelope.recipients.at(0) + "\n";
                if (write(log, line.data(), line.size()) != ssize_t(line.size())) _exit(2);
                usleep(2000);  // widen the race window
                return true;
            });
            _exit(0);
        }
        kids.push_back(pid);
    }
    for (pid_t pid : kids) {
        int status = 0;
        waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    std::map<std::string, int> count;
    std::istringstream in(slurp(sent_log));
    for (std::string line; std::getline(in, line);) ++count[line];
    CHECK(count.size() == std::size_t(messages));
    for (const auto& [rcpt, n] : count) {
        INFO(rcpt);
        CHECK(n == 1);
    }
    CHECK(fs::is_empty(dir.path / "new"));
}

TEST_CASE("deadletter - the DSN requests (-N, -R, -V) are kept with the message") {
    TempDir dir;
    okuru::Spool body;
    okuru::SavedEnvelope env{"isp", "a@x.example", {"b@y.example"}};
    env.dsn = okuru::DsnOptions{"SUCCESS,FAILURE", "HDRS", "order-17+x"};
    okuru::save_failed(dir.path.string(), env, "x", "Subject: s\r\n\r\n", body);
    const auto listed = okuru::list_failed(dir.path.string());
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].envelope.dsn.notify == "SUCCESS,FAILURE");
    CHECK(listed[0].envelope.dsn.ret == "HDRS");
    CHECK(listed[0].envelope.dsn.envid == "order-17+x");

    // None given: none read back (a retry sends no NOTIFY, RET or ENVID either).
    TempDir plain;
    okuru::save_failed(plain.path.string(), {"isp", "a@x.example", {"b@y.example"}}, "x",
                       "Subject: s\r\n\r\n", body);
    const auto none = okuru::list_failed(plain.path.string());
    REQUIRE(none.size() == 1);
    CHECK_FALSE(none[0].envelope.dsn.notify);
    CHECK_FALSE(none[0].envelope.dsn.ret);
    CHECK_FALSE(none[0].envelope.dsn.envid);

    // A value that could end the envelope block early is not written (the command
    // line refuses such values; this guards the file format itself).
    TempDir odd;
    env.dsn.envid = "id\nX-Okuru-Envelope-To: c@z.example";
    okuru::save_failed(odd.path.string(), env, "x", "Subject: s\r\n\r\n", body);
    const auto guarded = okuru::list_failed(odd.path.string());
    REQUIRE(guarded.size() == 1);
    CHECK_FALSE(guarded[0].envelope.dsn.envid);
    CHECK(guarded[0].envelope.recipients == std::vector<std::string>{"b@y.example"});
}

TEST_CASE("deadletter - an undecided sender is saved as absent, not as the null sender") {
    TempDir dir;
    okuru::Spool body;
    okuru::SavedEnvelope env{"", "", {"root"}};
    env.sender_known = false;
    const std::string path = okuru::save_failed(dir.path.string(), env, "no alias", "\r\n", body);
    CHECK(slurp(path).find("X-Okuru-Envelope-From") == std::string::npos);
    okuru::for_each_failed(dir.path.string(), [](okuru::ClaimedMessage& m) {
        CHECK_FALSE(m.envelope.sender_known);
        CHECK(m.envelope.recipients == std::vector<std::string>{"root"});
        return true;
    });
}

TEST_CASE("deadletter - mailq lists saved messages without claiming them") {
    TempDir dir;
    CHECK(okuru::list_failed((dir.path / "missing").string()).empty());
    okuru::Spool body;
    body.append("hello\r\n");
    const std::string first =
        okuru::save_failed(dir.path.string(), {"isp", "me@example.org", {"a@x.example"}},
                           "cannot connect", "Subject: 1\r\n\r\n", body);
    const std::string second =
        okuru::save_failed(dir.path.string(), {"", "", {"root"}, false},
                           "no account for recipient root", "Subject: 2\r\n\r\n", body);
    // Make the order by time certain (both were saved within the same second).
    const timespec times[2] = {{1'000'000'000, 0}, {1'000'000'000, 0}};
    REQUIRE(utimensat(AT_FDCWD, first.c_str(), times, 0) == 0);
    // Junk that okuru did not write is skipped, not fatal.
    std::ofstream(dir.path / "new" / "junk") << "Subject: not ours\n\nx\n";

    const auto listed = okuru::list_failed(dir.path.string());
    REQUIRE(listed.size() == 2);
    CHECK(listed[0].path == first);
    CHECK(listed[0].saved_at == 1'000'000'000);
    CHECK(listed[0].envelope.account == "isp");
    CHECK(listed[0].envelope.sender == "me@example.org");
    CHECK(listed[0].envelope.error == "cannot connect");
    CHECK(listed[0].size == fs::file_size(first));
    CHECK(listed[1].path == second);
    CHECK_FALSE(listed[1].envelope.sender_known);
    CHECK(listed[1].envelope.recipients == std::vector<std::string>{"root"});
    // Listing claims nothing: a resend run still gets both.
    int claimed = 0;
    okuru::for_each_failed(dir.path.string(), [&](okuru::ClaimedMessage&) {
        ++claimed;
        return false;
    });
    CHECK(claimed == 2);
}

// ---- issue 10, part 1: where a failed message goes ----------------------------------

namespace {

// A system spool as installed (root's 1733 tmp/ new/ cur/), in a temporary directory.
okuru::DeadLetterDir make_spool(const TempDir& dir) {
    const fs::path spool = dir.path / "spool";
    for (const char* sub : {"", "/tmp", "/new", "/cur"}) {
        const std::string p = spool.string() + sub;
        REQUIRE(mkdir(p.c_str(), 0700) == 0);
        REQUIRE(chmod(p.c_str(), 01733) == 0);
    }
    return {spool.string(), okuru::DeadLetterKind::system_spool};
}

// Sets an environment variable for one scope (nullptr: unset).
struct ScopedEnv {
    std::string name;
    std::optional<std::string> old;
    ScopedEnv(const char* n, const char* value) : name(n) {
        if (const char* v = std::getenv(n)) old = v;
        if (value)
            setenv(n, value, 1);
        else
            unsetenv(n);
    }
    ~ScopedEnv() {
        if (old)
            setenv(name.c_str(), old->c_str(), 1);
        else
            unsetenv(name.c_str());
    }
};

}  // namespace

TEST_CASE("deadletter - the system spool is never created and keeps 0600 files") {
    TempDir dir;
    okuru::Spool body;
    body.append("x\r\n");
    const okuru::DeadLetterDir missing{(dir.path / "none").string(),
                                       okuru::DeadLetterKind::system_spool};
    CHECK_THROWS_MATCHES(
        okuru::save_failed(missing, {"isp", "", {"a@x.example"}}, "e", "\r\n", body), okuru::Error,
        Catch::Predicate<okuru::Error>(
            [](const okuru::Error& e) { return e.code() == okuru::Exit::cantcreat; }));
    CHECK_FALSE(fs::exists(dir.path / "none"));

    const okuru::DeadLetterDir spool = make_spool(dir);
    const std::string path =
        okuru::save_failed(spool, {"isp", "", {"a@x.example"}}, "e", "\r\n", body);
    CHECK(fs::path(path).parent_path() == fs::path(spool.path) / "new");
    struct stat st {};
    REQUIRE(stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(st.st_uid == getuid());
    // 128 random bits in the name: the directory cannot be listed by users.
    CHECK(fs::path(path).filename().string().find('R') != std::string::npos);
    CHECK(fs::path(path).filename().string().size() > 40);
    const auto listed = okuru::list_failed(spool);
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].owner == getuid());
}

TEST_CASE("deadletter - entries of the system spool are hostile") {
    TempDir dir;
    const okuru::DeadLetterDir spool = make_spool(dir);
    okuru::Spool body;
    body.append("x\r\n");
    const std::string good =
        okuru::save_failed(spool, {"isp", "", {"a@x.example"}}, "e", "\r\n", body);
    const fs::path news = fs::path(spool.path) / "new";
    // A link to a file of someone else's, a hard link, a FIFO, a file readable by others.
    const std::string secret = dir.write("secret", "X-Okuru-Envelope-To: a@x.example\n\nsecret\n");
    fs::create_symlink(secret, news / "symlink");
    fs::create_hard_link(secret, news / "hardlink");
    REQUIRE(mkfifo((news / "fifo").c_str(), 0600) == 0);
    const std::string loose =
        dir.write("spool/new/loose", "X-Okuru-Envelope-To: a@x.example\n\nx\n", 0644);
    REQUIRE(chmod(loose.c_str(), 0644) == 0);

    okuru::ReadProblems problems;
    const auto listed = okuru::list_failed(spool, &problems);
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].path == good);
    std::string all;
    for (const auto& p : problems) all += p + "\n";
    CHECK(problems.size() == 4);
    CHECK(all.find("symlink: a symbolic link") != std::string::npos);
    CHECK(all.find("hardlink: has 2 links") != std::string::npos);
    CHECK(all.find("fifo: not a regular file") != std::string::npos);
    CHECK(all.find("loose: mode 644") != std::string::npos);
    // Without a place for problems, the first is an error (mailq's exit 74).
    CHECK_THROWS_AS(okuru::list_failed(spool), okuru::Error);

    // --resend-failed: the same entries are never sent nor removed.
    std::vector<std::string> sent;
    okuru::ReadProblems resend_problems;
    okuru::for_each_failed(
        spool,
        [&](okuru::ClaimedMessage& m) {
            sent.push_back(m.path);
            CHECK(m.owner == getuid());
            return true;
        },
        &resend_problems);
    CHECK(sent == std::vector<std::string>{good});
    CHECK(resend_problems.size() == 4);
    CHECK(fs::is_symlink(news / "symlink"));
    CHECK(fs::exists(news / "hardlink"));
    CHECK(fs::exists(secret));
    CHECK_FALSE(fs::exists(good));  // sent and removed
    // A user's own Maildir (the user's own files) only refuses what is not a
    // regular file: the hard link and the 0644 file are listed there.
    okuru::ReadProblems own_problems;
    CHECK(okuru::list_failed(okuru::DeadLetterDir{spool.path}, &own_problems).size() == 2);
    CHECK(own_problems.size() == 2);  // the symbolic link and the FIFO
}

TEST_CASE("deadletter - an unreadable Maildir is an error, not an empty one") {
    TempDir dir;
    // new/ that is not a directory: opendir fails whoever runs the test.
    dir.write("failed/new", "not a directory");
    okuru::ReadProblems problems;
    CHECK(okuru::list_failed(okuru::DeadLetterDir{(dir.path / "failed").string()}, &problems)
              .empty());
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].find("cannot read " + (dir.path / "failed" / "new").string()) == 0);
    CHECK_THROWS_MATCHES(okuru::list_failed((dir.path / "failed").string()), okuru::Error,
                         Catch::Predicate<okuru::Error>(
                             [](const okuru::Error& e) { return e.code() == okuru::Exit::ioerr; }));
    if (getuid() == 0) {
        // A directory of root's, mode 0700, read by another user (CI runs as root).
        okuru::Spool body;
        body.append("x\r\n");
        okuru::save_failed((dir.path / "private").string(), {"isp", "", {"a@x.example"}}, "e",
                           "\r\n", body);
        REQUIRE(chmod(dir.path.c_str(), 0755) == 0);
        const pid_t child = fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            if (setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
            okuru::ReadProblems p;
            const auto l =
                okuru::list_failed(okuru::DeadLetterDir{(dir.path / "private").string()}, &p);
            _exit(l.empty() && p.size() == 2 && p[0].find("Permission denied") != std::string::npos
                      ? 0
                      : 1);
        }
        int status = 0;
        REQUIRE(waitpid(child, &status, 0) == child);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
}

TEST_CASE("deadletter - a claimed file replaced under its name is not removed") {
    TempDir dir;
    okuru::Spool body;
    body.append("x\r\n");
    const std::string path =
        okuru::save_failed(dir.path.string(), {"isp", "", {"a@x.example"}}, "e", "\r\n", body);
    okuru::for_each_failed(dir.path.string(), [&](okuru::ClaimedMessage&) {
        // Its owner renames it and puts another file under the name.
        fs::rename(path, path + ".moved");
        std::ofstream(path) << "another file\n";
        return true;
    });
    CHECK(fs::exists(path));
    CHECK(fs::exists(path + ".moved"));
}

TEST_CASE("deadletter - where a failed message goes") {
    TempDir dir;
    const ScopedEnv no_state("XDG_STATE_HOME", nullptr);
    okuru::Config config;
    SECTION("HOME: its Maildir, then the system spool") {
        const ScopedEnv home("HOME", dir.path.c_str());
        const auto places = okuru::keep_places(config);
        REQUIRE(places.size() == 2);
        CHECK(places[0].dir.path == dir.path.string() + "/.local/state/okuru/failed");
        CHECK(places[0].dir.kind == okuru::DeadLetterKind::own);
        CHECK(places[0].unusable.empty());
        CHECK(places[1].dir.path == okuru::system_spool().path);
        CHECK(places[1].dir.kind == okuru::DeadLetterKind::system_spool);
    }
    SECTION("HOME unset (cron under systemd): the password database's home") {
        const ScopedEnv home("HOME", nullptr);
        const passwd* pw = getpwuid(getuid());
        REQUIRE(pw != nullptr);
        CHECK(okuru::dead_letter_dir(config) ==
              std::string(pw->pw_dir) + "/.local/state/okuru/failed");
    }
    SECTION("a home that does not exist is never created") {
        const std::string missing = (dir.path / "nonexistent").string();
        const ScopedEnv home("HOME", missing.c_str());
        const auto places = okuru::keep_places(config);
        REQUIRE(places.size() == 2);
        CHECK(places[0].unusable.find("home " + missing + ": No such file") == 0);
        CHECK(places[1].dir.kind == okuru::DeadLetterKind::system_spool);
    }
    SECTION("dead_letter: created as needed") {
        config.dead_letter = (dir.path / "a" / "b").string();
        const auto places = okuru::keep_places(config);
        CHECK(places[0].dir.path == config.dead_letter);
        CHECK(places[0].unusable.empty());
    }
}

TEST_CASE("deadletter - a dead_letter shared with another user is refused") {
    TempDir dir;
    okuru::Config config;
    config.path = "/etc/okuru.toml";
    config.dead_letter = (dir.path / "failed").string();
    CHECK_NOTHROW(okuru::check_dead_letter(config));  // not there yet: the caller's
    REQUIRE(mkdir(config.dead_letter.c_str(), 0700) == 0);
    CHECK_NOTHROW(okuru::check_dead_letter(config));
    if (getuid() == 0) {
        REQUIRE(chown(config.dead_letter.c_str(), 65534, 65534) == 0);
        try {
            okuru::check_dead_letter(config);
            FAIL("accepted a Maildir of another user's");
        } catch (const okuru::Error& e) {
            CHECK(e.code() == okuru::Exit::config);
            const std::string what = e.what();
            CHECK(what.find("/etc/okuru.toml: dead_letter \"" + config.dead_letter +
                            "\" belongs to " + okuru::user_name(65534) + ", not to root") == 0);
            CHECK(what.find("keeps one user's messages") != std::string::npos);
        }
    }
    config.dead_letter = okuru::system_spool().path + "/";
    CHECK_THROWS_WITH(okuru::check_dead_letter(config), Catch::Contains("is the system spool"));
}

TEST_CASE("deadletter - the given-up folder must be a private directory of our own") {
    // In the system spool any user could make .given-up first (or a symbolic
    // link named so); root must never write through it.
    TempDir dir;
    TempDir elsewhere;
    const std::string given_up = okuru::given_up_dir(dir.path.string());

    SECTION("made when missing, 0700, with its Maildir subdirectories") {
        okuru::make_own_maildir(given_up);
        for (const char* sub : {"", "/tmp", "/new", "/cur"}) {
            struct stat st {};
            REQUIRE(lstat((given_up + sub).c_str(), &st) == 0);
            CHECK(S_ISDIR(st.st_mode));
            CHECK((st.st_mode & 0777) == 0700);
        }
    }
    SECTION("a symbolic link is refused and nothing is created behind it") {
        fs::create_directory_symlink(elsewhere.path, given_up);
        CHECK_THROWS_WITH(okuru::make_own_maildir(given_up),
                          Catch::Contains("not a private directory"));
        CHECK(fs::is_empty(elsewhere.path));
    }
    SECTION("a directory others may write to is refused") {
        fs::create_directory(given_up);
        chmod(given_up.c_str(), 0777);
        CHECK_THROWS_AS(okuru::make_own_maildir(given_up), okuru::Error);
    }
    SECTION("another user's directory is refused") {
        if (geteuid() == 0) {
            fs::create_directory(given_up);
            REQUIRE(chown(given_up.c_str(), 65534, 65534) == 0);
            CHECK_THROWS_WITH(okuru::make_own_maildir(given_up),
                              Catch::Contains("not a private directory"));
        }
    }
}
