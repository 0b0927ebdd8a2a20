#include "scripted_peer.hpp"

#include <algorithm>
#include <cstring>
#include <thread>

#include "base/errors.hpp"
#include "base/log.hpp"

namespace okuru::test {

ScriptedPeer& ScriptedPeer::send(std::string bytes) {
    steps_.push_back({Kind::send, std::move(bytes), {}, 0});
    return *this;
}

ScriptedPeer& ScriptedPeer::reply(std::initializer_list<std::string_view> lines) {
    std::string bytes;
    for (auto l : lines) bytes.append(l).append("\r\n");
    return send(std::move(bytes));
}

ScriptedPeer& ScriptedPeer::expect(std::string bytes) {
    steps_.push_back({Kind::expect, std::move(bytes), {}, 0});
    return *this;
}

ScriptedPeer& ScriptedPeer::expect_line(std::string description,
                                        std::function<bool(std::string_view)> match) {
    steps_.push_back({Kind::expect_line, std::move(description), std::move(match), 0});
    return *this;
}

ScriptedPeer& ScriptedPeer::expect_bytes(std::size_t n) {
    steps_.push_back({Kind::expect_bytes, "", {}, n});
    return *this;
}

ScriptedPeer& ScriptedPeer::tls() {
    steps_.push_back({Kind::tls, "", {}, 0});
    return *this;
}

ScriptedPeer& ScriptedPeer::stall() {
    steps_.push_back({Kind::stall, "", {}, 0});
    return *this;
}

ScriptedPeer& ScriptedPeer::disconnect() {
    steps_.push_back({Kind::disconnect, "", {}, 0});
    return *this;
}

void ScriptedPeer::fail(std::string message) {
    errors_.push_back(std::move(message));
    broken_ = true;  // a real server would have answered 500 and lost sync: stop here
}

// Consumes written bytes against the expect steps at the front of the script.
void ScriptedPeer::match_input() {
    while (!broken_ && !input_.empty()) {
        if (steps_.empty()) {
            unscripted_ += input_;
            input_.clear();
            return;
        }
        Step& s = steps_.front();
        if (s.kind == Kind::expect) {
            const std::size_t n = std::min(s.bytes.size(), input_.size());
            if (input_.compare(0, n, s.bytes, 0, n) != 0) {
                fail("expected \"" + log::escape(s.bytes) + "\", client wrote \"" +
                     log::escape(input_.substr(0, std::max(n, std::size_t(80)))) + "\"");
                return;
            }
            if (n < s.bytes.size()) return;  // wait for the rest
            input_.erase(0, n);
        } else if (s.kind == Kind::expect_line) {
            const auto eol = input_.find("\r\n");
            if (eol == std::string::npos) return;
            const std::string line = input_.substr(0, eol);
            if (!s.match(line)) {
                fail("expected " + s.bytes + ", client wrote \"" + log::escape(line) + "\"");
                return;
            }
            input_.erase(0, eol + 2);
        } else if (s.kind == Kind::expect_bytes) {
            const std::size_t n = std::min(s.count, input_.size());
            input_.erase(0, n);
            s.count -= n;
            if (s.count > 0) return;
        } else {
            return;  // the server talks (or acts) first; the bytes wait, as in a socket
        }
        steps_.erase(steps_.begin());
    }
}

void ScriptedPeer::write(std::string_view data) {
    if (broken_ || (!steps_.empty() && steps_.front().kind == Kind::disconnect)) {
        throw Error(Exit::tempfail, "scripted peer: connection reset by peer");
    }
    written_.append(data);
    writes_.emplace_back(data);
    input_.append(data);
    match_input();
}

void ScriptedPeer::time_out(Clock::time_point deadline) {
    ++stalls_;
    // Honour short deadlines for real (the reader's own clock check must see
    // them pass); a long one is only simulated, so tests never sleep long.
    if (deadline - Clock::now() < std::chrono::seconds(2)) std::this_thread::sleep_until(deadline);
    throw Error(Exit::tempfail, "scripted peer: timed out");
}

std::size_t ScriptedPeer::read(std::span<char> buf, Clock::time_point deadline) {
    for (;;) {
        if (!output_.empty()) {
            const std::size_t n = std::min(buf.size(), output_.size());
            std::memcpy(buf.data(), output_.data(), n);
            output_.erase(0, n);
            return n;
        }
        match_input();
        if (broken_ || steps_.empty()) return 0;
        Step& s = steps_.front();
        switch (s.kind) {
            case Kind::send:
                output_ = std::move(s.bytes);
                steps_.erase(steps_.begin());
                continue;
            case Kind::disconnect:
                return 0;
            case Kind::stall:
                time_out(deadline);
            default:
                // Both sides waiting: a real session would hang until the timeout.
                errors_.push_back("client waited for a reply while the script expected " +
                                  (s.kind == Kind::tls
                                       ? std::string("a TLS handshake")
                                       : "a write: \"" + log::escape(s.bytes) + "\""));
                time_out(deadline);
        }
    }
}

void ScriptedPeer::start_tls(Clock::time_point) {
    match_input();
    if (!output_.empty() || (!steps_.empty() && steps_.front().kind == Kind::send)) {
        throw Error(Exit::unavailable,
                    "scripted peer: TLS handshake failed: plaintext data from the server");
    }
    if (broken_ || steps_.empty() || steps_.front().kind != Kind::tls) {
        fail("unexpected start_tls()");
        throw Error(Exit::unavailable, "scripted peer: TLS handshake failed");
    }
    steps_.erase(steps_.begin());
    plain_bytes_ = written_.size();
    plain_writes_ = writes_.size();
    tls_started_ = true;
    secure_ = true;
}

std::optional<TlsDetails> ScriptedPeer::tls_details() const {
    if (!secure_) return std::nullopt;
    return TlsDetails{"TLS1.3",     "TLS_AES_256_GCM_SHA384",  "CN=mx.test",
                      "CN=Test CA", "2026-01-01 00:00:00 UTC", "2027-01-01 00:00:00 UTC",
                      "ab:cd"};
}

}  // namespace okuru::test
