#include "smtp/smtp_reply.hpp"

#include <array>
#include <cstdio>

#include "base/errors.hpp"
#include "base/log.hpp"

namespace okuru {
namespace {

// A reply line as it may appear in an error message: escaped, and cut short so a
// 100 KiB line does not become a 100 KiB message.
std::string quote(std::string_view line) {
    constexpr std::size_t shown = 160;
    std::string out = "\"" + log::escape(line.substr(0, shown));
    if (line.size() > shown) out += "...";
    return out + "\"";
}

[[noreturn]] void malformed(std::string_view why, std::string_view line) {
    throw Error(Exit::protocol,
                "malformed reply from server (" + std::string(why) + "): " + quote(line));
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// RFC 3463 2: class "." subject "." detail, subject and detail 1-3 digits, then a
// space or the end of the text. The class must agree with the reply code (RFC
// 2034 4); anything else is ordinary text, not an enhanced code.
std::string enhanced_code(std::string_view text, int code) {
    if (text.size() < 5 || text[0] != char('0' + code / 100) || text[1] != '.') return "";
    std::size_t i = 2;
    for (int part = 0; part < 2; ++part) {
        std::size_t digits = 0;
        while (i < text.size() && is_digit(text[i]) && digits < 4) ++i, ++digits;
        if (digits == 0 || digits > 3) return "";
        if (part == 0) {
            if (i >= text.size() || text[i] != '.') return "";
            ++i;
        }
    }
    if (i < text.size() && text[i] != ' ') return "";
    return std::string(text.substr(0, i));
}

}  // namespace

std::string format_duration(std::chrono::milliseconds d) {
    const auto ms = d.count();
    if (ms < 1000) return std::to_string(ms) + " ms";
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%.1f s", double(ms) / 1000.0);
    return buf.data();
}

std::string Reply::str() const {
    std::string out = std::to_string(code);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].empty()) continue;
        out += out.size() == 3 ? " " : " / ";
        out += log::escape(lines[i]);
    }
    return out;
}

std::string ReplyReader::buffered_excerpt() const {
    return quote(std::string_view(buffer_).substr(pos_));
}

std::string ReplyReader::read_line(Clock::time_point deadline) {
    std::array<char, 4096> chunk{};
    for (;;) {
        const auto nl = buffer_.find('\n', pos_);
        if (nl != std::string::npos) {
            std::string line = buffer_.substr(pos_, nl - pos_);
            pos_ = nl + 1;
            if (pos_ == buffer_.size()) discard_buffer();
            // RFC 5321 2.3.8 wants CR LF. A bare LF is accepted, as Postfix's and
            // OpenSMTPD's clients do: a reply is only ever parsed here, never
            // relayed, so leniency cannot smuggle anything, and a stray CR left
            // inside the line is still refused below as a control byte.
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.size() > max_line) malformed("line longer than 4096 octets", line);
            return line;
        }
        if (buffer_.size() - pos_ > max_line + 1) {
            malformed("line longer than 4096 octets", std::string_view(buffer_).substr(pos_));
        }
        if (pos_ > 0) {
            buffer_.erase(0, pos_);
            pos_ = 0;
        }
        const std::string waiting =
            what_.empty() ? "waiting for a reply" : "waiting for reply to " + std::string(what_);
        if (Clock::now() >= deadline) {
            throw Error(Exit::tempfail,
                        "timed out after " + format_duration(timeout_) + " " + waiting,
                        Cause::timed_out);
        }
        std::size_t n = 0;
        try {
            n = transport_.read(chunk, deadline);
        } catch (const Error&) {
            if (Clock::now() >= deadline) {
                throw Error(Exit::tempfail,
                            "timed out after " + format_duration(timeout_) + " " + waiting,
                            Cause::timed_out);
            }
            rethrow_with_context("while " + waiting);
        }
        if (n == 0) {
            throw Error(Exit::tempfail,
                        buffer_.empty() ? "connection closed by server while " + waiting
                                        : "connection closed by server in the middle of "
                                          "a reply line: " +
                                              quote(buffer_),
                        Cause::connection_lost);
        }
        buffer_.append(chunk.data(), n);
    }
}

Reply ReplyReader::read(std::chrono::milliseconds timeout, std::string_view what) {
    timeout_ = timeout;
    what_ = what;
    const auto deadline = Clock::now() + timeout;
    Reply reply;
    std::size_t total = 0;
    for (;;) {
        const std::string line = read_line(deadline);
        total += line.size() + 2;
        if (total > max_reply) malformed("reply longer than 64 KiB", line);
        for (unsigned char c : line) {
            if ((c < 0x20 && c != '\t') || c == 0x7f) malformed("control byte", line);
        }
        if (line.size() < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2])) {
            malformed("no 3-digit reply code", line);
        }
        const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
        if (code < 200 || code > 599) malformed("reply code out of range 200-599", line);
        if (line.size() > 3 && line[3] != ' ' && line[3] != '-') {
            malformed("separator after the code is neither space nor '-'", line);
        }
        if (reply.code != 0 && code != reply.code) {
            malformed(
                "code differs from " + std::to_string(reply.code) + " earlier in the same reply",
                line);
        }
        reply.code = code;
        std::string text = line.size() > 4 ? line.substr(4) : std::string();
        if (reply.lines.empty()) reply.enhanced = enhanced_code(text, code);
        reply.lines.push_back(std::move(text));
        // "NNN" alone is a valid last line (RFC 5321 4.2: the text is optional).
        if (line.size() == 3 || line[3] == ' ') return reply;
    }
}

}  // namespace okuru
