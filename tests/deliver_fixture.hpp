// Shared by the deliver() and attempt() tests: an account with fallback hosts,
// a connector that refuses or hands over scripted peers by "host:port", and a
// server script that accepts one message.
#pragma once

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/deliver.hpp"
#include "smtp_fixture.hpp"

namespace okuru::test {

// Lends a test's ScriptedPeer to deliver(), which owns (and destroys) its transport.
class Lent : public Transport {
  public:
    explicit Lent(ScriptedPeer& peer) : peer_(peer) {}
    void write(std::string_view data) override { peer_.write(data); }
    std::size_t read(std::span<char> buf, Clock::time_point deadline) override {
        return peer_.read(buf, deadline);
    }
    void start_tls(Clock::time_point deadline) override { peer_.start_tls(deadline); }
    bool secure() const override { return peer_.secure(); }
    std::string peer_name() const override { return peer_.peer_name(); }

  private:
    ScriptedPeer& peer_;
};

inline Account account() {
    Account a;
    a.name = "isp";
    a.host = "a.test";
    a.port = 587;
    a.tls = TlsMode::none;
    a.ehlo_name = "client.test";
    a.fallback_hosts = {{"b.test", 0}, {"c.test", 2525}};
    a.command_timeout = std::chrono::milliseconds(2000);
    return a;
}

// What each host does when deliver() connects to it, keyed by "host:port":
// throw an Error with that code, or hand over the peer.
struct Hosts {
    std::map<std::string, Exit> refuse;
    std::map<std::string, ScriptedPeer*> peers;
    std::vector<std::string> tried;

    Connector connector() {
        return [this](const ConnectParams& cp) -> std::unique_ptr<Transport> {
            const std::string where = cp.host + ":" + std::to_string(cp.port);
            tried.push_back(where);
            if (auto it = refuse.find(where); it != refuse.end())
                throw Error(it->second, "cannot connect to " + where);
            if (auto it = peers.find(where); it != peers.end())
                return std::make_unique<Lent>(*it->second);
            FAIL("unexpected connection to " << where);
            return nullptr;
        };
    }
};

// A server that accepts the message (DATA path, no extensions).
inline void accepts(ScriptedPeer& peer, const Message& msg) {
    peer.send(greeting)
        .expect("EHLO client.test\r\n")
        .send(ehlo({}))
        .expect("MAIL FROM:<a@example.org>\r\n")
        .send("250 ok\r\n")
        .expect("RCPT TO:<b@example.net>\r\n")
        .send("250 ok\r\n")
        .expect("DATA\r\n")
        .send("354 go on\r\n")
        .expect_bytes(msg.size())
        .expect(".\r\n")
        .send("250 2.0.0 queued as 7Q\r\n")
        .expect("QUIT\r\n")
        .send("221 bye\r\n");
}

}  // namespace okuru::test
