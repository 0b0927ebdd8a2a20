// The transfer encoders behind encode_long_lines (RFC 2045 6.7, 6.8).
#include "message/body_encode.hpp"

#include <array>
#include <cstring>

namespace okuru {
namespace {

constexpr std::size_t qp_max = 76;  // RFC 2045 6.7 (5): encoded lines at most 76 characters

// How many octets the UTF-8 character led by `c` has; 1 for anything else, so
// that invalid input is still encoded octet by octet.
std::size_t utf8_length(unsigned char c) {
    if (c >= 0xC2 && c <= 0xDF) return 2;
    if (c >= 0xE0 && c <= 0xEF) return 3;
    if (c >= 0xF0 && c <= 0xF4) return 4;
    return 1;
}

bool is_continuation(unsigned char c) {
    return (c & 0xC0) == 0x80;
}

void hex(unsigned char c, std::string& out) {
    static const char digits[] = "0123456789ABCDEF";
    out += '=';
    out += digits[c >> 4];
    out += digits[c & 15];
}

}  // namespace

void QpEncoder::put_char(std::string_view encoded, std::string& out) {
    // Room for the '=' of a soft line break (RFC 2045 6.7 (5)).
    if (line_.size() + encoded.size() > qp_max - 1) {
        out.append(line_).append("=\r\n");
        line_.clear();
    }
    line_.append(encoded);
}

void QpEncoder::end_line(std::string& out) {
    // RFC 2045 6.7 (3): white space ending a line is encoded, or it would be
    // taken for padding and dropped.
    if (!line_.empty() && (line_.back() == ' ' || line_.back() == '\t')) {
        const auto ws = static_cast<unsigned char>(line_.back());
        line_.pop_back();
        std::string enc;
        hex(ws, enc);
        put_char(enc, out);
    }
    out.append(line_);
    line_.clear();
}

void QpEncoder::feed(std::string_view in, std::string& out) {
    for (char ch : in) {
        const auto c = static_cast<unsigned char>(ch);
        if (!pending_.empty()) {
            if (pending_ == "\r") {
                pending_.clear();
                if (c == '\n') {  // a hard line break (RFC 2045 6.7 (4))
                    end_line(out);
                    out += "\r\n";
                    continue;
                }
                put_char("=0D", out);
            } else if (is_continuation(c)) {
                pending_ += ch;
                const auto lead = static_cast<unsigned char>(pending_[0]);
                if (pending_.size() < utf8_length(lead)) continue;
                std::string enc;  // one character, kept on one encoded line
                for (char p : pending_) hex(static_cast<unsigned char>(p), enc);
                pending_.clear();
                put_char(enc, out);
                continue;
            } else {
                for (char p : pending_) {  // a cut-short sequence: octet by octet
                    std::string enc;
                    hex(static_cast<unsigned char>(p), enc);
                    put_char(enc, out);
                }
                pending_.clear();
            }
        }
        if (c == '\r' || (c >= 0x80 && utf8_length(c) > 1)) {
            pending_ += ch;
        } else if ((c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t') {
            put_char(std::string_view(&ch, 1), out);
        } else {
            std::string enc;
            hex(c, enc);
            put_char(enc, out);
        }
    }
}

void QpEncoder::finish(std::string& out) {
    for (char p : pending_) {
        std::string enc;
        hex(static_cast<unsigned char>(p), enc);
        put_char(enc, out);
    }
    pending_.clear();
    end_line(out);
}

void Base64Encoder::put(std::string_view quad, std::string& out) {
    if (column_ == qp_max) {
        out += "\r\n";
        column_ = 0;
    }
    out.append(quad);
    column_ += quad.size();
}

void Base64Encoder::feed(std::string_view in, std::string& out) {
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (char ch : in) {
        held_[n_held_++] = static_cast<unsigned char>(ch);
        if (n_held_ < 3) continue;
        const std::uint32_t v =
            std::uint32_t(held_[0]) << 16 | std::uint32_t(held_[1]) << 8 | held_[2];
        const char quad[4] = {b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63], b64[v & 63]};
        put(std::string_view(quad, 4), out);
        n_held_ = 0;
    }
}

void Base64Encoder::finish(std::string& out) {
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (n_held_ == 0) return;
    std::uint32_t v = std::uint32_t(held_[0]) << 16;
    if (n_held_ > 1) v |= std::uint32_t(held_[1]) << 8;
    const char quad[4] = {b64[v >> 18], b64[(v >> 12) & 63], n_held_ > 1 ? b64[(v >> 6) & 63] : '=',
                          '='};
    put(std::string_view(quad, 4), out);
    n_held_ = 0;
}

std::size_t longest_line(const Spool& body) {
    std::array<char, 64 * 1024> buf{};
    std::size_t longest = 0, column = 0;
    std::uint64_t offset = 0;
    for (;;) {
        const std::size_t n = body.read_at(offset, buf);
        if (n == 0) break;
        offset += n;
        for (std::size_t i = 0; i < n; ++i) {
            if (buf[i] == '\r' || buf[i] == '\n') {
                column = 0;
            } else if (++column > longest) {
                longest = column;
            }
        }
    }
    return longest;
}

}  // namespace okuru
