// MIME header and line helpers for encode_long_lines.
#include "message/mime_parse.hpp"

#include <algorithm>
#include <cstring>

#include "base/text.hpp"

namespace okuru::mime {

bool LineSource::next(std::string& piece, bool& complete) {
    piece.clear();
    complete = false;
    for (;;) {
        if (pos_ == buf_.size()) {
            buf_.resize(piece_max);
            const std::size_t n = spool_.read_at(offset_, buf_);
            buf_.resize(n);
            offset_ += n;
            pos_ = 0;
            if (n == 0) {
                complete = true;
                return !piece.empty();
            }
        }
        const char* start = buf_.data() + pos_;
        const std::size_t avail = buf_.size() - pos_;
        const auto* nl = static_cast<const char*>(std::memchr(start, '\n', avail));
        const std::size_t len = nl ? std::size_t(nl - start) : avail;
        if (piece.size() + len > piece_max) {
            // A piece of a long line: cut before a CR (its LF may follow) and
            // never inside a UTF-8 character, so each piece stands alone.
            std::size_t take = piece_max - piece.size();
            for (int back = 0; back < 4 && take > 1; ++back) {
                const auto c = static_cast<unsigned char>(start[take]);
                if ((c & 0xC0) != 0x80 && start[take - 1] != '\r') break;
                --take;
            }
            piece.append(start, take);
            pos_ += take;
            return true;
        }
        piece.append(start, len);
        pos_ += len;
        if (!nl) continue;
        ++pos_;
        if (!piece.empty() && piece.back() == '\r') piece.pop_back();
        complete = true;
        return true;
    }
}

// RFC 2045 5.1: type "/" subtype *(";" parameter), parameters token or quoted.
// Comments are skipped. Only the boundary parameter is needed here.
void parse_content_type(std::string_view v, PartType& t) {
    std::string clean;  // without comments
    int depth = 0;
    bool quoted = false;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const char c = v[i];
        if (quoted) {
            clean += c;
            if (c == '\\' && i + 1 < v.size()) clean += v[++i];
            if (c == '"') quoted = false;
        } else if (c == '(') {
            ++depth;
        } else if (c == ')' && depth > 0) {
            --depth;
        } else if (depth == 0) {
            if (c == '"') quoted = true;
            clean += c;
        }
    }
    std::string_view s = clean;
    const auto semi = s.find(';');
    t.media = ascii_lower(trim(s.substr(0, semi)));
    while (semi != std::string_view::npos && !s.empty()) {
        s.remove_prefix(std::min(s.find(';'), s.size()));
        if (s.empty()) break;
        s.remove_prefix(1);
        const auto eq = s.find('=');
        if (eq == std::string_view::npos) break;
        const std::string name = ascii_lower(trim(s.substr(0, eq)));
        s.remove_prefix(eq + 1);
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        std::string value;
        if (!s.empty() && s.front() == '"') {
            std::size_t i = 1;
            for (; i < s.size() && s[i] != '"'; ++i) {
                if (s[i] == '\\' && i + 1 < s.size()) ++i;
                value += s[i];
            }
            s.remove_prefix(std::min(i + 1, s.size()));
        } else {
            const auto end = std::min(s.find(';'), s.size());
            value = std::string(trim(s.substr(0, end)));
            s.remove_prefix(end);
        }
        if (name == "boundary") t.boundary = value;
    }
}

// Header lines of a part -> (field name, unfolded value) look-ups.
std::optional<std::string> field_of(const std::vector<std::string>& lines, std::string_view name) {
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto colon = lines[i].find(':');
        if (colon == std::string::npos || !ascii_iequals(trim(lines[i].substr(0, colon)), name))
            continue;
        std::string v = lines[i].substr(colon + 1);
        for (std::size_t k = i + 1;
             k < lines.size() && !lines[k].empty() && (lines[k][0] == ' ' || lines[k][0] == '\t');
             ++k)
            v += lines[k];
        return v;
    }
    return std::nullopt;
}

bool is_utf8_text(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) continue;
        std::size_t n = 0;  // continuation octets that must follow
        if (c >= 0xC2 && c <= 0xDF)
            n = 1;
        else if (c >= 0xE0 && c <= 0xEF)
            n = 2;
        else if (c >= 0xF0 && c <= 0xF4)
            n = 3;
        else
            return false;
        for (; n > 0; --n)
            if (++i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) return false;
    }
    return true;
}

}  // namespace okuru::mime
