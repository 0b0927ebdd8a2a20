#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "store/deadletter.hpp"
#include "store/retry.hpp"
#include "test_support.hpp"

using namespace okuru::retry;
using std::chrono::seconds;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t t0 = 1'700'000'000;  // a fixed "now": the clock is ours

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// One message kept in `dir` with the given schedule; returns its path.
std::string keep_one(const okuru::test::TempDir& dir, const Schedule& schedule) {
    okuru::Spool body;
    body.append("the body\r\n");
    okuru::SavedEnvelope env{"isp", "me@example.org", {"a@x.example"}};
    env.schedule = schedule;
    return okuru::save_failed(dir.path.string(), env, "connection refused", "Subject: hi\r\n\r\n",
                              body);
}

}  // namespace

TEST_CASE("retry - backoff starts at 5 minutes and doubles up to 1 hour") {
    const Policy p;
    CHECK(backoff(p, 0) == seconds(300));
    CHECK(backoff(p, 1) == seconds(300));
    CHECK(backoff(p, 2) == seconds(600));
    CHECK(backoff(p, 3) == seconds(1200));
    CHECK(backoff(p, 4) == seconds(2400));
    CHECK(backoff(p, 5) == seconds(3600));
    CHECK(backoff(p, 6) == seconds(3600));
    CHECK(backoff(p, UINT32_MAX) == seconds(3600));
}

TEST_CASE("retry - a cap below the minimum wins") {
    Policy p;
    p.minimal_backoff = seconds(600);
    p.maximal_backoff = seconds(100);
    CHECK(backoff(p, 1) == seconds(100));
}

TEST_CASE("retry - the schedule follows the failures") {
    const Policy p;
    Schedule s = first_failure(p, t0);
    CHECK(s.first_attempt == t0);
    CHECK(s.attempts == 1);
    CHECK(s.next_attempt == t0 + 300);

    std::int64_t now = s.next_attempt;
    const std::int64_t expected[] = {600, 1200, 2400, 3600, 3600};
    for (std::int64_t wait : expected) {
        s = after_failure(p, s, now);
        CHECK(s.next_attempt == now + wait);
        now = s.next_attempt;
    }
    CHECK(s.attempts == 6);
    CHECK(s.first_attempt == t0);
}

TEST_CASE("retry - a file without a recorded first attempt starts now") {
    const Policy p;
    const Schedule s = after_failure(p, Schedule{}, t0);
    CHECK(s.first_attempt == t0);
    CHECK(s.attempts == 1);
    CHECK(s.next_attempt == t0 + 300);
}

TEST_CASE("retry - due or not due") {
    const Policy p;
    const Schedule s = first_failure(p, t0);
    CHECK(decide(p, s, t0, false) == Decision::wait);
    CHECK(decide(p, s, t0 + 299, false) == Decision::wait);
    CHECK(decide(p, s, t0 + 300, false) == Decision::attempt);
    CHECK(decide(p, s, t0 + 5000, false) == Decision::attempt);
    SECTION("-q tries it anyway") {
        CHECK(decide(p, s, t0, true) == Decision::attempt);
    }
    SECTION("a next attempt beyond the longest wait (clock set back) is due") {
        Schedule far = s;
        far.next_attempt = t0 + 3601;
        CHECK(decide(p, far, t0, false) == Decision::attempt);
        far.next_attempt = t0 + 3600;
        CHECK(decide(p, far, t0, false) == Decision::wait);
    }
}

TEST_CASE("retry - expiry after max_age, even with -q") {
    Policy p;
    const Schedule s = first_failure(p, t0);
    const std::int64_t five_days = 5 * 86400;
    CHECK_FALSE(expired(p, s, t0 + five_days - 1));
    CHECK(expired(p, s, t0 + five_days));
    CHECK(decide(p, s, t0 + five_days - 1, false) == Decision::attempt);
    CHECK(decide(p, s, t0 + five_days, false) == Decision::give_up);
    CHECK(decide(p, s, t0 + five_days, true) == Decision::give_up);
    SECTION("a shorter max_age") {
        p.max_age = seconds(3600);
        CHECK(decide(p, s, t0 + 3600, false) == Decision::give_up);
    }
    SECTION("an unknown first attempt never expires") {
        CHECK_FALSE(expired(p, Schedule{}, t0 + 10 * five_days));
    }
}

