// Base64 and the OAuth bearer-token messages (see sasl_internal.hpp).
#include <string.h>  // explicit_bzero

#include <array>

#include "sasl/sasl_internal.hpp"

namespace okuru::sasl_detail {
namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<signed char, 256> make_decode_table() {
    std::array<signed char, 256> t{};
    for (auto& v : t) v = -1;
    for (std::size_t i = 0; i < alphabet.size(); ++i) t[std::size_t(alphabet[i])] = char(i);
    return t;
}
constexpr auto decode_table = make_decode_table();

// RFC 5801 5.1 saslname: "," and "=" are not allowed verbatim in the gs2 header.
std::string saslname(std::string_view user) {
    std::string out;
    out.reserve(user.size());
    for (char c : user) {
        if (c == ',') {
            out += "=2C";
        } else if (c == '=') {
            out += "=3D";
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

void wipe(std::string& s) noexcept {
    if (!s.empty()) explicit_bzero(s.data(), s.size());
    s.clear();
}

std::string base64_encode(std::string_view raw) {
    std::string out;
    out.reserve((raw.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= raw.size(); i += 3) {
        const unsigned v = unsigned((unsigned char)raw[i]) << 16 |
                           unsigned((unsigned char)raw[i + 1]) << 8 | (unsigned char)raw[i + 2];
        out += alphabet[v >> 18];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    const std::size_t rest = raw.size() - i;
    if (rest > 0) {
        unsigned v = unsigned((unsigned char)raw[i]) << 16;
        if (rest == 2) v |= unsigned((unsigned char)raw[i + 1]) << 8;
        out += alphabet[v >> 18];
        out += alphabet[(v >> 12) & 63];
        out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        int pad = 0;
        unsigned v = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            const char c = text[i + j];
            if (c == '=' && last && j >= 2) {
                // Padding only at the end, and "x=y=" is not valid.
                if (j == 2 && text[i + 3] != '=') return std::nullopt;
                ++pad;
                v <<= 6;
                continue;
            }
            const int d = decode_table[(unsigned char)c];
            if (d < 0 || pad > 0) return std::nullopt;
            v = v << 6 | unsigned(d);
        }
        out += char(v >> 16);
        if (pad < 2) out += char((v >> 8) & 0xff);
        if (pad < 1) out += char(v & 0xff);
    }
    return out;
}

// Both formats separate their fields with ^A (%x01). Appending it as a char
// keeps "\x01" from swallowing the hex digits of a following "auth=".
constexpr char kvsep = '\x01';

std::string xoauth2_message(std::string_view user, std::string_view token) {
    std::string out;
    out.reserve(user.size() + token.size() + 24);  // one allocation: nothing left behind
    out.append("user=").append(user);
    out.append(1, kvsep).append("auth=Bearer ").append(token);
    out.append(2, kvsep);
    return out;
}

std::string oauthbearer_message(std::string_view user, std::string_view host, std::uint16_t port,
                                std::string_view token) {
    const std::string name = saslname(user);
    std::string out;
    out.reserve(name.size() + host.size() + token.size() + 48);
    // RFC 7628 3.1: gs2-header with no channel binding ("n") and the authzid.
    out.append(name.empty() ? "n," : "n,a=").append(name).append(",");
    if (!host.empty()) out.append(1, kvsep).append("host=").append(host);
    if (port != 0) out.append(1, kvsep).append("port=").append(std::to_string(port));
    out.append(1, kvsep).append("auth=Bearer ").append(token);
    out.append(2, kvsep);
    return out;
}

}  // namespace okuru::sasl_detail
