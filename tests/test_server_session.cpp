// okuru's SMTP server (-bs) in scripted dialogues: the session reads from a
// scripted Input (one chunk per read, or a timeout) and its replies are
// checked write by write.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "app/smtp_mode.hpp"
#include "server/command.hpp"
#include "server/session.hpp"

using namespace okuru;
using namespace okuru::server;

namespace {

constexpr const char* idle = "\x01idle";  // a chunk that stands for the idle timeout

class Script : public Input {
  public:
    explicit Script(std::vector<std::string> chunks) : chunks_(chunks.begin(), chunks.end()) {}
    std::optional<std::size_t> read(char* buf, std::size_t n, std::chrono::milliseconds) override {
        if (chunks_.empty()) return 0;
        std::string& c = chunks_.front();
        if (c == idle) {
            chunks_.pop_front();
            return std::nullopt;
        }
        const std::size_t k = std::min(n, c.size());
        c.copy(buf, k);
        c.erase(0, k);
        if (c.empty()) chunks_.pop_front();
        return k;
    }

  private:
    std::deque<std::string> chunks_;
};

struct Writes : Output {
    std::vector<std::string> writes;
    void write(std::string_view b) override { writes.emplace_back(b); }
    std::string all() const {
        std::string s;
        for (const auto& w : writes) s += w;
        return s;
    }
    // The reply codes in order (the last line of each multi-line reply).
    std::vector<int> codes() const {
        std::vector<int> out;
        const std::string s = all();
        std::size_t pos = 0;
        while (pos < s.size()) {
            const auto eol = s.find("\r\n", pos);
            if (s[pos + 3] == ' ') out.push_back(std::stoi(s.substr(pos, 3)));
            pos = eol + 2;
        }
        return out;
    }
};

struct Received {
    Transaction tx;
    std::string content;
};

struct Harness {
    std::vector<Received> got;
    DataReply answer{250, "2.0.0 submitted to the relay: 250 ok"};
    Setting setting;
    Writes out;
    Harness() {
        setting.hostname = "host.test";
        setting.deliver = [this](const Transaction& tx, int fd) {
            std::string content;
            char buf[4096];
            ssize_t n;
            while ((n = ::read(fd, buf, sizeof buf)) > 0) content.append(buf, std::size_t(n));
            got.push_back({tx, content});
            return answer;
        };
    }
    Ending run(std::vector<std::string> chunks) {
        Script in(std::move(chunks));
        return run_session(in, out, setting);
    }
};

const std::string msg = "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n";

}  // namespace

TEST_CASE("server - the happy path: EHLO, one message, QUIT", "[server]") {
    Harness h;
    const Ending e =
        h.run({"EHLO client.test\r\n", "MAIL FROM:<a@x.test> BODY=8BITMIME SIZE=100\r\n",
               "RCPT TO:<b@y.test>\r\n", "RCPT TO:<c@z.test>\r\n", "DATA\r\n",
               "Subject: hi\r\n\r\nbody\r\n.\r\n", "QUIT\r\n"});
    CHECK(e == Ending::quit);
    CHECK(h.out.codes() == std::vector<int>{220, 250, 250, 250, 250, 354, 250, 221});
    const std::string all = h.out.all();
    CHECK(all.find("250-PIPELINING\r\n") != std::string::npos);
    CHECK(all.find("250-8BITMIME\r\n") != std::string::npos);
    CHECK(all.find("250-SMTPUTF8\r\n") != std::string::npos);
    CHECK(all.find("250-SIZE 67108864\r\n") != std::string::npos);
    // The peer is a local process: nothing to log in to, nothing to encrypt.
    CHECK(all.find("AUTH") == std::string::npos);
    CHECK(all.find("STARTTLS") == std::string::npos);
    CHECK(all.find("250 2.0.0 submitted to the relay") != std::string::npos);
    REQUIRE(h.got.size() == 1);
    CHECK(h.got[0].tx.sender == "a@x.test");
    CHECK(h.got[0].tx.recipients == std::vector<std::string>{"b@y.test", "c@z.test"});
    CHECK(h.got[0].tx.eight_bit);
    CHECK_FALSE(h.got[0].tx.smtputf8);
    CHECK(h.got[0].content == "Subject: hi\r\n\r\nbody\r\n");
}