TEST_CASE("retry - the schedule is recorded with the kept message and read back") {
    okuru::test::TempDir dir;
    const std::string path = keep_one(dir, Schedule{t0, 3, t0 + 1200});
    const std::string text = slurp(path);
    CHECK(text.find("X-Okuru-First-Attempt: 1700000000\nX-Okuru-Attempts: 3\n"
                    "X-Okuru-Next-Attempt: 1700001200\n") != std::string::npos);
    const auto listed = okuru::list_failed(dir.path.string());
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].envelope.schedule.first_attempt == t0);
    CHECK(listed[0].envelope.schedule.attempts == 3);
    CHECK(listed[0].envelope.schedule.next_attempt == t0 + 1200);
}

TEST_CASE("retry - a message kept without a schedule is one failure at its mtime") {
    okuru::test::TempDir dir;
    dir.write("new/old",
              "X-Okuru-Account: isp\nX-Okuru-Envelope-To: a@x.example\n"
              "X-Okuru-Error: old\nSubject: hi\n\nbody\n");
    const auto listed = okuru::list_failed(dir.path.string());
    REQUIRE(listed.size() == 1);
    const Schedule& s = listed[0].envelope.schedule;
    CHECK(s.first_attempt == listed[0].saved_at);
    CHECK(s.attempts == 1);
    CHECK(s.next_attempt == s.first_attempt + 300);
}

TEST_CASE("retry - a failed retry replaces the file, claimed, with the new schedule") {
    okuru::test::TempDir dir;
    const std::string path = keep_one(dir, Schedule{t0, 1, t0 + 300});
    okuru::for_each_failed(dir.path.string(), [&](okuru::ClaimedMessage& m) {
        m.reschedule(after_failure(Policy{}, m.envelope.schedule, t0 + 300), "451 4.3.0 later");
        // Still claimed: a second run cannot lock the new file.
        const int other = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        REQUIRE(other >= 0);
        CHECK(flock(other, LOCK_EX | LOCK_NB) != 0);
        close(other);
        return false;
    });
    const std::string text = slurp(path);
    CHECK(text.find("X-Okuru-Error: 451 4.3.0 later\n") != std::string::npos);
    CHECK(text.find("X-Okuru-First-Attempt: 1700000000\nX-Okuru-Attempts: 2\n"
                    "X-Okuru-Next-Attempt: 1700000900\n") != std::string::npos);
    CHECK(text.ends_with("\nSubject: hi\n\nthe body\n"));
    CHECK(fs::is_empty(dir.path / "tmp"));
}

TEST_CASE("retry - a message given up is moved aside whole, never deleted") {
    okuru::test::TempDir dir;
    const std::string path = keep_one(dir, Schedule{t0, 4, t0 + 2400});
    std::string moved;
    const std::size_t left =
        okuru::for_each_failed(dir.path.string(), [&](okuru::ClaimedMessage& m) {
            moved =
                m.move_aside(okuru::given_up_dir(dir.path.string()), "not delivered for 5 days");
            return true;
        });
    CHECK(left == 0);
    CHECK_FALSE(fs::exists(path));
    CHECK(moved == (dir.path / ".given-up" / "new" / fs::path(path).filename()).string());
    const std::string text = slurp(moved);
    CHECK(text.find("X-Okuru-Envelope-To: a@x.example\n") != std::string::npos);
    CHECK(text.find("X-Okuru-Given-Up: not delivered for 5 days\n") != std::string::npos);
    CHECK(text.ends_with("\nSubject: hi\n\nthe body\n"));
    // Not among the dead letters any more, but listed where mailq looks for it.
    CHECK(okuru::list_failed(dir.path.string()).empty());
    const auto aside = okuru::list_failed(okuru::given_up_dir(dir.path.string()));
    REQUIRE(aside.size() == 1);
    CHECK(aside[0].envelope.given_up == "not delivered for 5 days");
}
