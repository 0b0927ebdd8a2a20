#include "message/data_writer.hpp"

#include <cstring>

namespace okuru {
namespace {

// First CR or LF in [p, end), or end. Two memchr passes would rescan text full of
// one kind of ending; a plain loop is simpler and the compiler vectorises it well.
const char* find_break(const char* p, const char* end) {
    while (p != end && *p != '\r' && *p != '\n') ++p;
    return p;
}

}  // namespace

LineNormalizer::LineResult LineNormalizer::run(std::string_view in, std::string& out,
                                               bool one_line) {
    const char* const begin = in.data();
    const char* p = begin;
    const char* const end = p + in.size();
    LineResult r;
    auto ending = [&] {
        out += "\r\n";
        line_open_ = false;
        r.complete = true;
    };
    if (pending_cr_ && p != end) {
        pending_cr_ = false;
        if (*p == '\n') ++p;  // CR LF split across two chunks
        ending();
        if (one_line) {
            r.consumed = std::size_t(p - begin);
            return r;
        }
    }
    while (p != end) {
        const char* brk = find_break(p, end);
        if (brk != p) {
            out.append(p, brk);
            line_open_ = true;
            p = brk;
        }
        if (brk == end) break;
        if (*brk == '\n') {
            p = brk + 1;
        } else if (brk + 1 == end) {
            p = end;  // a CR at the chunk end: wait to see whether LF follows
            pending_cr_ = true;
            break;
        } else {
            p = brk[1] == '\n' ? brk + 2 : brk + 1;
        }
        ending();
        if (one_line) break;
    }
    r.consumed = std::size_t(p - begin);
    return r;
}

void LineNormalizer::feed(std::string_view in, std::string& out) {
    run(in, out, false);
}

LineNormalizer::LineResult LineNormalizer::feed_line(std::string_view in, std::string& out) {
    return run(in, out, true);
}

void LineNormalizer::finish(std::string& out) {
    if (pending_cr_ || line_open_) out += "\r\n";
    pending_cr_ = false;
    line_open_ = false;
}

void DotStuffer::feed(std::string_view in, std::string& out) {
    if (in.empty()) return;
    const char* from = in.data();
    const char* scan = from;
    const char* const end = from + in.size();
    if (at_line_start_ && *from == '.') out += '.';  // RFC 5321 4.5.2
    for (;;) {
        const void* hit = std::memchr(scan, '\n', std::size_t(end - scan));
        if (!hit) {
            at_line_start_ = false;
            break;
        }
        const char* next = static_cast<const char*>(hit) + 1;
        if (next == end) {
            at_line_start_ = true;
            break;
        }
        if (*next == '.') {
            out.append(from, next);
            out += '.';
            from = next;
        }
        scan = next;
    }
    out.append(from, end);
}

}  // namespace okuru
