// Refolding over-long header fields (RFC 5322 2.1.1, 2.2.3).
#include "message/header_fold.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "base/text.hpp"

namespace okuru {
namespace {

bool is_wsp(char c) {
    return c == ' ' || c == '\t';
}

// Every physical line within the hard limit: nothing to do.
bool fits(std::string_view text) {
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = text.find("\r\n", start);
        const std::size_t len = (end == std::string_view::npos ? text.size() : end) - start;
        if (len > header_line_max) return false;
        if (end == std::string_view::npos) return true;
        start = end + 2;
    }
}

// RFC 5322 2.2.3: unfolding removes each CR LF that is followed by WSP. A bare
// CR LF cannot occur in a held field body (the reader split lines there).
std::string unfold(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            ++i;
            continue;
        }
        out += text[i];
    }
    return out;
}

struct FoldPoint {
    std::size_t pos;    // the next line starts here
    bool insert_space;  // after a comma: CR LF SP, else CR LF before existing WSP
};

// Where the field may be folded. `body` is the offset of the field body.
std::vector<FoldPoint> fold_points(std::string_view text, std::size_t body, bool addresses) {
    std::vector<FoldPoint> out;
    bool quoted = false;
    bool angle = false;
    int comment = 0;
    for (std::size_t i = body; i < text.size(); ++i) {
        const char c = text[i];
        if (addresses) {
            if (quoted) {
                if (c == '\\')
                    ++i;
                else if (c == '"')
                    quoted = false;
                continue;
            }
            if (c == '\\' && comment > 0) {
                ++i;
                continue;
            }
            if (c == '"' && comment == 0) quoted = true;
            if (c == '(') ++comment;
            if (c == ')' && comment > 0) --comment;
            if (c == '<' && comment == 0) angle = true;
            if (c == '>' && comment == 0) angle = false;
            if (angle) continue;
            if (c == ',' && comment == 0 && i + 1 < text.size() && !is_wsp(text[i + 1])) {
                out.push_back({i + 1, true});
                continue;
            }
        }
        if (is_wsp(c) && i > body) out.push_back({i, false});
    }
    return out;
}

// The last octet boundary at or before `pos` that does not split a UTF-8
// sequence (continuation octets are 10xxxxxx).
std::size_t char_boundary(std::string_view s, std::size_t pos, std::size_t floor) {
    std::size_t p = pos;
    while (p > floor + 1 && (static_cast<unsigned char>(s[p]) & 0xC0) == 0x80) --p;
    return p > floor ? p : pos;
}

}  // namespace

bool is_address_field(std::string_view name) {
    static constexpr std::array<std::string_view, 13> names = {
        "From",       "Sender",          "Reply-To",        "To",        "Cc",
        "Bcc",        "Resent-From",     "Resent-Sender",   "Resent-To", "Resent-Cc",
        "Resent-Bcc", "Resent-Reply-To", "Mail-Followup-To"};
    return std::any_of(names.begin(), names.end(),
                       [&](std::string_view n) { return ascii_iequals(n, name); });
}

std::string fold_field(std::string_view name, std::string_view value) {
    std::string text = std::string(name) + ":" + std::string(value);
    if (fits(text)) return text;
    text = unfold(text);
    const std::size_t body = name.size() + 1;
    const std::vector<FoldPoint> points = fold_points(text, body, is_address_field(name));

    std::string out;
    out.reserve(text.size() + text.size() / 32);
    std::size_t start = 0;  // where the current line's text begins in `text`
    std::size_t lead = 0;   // octets already on the line (the inserted SP)
    std::size_t next = 0;   // first fold point not yet passed
    auto line_len = [&](std::size_t end) { return end - start + lead; };
    while (line_len(text.size()) > header_line_preferred) {
        // A line must hold more than WSP (RFC 5322 3.2.2), so a fold point
        // counts only past the line's first non-WSP octet.
        std::size_t solid = start;
        while (solid < text.size() && is_wsp(text[solid])) ++solid;
        while (next < points.size() && points[next].pos <= solid) ++next;
        std::size_t chosen = points.size();
        for (std::size_t i = next; i < points.size(); ++i) {
            const std::size_t len = line_len(points[i].pos);
            if (len <= header_line_preferred) {
                chosen = i;
            } else {
                if (chosen == points.size() && len <= header_line_max) chosen = i;
                break;
            }
        }
        if (chosen == points.size()) {
            if (line_len(text.size()) <= header_line_max) break;
            // No fold point within 998 octets: break as Postfix does.
            const std::size_t cut = char_boundary(text, start + header_line_max - lead, solid);
            out.append(text, start, cut - start).append("\r\n ");
            start = cut;
            lead = 1;
            continue;
        }
        const FoldPoint& p = points[chosen];
        out.append(text, start, p.pos - start).append(p.insert_space ? "\r\n " : "\r\n");
        start = p.pos;
        lead = p.insert_space ? 1 : 0;
        next = chosen + 1;
    }
    out.append(text, start, std::string_view::npos);
    return out;
}

}  // namespace okuru