TEST_CASE("server - several messages in one session, and the null sender", "[server]") {
    Harness h;
    h.run({"HELO c\r\n", msg, "one\r\n.\r\n", "MAIL FROM:<> SMTPUTF8\r\nRCPT TO:<root>\r\nDATA\r\n",
           "two\r\n.\r\n", "QUIT\r\n"});
    REQUIRE(h.got.size() == 2);
    CHECK(h.got[0].content == "one\r\n");
    CHECK(h.got[1].content == "two\r\n");
    CHECK(h.got[1].tx.sender.empty());
    CHECK(h.got[1].tx.smtputf8);
    CHECK(h.got[1].tx.recipients == std::vector<std::string>{"root"});
}

TEST_CASE("server - RSET ends the transaction", "[server]") {
    Harness h;
    h.run({"EHLO c\r\n", "MAIL FROM:<a@x.test>\r\n", "RCPT TO:<b@y.test>\r\n", "RSET\r\n",
           "DATA\r\n", "RCPT TO:<b@y.test>\r\n", "NOOP\r\n", "QUIT\r\n"});
    CHECK(h.out.codes() == std::vector<int>{220, 250, 250, 250, 250, 503, 503, 250, 221});
    CHECK(h.got.empty());
}

TEST_CASE("server - commands out of sequence get 503", "[server]") {
    Harness h;
    h.run({"MAIL FROM:<a@x.test>\r\n", "EHLO c\r\n", "RCPT TO:<b@y.test>\r\n", "DATA\r\n",
           "MAIL FROM:<a@x.test>\r\n", "DATA\r\n", "MAIL FROM:<a@x.test>\r\n", "QUIT\r\n"});
    CHECK(h.out.codes() == std::vector<int>{220, 503, 250, 503, 503, 250, 503, 503, 221});
}

TEST_CASE("server - unknown commands get 500, unoffered ones 502", "[server]") {
    Harness h;
    h.run({"EHLO c\r\n", "FOO bar\r\n", "AUTH PLAIN AGFAYg==\r\n", "STARTTLS\r\n", "VRFY x\r\n",
           "QUIT\r\n"});
    CHECK(h.out.codes() == std::vector<int>{220, 250, 500, 502, 502, 252, 221});
}

TEST_CASE("server - a command line too long gets 500 and the session goes on", "[server]") {
    Harness h;
    h.setting.limits.max_command_line = 64;
    h.run({"EHLO c\r\n", "NOOP " + std::string(200, 'x') + "\r\n", "NOOP\r\n", "QUIT\r\n"});
    CHECK(h.out.codes() == std::vector<int>{220, 250, 500, 250, 221});
    CHECK(h.out.all().find("500 5.5.2 line too long") != std::string::npos);
}

TEST_CASE("server - the size limit: SIZE declared and content received", "[server]") {
    Harness h;
    h.setting.limits.max_message = 100;
    h.run({"EHLO c\r\n", "MAIL FROM:<a@x.test> SIZE=101\r\n", msg,
           std::string(150, 'x') + "\r\n.\r\n", msg, "short\r\n.\r\n", "QUIT\r\n"});
    CHECK(h.out.codes() ==
          std::vector<int>{220, 250, 552, 250, 250, 354, 552, 250, 250, 354, 250, 221});
    // The oversized message was read to its dot and dropped; the next one goes.
    REQUIRE(h.got.size() == 1);
    CHECK(h.got[0].content == "short\r\n");
}

TEST_CASE("server - dot-unstuffing (RFC 5321 4.5.2)", "[server]") {
    Harness h;
    h.run({"EHLO c\r\n", msg, "..\r\n...x\r\n.y\r\n a.\r\n.\r\n", "QUIT\r\n"});
    REQUIRE(h.got.size() == 1);
    CHECK(h.got[0].content == ".\r\n..x\r\ny\r\n a.\r\n");
}

