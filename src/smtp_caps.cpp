#include "smtp_caps.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

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
        std::string name = upper(m);
        if (std::find(caps.auth.begin(), caps.auth.end(), name) == caps.auth.end()) {
            caps.auth.push_back(std::move(name));
        }
    }
}

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
        if (keyword == "STARTTLS") caps.starttls = true;
        else if (keyword == "PIPELINING") caps.pipelining = true;
        else if (keyword == "CHUNKING") caps.chunking = true;
        else if (keyword == "8BITMIME") caps.eightbitmime = true;
        else if (keyword == "SMTPUTF8") caps.smtputf8 = true;
        else if (keyword == "DSN") caps.dsn = true;
        else if (keyword == "ENHANCEDSTATUSCODES") caps.enhanced_status = true;
        else if (keyword == "AUTH") add_mechanisms(caps, params);
        else if (keyword == "SIZE") {
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

bool Capabilities::offers_auth(std::string_view mechanism) const {
    const std::string want = upper(mechanism);
    return std::find(auth.begin(), auth.end(), want) != auth.end();
}

}  // namespace okuru
