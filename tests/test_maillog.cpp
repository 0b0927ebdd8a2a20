// The per-submission log record: its one-line format (fields in a fixed order,
// values quoted and escaped so nothing from the network or an address can forge
// a field), and MailLog writing it to the configuration's log_file.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/maillog.hpp"
#include "config/config.hpp"
#include "test_support.hpp"

using namespace okuru;
using okuru::test::TempDir;

TEST_CASE("maillog - the per-submission line") {
    SubmissionRecord r;
    r.uid = 1000;
    r.user = "me";
    r.account = "gmail";
    r.relay = "smtp.gmail.com:587";
    r.tls = "starttls";
    r.auth = "PLAIN";
    r.sender = "me@example.com";
    r.recipients = {"a@example.net", "b@example.org"};
    r.size = 1234;
    r.status = "sent";
    r.reply = "250 2.0.0 OK \"queued\" as 4Zx1";
    CHECK(format_record(r) ==
          "uid=1000 user=me account=gmail relay=smtp.gmail.com:587 tls=starttls auth=PLAIN "
          "from=<me@example.com> "
          "to=<a@example.net>,<b@example.org> size=1234 status=sent "
          "reply=\"250 2.0.0 OK \\\"queued\\\" as 4Zx1\" exit=0");

    // A quoted local part with spaces cannot forge fields.
    SubmissionRecord forged;
    forged.account = "a";
    forged.sender = "me@example.org";
    forged.recipients = {"\"x status=sent exit=0 y\"@example.test"};
    forged.status = "failed";
    forged.exit = 69;
    CHECK(
        format_record(forged) ==
        "account=a from=<me@example.org> to=<\"x\\x20status=sent\\x20exit=0\\x20y\"@example.test> "
        "size=0 status=failed exit=69");
    forged.sender_known = false;
    CHECK(format_record(forged).find("from=") == std::string::npos);
    // A login name is one word too; a uid without a name says so.
    forged.uid = 4242;
    forged.user = "a b";
    CHECK(format_record(forged).rfind("uid=4242 user=a\\x20b account=a ", 0) == 0);
    forged.user.clear();
    CHECK(format_record(forged).rfind("uid=4242 user=? account=a ", 0) == 0);

    SubmissionRecord f;
    f.account = "isp";
    f.sender = "";
    f.recipients = {"x@y.example"};
    f.status = "failed";
    f.error = "cannot connect\nnow";
    f.exit = 75;
    f.saved = "/home/u/.local/state/okuru/failed/new/1";
    CHECK(format_record(f) ==
          "account=isp from=<> to=<x@y.example> size=0 status=failed "
          "error=\"cannot connect\\x0anow\" exit=75 "
          "saved=\"/home/u/.local/state/okuru/failed/new/1\"");
}

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("maillog - log_file: one stamped line per record, appended, created 0600") {
    TempDir dir;
    Config config;
    config.log_file = (dir.path / "okuru.log").string();
    SubmissionRecord r;
    r.account = "a";
    r.recipients = {"x@y.example"};
    r.status = "sent";
    {
        const MailLog maillog(config);
        maillog.write(r);
        r.status = "failed";
        r.exit = 75;
        maillog.write(r);
    }
    const std::string text = read_file(config.log_file);
    std::istringstream lines(text);
    std::string line;
    std::vector<std::string> got;
    while (std::getline(lines, line)) got.push_back(line);
    REQUIRE(got.size() == 2);
    // "2026-12-01T10:00:00Z account=a ..."
    for (const std::string& l : got) {
        REQUIRE(l.size() > 21);
        CHECK(l[4] == '-');
        CHECK(l[10] == 'T');
        CHECK(l.substr(19, 2) == "Z ");
    }
    CHECK(got[0].substr(21) == "account=a from=<> to=<x@y.example> size=0 status=sent exit=0");
    CHECK(got[1].substr(21) == "account=a from=<> to=<x@y.example> size=0 status=failed exit=75");
    struct stat st {};
    REQUIRE(stat(config.log_file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("maillog - a user's log_file gets its missing directories, private") {
    TempDir dir;
    Config config;
    config.log_file = (dir.path / "state" / "okuru" / "okuru.log").string();
    {
        const MailLog maillog(config);
        SubmissionRecord r;
        r.account = "a";
        r.status = "sent";
        maillog.write(r);
    }
    CHECK_THAT(read_file(config.log_file), Catch::Contains("account=a"));
    for (const auto& d : {dir.path / "state", dir.path / "state" / "okuru"}) {
        struct stat st {};
        REQUIRE(stat(d.c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0700);
    }
}

TEST_CASE("maillog - a log_file that cannot be opened never fails the submission") {
    TempDir dir;
    Config config;
    // A regular file where a directory should be: refused even for root.
    std::ofstream(dir.path / "not-a-dir") << "x";
    config.log_file = (dir.path / "not-a-dir" / "okuru.log").string();
    const MailLog maillog(config);
    SubmissionRecord r;
    r.account = "a";
    r.status = "sent";
    CHECK_NOTHROW(maillog.write(r));
    CHECK_NOTHROW(maillog.write(r));
    CHECK_FALSE(std::filesystem::exists(config.log_file));
}

TEST_CASE("maillog - the system log_file is opened only if root made it, never created") {
    TempDir dir;
    const std::string missing = (dir.path / "missing.log").string();
    CHECK_FALSE(open_system_log_file(missing));
    CHECK_FALSE(std::filesystem::exists(missing));
    const std::string file = dir.write("okuru.log", "", 0660);
    const std::string link = (dir.path / "link.log").string();
    std::filesystem::create_symlink(file, link);
    CHECK_FALSE(open_system_log_file(link));  // a symbolic link at its end
    if (getuid() == 0) {
        CHECK(open_system_log_file(file));
        REQUIRE(chown(file.c_str(), 65534, 65534) == 0);
    }
    CHECK_FALSE(open_system_log_file(file));  // not root's
}