TEST_CASE("server - bare LF line ends are tolerated, in commands and content", "[server]") {
    Harness h;
    h.run({"EHLO c\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\nDATA\n", "S: x\n\nbody\nmore\r\n.\n",
           "QUIT\n"});
    CHECK(h.out.codes() == std::vector<int>{220, 250, 250, 250, 354, 250, 221});
    REQUIRE(h.got.size() == 1);
    CHECK(h.got[0].content == "S: x\r\n\r\nbody\r\nmore\r\n");
}

TEST_CASE("server - a line split across reads, and a long content line", "[server]") {
    Harness h;
    const std::string longline(200000, 'z');
    h.run({"EH", "LO c\r", "\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n",
           longline + "\r", "\n.", "\r\n", "QUIT\r\n"});
    REQUIRE(h.got.size() == 1);
    CHECK(h.got[0].content == longline + "\r\n");
}

TEST_CASE("server - the idle timeout closes with 421", "[server]") {
    Harness h;
    CHECK(h.run({"EHLO c\r\n", idle}) == Ending::timeout);
    CHECK(h.out.codes() == std::vector<int>{220, 250, 421});
    Harness d;
    CHECK(d.run({"EHLO c\r\n", msg, "partial\r\n", idle}) == Ending::timeout);
    CHECK(d.out.codes().back() == 421);
    CHECK(d.got.empty());
}

TEST_CASE("server - the end of input inside DATA delivers nothing", "[server]") {
    Harness h;
    CHECK(h.run({"EHLO c\r\n", msg, "no dot\r\n"}) == Ending::eof);
    CHECK(h.got.empty());
}

TEST_CASE("server - the error cap closes with 421", "[server]") {
    Harness h;
    h.setting.limits.max_errors = 3;
    CHECK(h.run({"X\r\n", "Y\r\n", "Z\r\n", "NOOP\r\n"}) == Ending::too_many_errors);
    CHECK(h.out.codes() == std::vector<int>{220, 500, 500, 500, 421});
}

TEST_CASE("server - pipelined commands get their replies in one write (RFC 2920)", "[server]") {
    Harness h;
    h.run({"EHLO c\r\n", msg, "x\r\n.\r\nQUIT\r\n"});
    REQUIRE(h.out.writes.size() == 4);
    CHECK(h.out.writes[0].rfind("220 ", 0) == 0);
    CHECK(h.out.writes[1].rfind("250-host.test", 0) == 0);
    CHECK(h.out.writes[2] ==
          "250 2.1.0 sender OK\r\n250 2.1.5 recipient OK\r\n354 end data with "
          "<CR><LF>.<CR><LF>\r\n");
    CHECK(h.out.writes[3].find("250 2.0.0 submitted") == 0);
    CHECK(h.out.writes[3].find("221 ") != std::string::npos);
}

TEST_CASE("server - addresses and parameters are checked", "[server]") {
    Harness h;
    h.setting.check_address = [](const std::string& a, bool) {
        return a.find(' ') == std::string::npos ? std::string() : std::string("has a space");
    };
    h.run({"EHLO c\r\n", "MAIL FROM:<a@x.test> FOO=1\r\n", "MAIL FROM:a@x.test\r\n",
           "MAIL FROM:<\"a b\"@x.test>\r\n", "MAIL FROM: <a@x.test>\r\n",
           "RCPT TO:<b@y.test> NOTIFY=NEVER\r\n", "RCPT TO:<>\r\n",
           "RCPT TO:<@r.test:b@y.test>\r\n", "DATA\r\n", "x\r\n.\r\n", "QUIT\r\n"});
    CHECK(h.out.codes() ==
          std::vector<int>{220, 250, 555, 501, 553, 250, 555, 501, 250, 354, 250, 221});
    REQUIRE(h.got.size() == 1);
    CHECK(h.got[0].tx.recipients == std::vector<std::string>{"b@y.test"});
}

