#include "smtp/smtp_caps.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string_view>
#include <utility>

namespace okuru {
namespace {

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = char(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::vector<std::string> words(std::string_view s) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
        const std::size_t start = i;
        while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
        if (i > start) out.emplace_back(s.substr(start, i - start));
    }
    return out;
}

void add_mechanisms(Capabilities& caps, const std::vector<std::string>& mechs) {
    for (const auto& m : mechs) {
        if (m.empty()) continue;
        std::string name = upper(m);
        if (std::find(caps.auth.begin(), caps.auth.end(), name) == caps.auth.end()) {
            caps.auth.push_back(std::move(name));
        }
    }
}

// Keywords without parameters that okuru acts on.
constexpr std::pair<std::string_view, bool Capabilities::*> flags[] = {
    {"STARTTLS", &Capabilities::starttls},
    {"PIPELINING", &Capabilities::pipelining},
    {"CHUNKING", &Capabilities::chunking},
    {"8BITMIME", &Capabilities::eightbitmime},
    {"SMTPUTF8", &Capabilities::smtputf8},
    {"DSN", &Capabilities::dsn},
    {"ENHANCEDSTATUSCODES", &Capabilities::enhanced_status},
};

}  // namespace

Capabilities Capabilities::parse(const Reply& ehlo_reply) {
    Capabilities caps;
    // RFC 5321 4.1.1.1: the first line is the server's name and greeting; every
    // following line is "keyword [params]", keywords case-insensitive.
    for (std::size_t i = 1; i < ehlo_reply.lines.size(); ++i) {
        std::vector<std::string> w = words(ehlo_reply.lines[i]);
        if (w.empty()) continue;
        std::string keyword = upper(w[0]);
        std::vector<std::string> params(w.begin() + 1, w.end());
        // Pre-RFC 4954 servers (old Exchange, some ISPs) announce "AUTH=LOGIN PLAIN".
        if (keyword.starts_with("AUTH=")) {
            params.insert(params.begin(), keyword.substr(5));
            keyword = "AUTH";
        }
        bool flag = false;
        for (const auto& [name, member] : flags) {
            if (keyword == name) caps.*member = flag = true;
        }
        if (flag) continue;
        if (keyword == "AUTH") {
            add_mechanisms(caps, params);
        } else if (keyword == "SIZE") {
            // RFC 1870 4: no parameter or 0 means no fixed limit; an unreadable
            // number is treated the same rather than guessed at.
            std::uint64_t limit = 0;
            if (!params.empty()) {
                const auto& p = params[0];
                auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), limit);
                if (ec != std::errc() || end != p.data() + p.size()) limit = 0;
            }
            caps.size = limit;
        }
    }
    return caps;
}

}  // namespace okuru
