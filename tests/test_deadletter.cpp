#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "base/errors.hpp"
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
