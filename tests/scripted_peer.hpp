// An in-process Transport driven by a script, for protocol tests without
// sockets: it records every byte the client writes (and each write() call, so a
// test can assert "one write per flight") and answers from the script.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "net/transport.hpp"

namespace okuru::test {

class ScriptedPeer : public Transport {
  public:
    explicit ScriptedPeer(bool secure = false) : secure_(secure) {}

    // Script steps, in order. The peer answers only when every earlier expected
    // write has arrived, as a real server reading its socket would.
    // Server sends `bytes`; one read() returns at most one such segment.
    ScriptedPeer& send(std::string bytes);
    // The same, adding CR LF after each line: reply({"250-a", "250 b"}).
    ScriptedPeer& reply(std::initializer_list<std::string_view> lines);
    // The client must write exactly `bytes` next (in one or several writes).
    ScriptedPeer& expect(std::string bytes);
    // The client must write one CR LF line accepted by `match`.
    ScriptedPeer& expect_line(std::string description, std::function<bool(std::string_view)> match);
    // The client writes `n` bytes of anything (message data).
    ScriptedPeer& expect_bytes(std::size_t n);
    // The client must call start_tls() here. Unread server bytes at that point
    // fail the handshake, as plaintext in the TLS stream does for real.
    ScriptedPeer& tls();
    // Reads wait until their deadline (if it is under 2 s away) and time out.
    ScriptedPeer& stall();
    // The server closes: reads return 0, writes fail.
    ScriptedPeer& disconnect();

    void write(std::string_view data) override;
    std::size_t read(std::span<char> buf, Clock::time_point deadline) override;
    void start_tls(Clock::time_point deadline) override;
    bool secure() const override { return secure_; }
    std::optional<TlsDetails> tls_details() const override;
    std::string peer_name() const override { return "mx.test[192.0.2.1]:587"; }

    const std::string& written() const { return written_; }
    const std::vector<std::string>& writes() const { return writes_; }
    // Bytes written before the TLS handshake (all of them if none happened).
    std::string written_before_tls() const { return written_.substr(0, plain_bytes_); }
    // How many write() calls came before the handshake.
    std::size_t writes_before_tls() const { return plain_writes_; }
    bool tls_started() const { return tls_started_; }
    // Script violations seen ("expected X, client wrote Y", "client waited for a
    // reply while the script expected a write"). Empty for a well-behaved client.
    const std::vector<std::string>& errors() const { return errors_; }
    // Bytes written after the script ended (QUIT after an error, for instance).
    const std::string& unscripted() const { return unscripted_; }
    bool finished() const { return steps_.empty() || steps_.front().kind == Kind::disconnect; }
    // How many reads timed out (stall steps, or waiting while the script expected a write).
    int stalls() const { return stalls_; }

  private:
    enum class Kind { send, expect, expect_line, expect_bytes, tls, stall, disconnect };
    struct Step {
        Kind kind;
        std::string bytes;  // send / expect / description
        std::function<bool(std::string_view)> match;
        std::size_t count = 0;
    };
    void match_input();
    void fail(std::string message);
    [[noreturn]] void time_out(Clock::time_point deadline);

    std::vector<Step> steps_;  // front is the current step (erased as consumed)
    std::string input_;        // written but not yet matched against the script
    std::string output_;       // the segment being read
    std::string written_, unscripted_;
    std::vector<std::string> writes_, errors_;
    std::size_t plain_bytes_ = std::string::npos, plain_writes_ = 0;
    bool secure_, tls_started_ = false, broken_ = false;
    int stalls_ = 0;
};

}  // namespace okuru::test