TEST_CASE("server - the reply to the final dot from the attempts", "[server]") {
    Attempted sent;
    sent.record.reply = "250 2.0.0 Ok: queued as ABC";
    Attempted kept;
    kept.exit = Exit::tempfail;
    kept.record.error = "cannot connect to relay.test:587";
    kept.record.saved = "/home/u/Maildir/.okuru-failed/new/1";
    Attempted lost = kept;
    lost.exit = Exit::cantcreat;
    lost.record.saved.clear();
    Attempted refused;
    refused.exit = Exit::unavailable;
    refused.cause = Cause::message_refused;
    refused.record.error = "554 5.7.1 rejected";
    refused.record.saved = "/x";

    DataReply r = final_dot_reply({sent});
    CHECK(r.code == 250);
    CHECK(r.text == "2.0.0 submitted to the relay: 250 2.0.0 Ok: queued as ABC");
    r = final_dot_reply({kept});
    CHECK(r.code == 250);
    CHECK(r.text.find("kept for retry") != std::string::npos);
    r = final_dot_reply({lost});
    CHECK(r.code == 451);
    CHECK(r.text.find("not kept") != std::string::npos);
    r = final_dot_reply({sent, refused});
    CHECK(r.code == 554);
    CHECK(r.text.find("554 5.7.1 rejected") != std::string::npos);
    // One line whatever the error says.
    kept.record.error = "a\r\nb";
    CHECK(final_dot_reply({kept}).text.find('\n') == std::string::npos);
}

TEST_CASE("server - command parsing", "[server]") {
    CHECK(parse_command("mail FROM:<a@b>").verb == Verb::mail);
    CHECK(parse_command("Ehlo x  ").arg == "x");
    CHECK(parse_command("BDAT 10").verb == Verb::not_offered);
    auto p = parse_path_argument("FROM:<\"a>b\"@x> SIZE=5 body=8bitmime", "FROM:");
    REQUIRE(p);
    CHECK(p->path == "\"a>b\"@x");
    REQUIRE(p->params.size() == 2);
    CHECK(p->params[1].first == "BODY");
    CHECK(p->params[1].second == "8bitmime");
    CHECK_FALSE(parse_path_argument("FROM:<a@b", "FROM:"));
    CHECK_FALSE(parse_path_argument("TO:<a@b>", "FROM:"));
}

TEST_CASE("server - FdInput on a pipe: data, the idle timeout, the end of input", "[server]") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    FdInput in(fds[0]);
    char buf[16];
    REQUIRE(::write(fds[1], "EHLO", 4) == 4);
    CHECK(in.read(buf, sizeof buf, std::chrono::milliseconds(1000)) ==
          std::optional<std::size_t>(4));
    CHECK_FALSE(in.read(buf, sizeof buf, std::chrono::milliseconds(20)));  // nothing: timeout
    ::close(fds[1]);
    CHECK(in.read(buf, sizeof buf, std::chrono::milliseconds(1000)) ==
          std::optional<std::size_t>(0));
    ::close(fds[0]);
}

TEST_CASE("server - EHLO resets the transaction; the recipient limit; HELO needs a name",
          "[server]") {
    Harness h;
    h.setting.limits.max_recipients = 2;
    h.run({"HELO\r\n", "EHLO c\r\n", "MAIL FROM:<a@x.test>\r\n", "EHLO c\r\n",
           "RCPT TO:<b@y.test>\r\n", "MAIL FROM:<a@x.test>\r\n", "RCPT TO:<b@y.test>\r\n",
           "RCPT TO:<c@y.test>\r\n", "RCPT TO:<d@y.test>\r\n", "DATA\r\n", "x\r\n.\r\n",
           "QUIT\r\n"});
    CHECK(h.out.codes() ==
          std::vector<int>{220, 501, 250, 250, 250, 503, 250, 250, 250, 452, 354, 250, 221});
    REQUIRE(h.got.size() == 1);
    CHECK(h.got[0].tx.recipients == std::vector<std::string>{"b@y.test", "c@y.test"});
}
