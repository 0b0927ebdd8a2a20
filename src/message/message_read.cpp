// read_message: stdin -> header block (in memory, bounded) + body (Spool, wire
// form). Line endings are normalised before anything looks at lines, so the
// header/body split, the lone-dot rule and the SMTP data all see the same lines.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "base/errors.hpp"
#include "base/log.hpp"
#include "message/body_encode.hpp"
#include "message/data_writer.hpp"
#include "message/message.hpp"

namespace okuru {
namespace {

constexpr std::size_t chunk_size = 64 * 1024;

// RFC 5322 2.2: field-name = 1*ftext (printable US-ASCII except ':'), then ':'.
bool is_field_line(std::string_view line) {
    const std::size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return false;
    for (std::size_t i = 0; i < colon; ++i) {
        const auto c = static_cast<unsigned char>(line[i]);
        if (c < 33 || c > 126) return false;
    }
    return true;
}

bool has_8bit(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return (c & 0x80) != 0; });
}

std::string describe_limit(std::size_t n) {
    if (n % (1 << 20) == 0) return std::to_string(n >> 20) + " MiB";
    return std::to_string(n) + " octets";
}

class Reader {
  public:
    // Lines are kept whole (LineNormalizer never splits): header fields are
    // folded at token boundaries when rendered (fold_field), a body with long
    // lines is re-encoded (encode_long_lines); a line is never cut inside a
    // word or character.
    Reader(const ReadOptions& o, InputMessage& m) : opt_(o), msg_(m) {}

    // Returns false once input has ended (a lone dot without -i).
    bool feed(std::string_view raw) {
        while (in_headers_ && !raw.empty()) {
            const auto r = norm_.feed_line(raw, line_);
            raw.remove_prefix(r.consumed);
            if (!r.complete) {
                if (header_bytes_ + line_.size() > opt_.max_header_bytes) too_big();
                return true;  // a partial line: wait for more input
            }
            header_line();
            if (done_) return false;
        }
        if (!raw.empty()) {
            out_.clear();
            norm_.feed(raw, out_);
            body(out_);
        }
        return !done_;
    }

    void finish() {
        if (in_headers_) {
            norm_.finish(line_);
            if (!line_.empty()) header_line();
        } else if (!done_) {
            out_.clear();
            norm_.finish(out_);
            body(out_);
        }
    }

  private:
    [[noreturn]] void too_big() const {
        throw Error(Exit::dataerr, "header block exceeds " + describe_limit(opt_.max_header_bytes) +
                                       " (no empty line ends it?)");
    }

    void scan(std::string_view s) {
        // RFC 5322 forbids NUL; cron output with one must still be read, so
        // the body keeps it (ContentReader sends it as a space) and the count
        // only feeds the warning.
        msg_.nul_in_body += std::size_t(std::count(s.begin(), s.end(), '\0'));
        lines_ += std::size_t(std::count(s.begin(), s.end(), '\n'));
        if (!msg_.eight_bit) msg_.eight_bit = has_8bit(s);
    }

    // One complete normalised line (with its CR LF) of the header section.
    void header_line() {
        // A NUL in a header field is dropped, as sendmail's collect() does: the
        // field stays parseable (an address with a NUL in it is no address).
        // A line that turns out to start the body keeps its bytes.
        const auto nuls = std::size_t(std::count(line_.begin(), line_.end(), '\0'));
        std::string original;
        if (nuls > 0) {
            original = line_;
            std::erase(line_, '\0');
        }
        scan(line_);
        const std::string_view text(line_.data(), line_.size() - 2);
        auto& fields = msg_.headers.fields();
        if (opt_.dot_ends_input && nuls == 0 && text == ".") {
            if (first_line_) throw Error(Exit::dataerr, "empty message on standard input");
            done_ = true;  // sendmail without -i: the rest of stdin is not read
        } else if (first_line_ && text.starts_with("From ")) {
            // An mbox "From " envelope line: dropped, as Postfix's sendmail does.
        } else if (nuls == 0 && text.empty()) {
            in_headers_ = false;  // the empty line ends the header block (RFC 5322 2.1)
        } else if (!text.empty() && (text[0] == ' ' || text[0] == '\t') && !fields.empty()) {
            fields.back().value.append("\r\n").append(text);  // folding, kept as written
        } else if (is_field_line(text)) {
            const std::size_t colon = text.find(':');
            fields.push_back(
                {std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))});
        } else {
            // Not a header field: sendmail and Postfix take it, and everything after,
            // as the body (the header block, possibly empty, ends here).
            in_headers_ = false;
            std::string line = nuls > 0 ? std::move(original) : std::move(line_);
            line_.clear();
            lines_ -= 1;  // body() counts it again
            body(line);
            return;
        }
        msg_.nul_dropped += nuls;
        first_line_ = false;
        header_bytes_ += line_.size();
        line_.clear();
        if (header_bytes_ > opt_.max_header_bytes) too_big();
    }

    // Normalised body bytes: stop at a lone "." line (without -i), else spool.
    void body(std::string_view s) {
        first_line_ = false;
        if (!opt_.dot_ends_input) {
            scan(s);
            append_body(s);
            return;
        }
        if (held_dot_) {  // the previous chunk ended with "." at a line start
            if (s.empty()) return;
            held_dot_ = false;
            if (s.starts_with("\r\n")) {
                done_ = true;
                return;
            }
            append_body(".");
            at_line_start_ = false;
        }
        std::size_t pos = 0;
        if (!at_line_start_) pos = next_line(s, 0);
        while (pos < s.size()) {
            if (s[pos] == '.') {
                if (pos + 1 == s.size() || s.compare(pos + 1, 2, "\r\n") == 0) {
                    // Normalised data has CR LF in one piece, so "." then the end of
                    // the chunk is the only case that needs the next chunk to decide.
                    const std::string_view keep = s.substr(0, pos);
                    scan(keep);
                    append_body(keep);
                    if (pos + 1 == s.size()) {
                        held_dot_ = true;
                    } else {
                        done_ = true;
                    }
                    return;
                }
            }
            pos = next_line(s, pos);
        }
        at_line_start_ = s.empty() ? at_line_start_ : s.back() == '\n';
        scan(s);
        append_body(s);
    }

    // Spools normalised body bytes, measuring the longest line on the way, so
    // that a message without long lines needs no further pass.
    void append_body(std::string_view s) {
        for (std::size_t pos = 0; pos < s.size();) {
            const void* nl = std::memchr(s.data() + pos, '\n', s.size() - pos);
            const std::size_t end =
                nl ? std::size_t(static_cast<const char*>(nl) - s.data()) : s.size();
            column_ += end - pos;
            if (nl) {
                longest_ = std::max(longest_, column_ ? column_ - 1 : 0);  // without CR
                column_ = 0;
            }
            pos = end + (nl ? 1 : 0);
        }
        longest_ = std::max(longest_, column_);
        msg_.body.append(s);
    }

  public:
    std::size_t longest_line() const { return longest_; }

  private:
    static std::size_t next_line(std::string_view s, std::size_t from) {
        const void* nl = std::memchr(s.data() + from, '\n', s.size() - from);
        return nl ? std::size_t(static_cast<const char*>(nl) - s.data()) + 1 : s.size();
    }

    const ReadOptions& opt_;
    InputMessage& msg_;
    LineNormalizer norm_;
    std::string line_;  // the header line being assembled
    std::string out_;   // normalised body chunk
    bool in_headers_ = true;
    bool first_line_ = true;
    bool at_line_start_ = true;
    bool held_dot_ = false;
    bool done_ = false;
    std::size_t header_bytes_ = 0;
    std::size_t column_ = 0;   // octets on the body line being spooled
    std::size_t longest_ = 0;  // longest body line so far, CR LF excluded
    std::size_t lines_ = 0;
};

}  // namespace

InputMessage read_message(int fd, const ReadOptions& options) {
    InputMessage msg;
    Reader reader(options, msg);
    std::string buf(chunk_size, '\0');
    std::uint64_t total = 0;
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_system(Exit::ioerr, "cannot read the message", errno);
        }
        if (n == 0) break;
        total += std::uint64_t(n);
        if (!reader.feed(std::string_view(buf.data(), std::size_t(n)))) break;
    }
    if (total == 0) throw Error(Exit::dataerr, "empty message on standard input");
    reader.finish();
    // RFC 5322 2.1.1: lines over 998 octets cannot go out as they are.
    if (reader.longest_line() > LineNormalizer::max_line)
        msg.body_reencoded = encode_long_lines(msg);
    if (msg.nul_dropped + msg.nul_in_body > 0) {
        log::warn("the message has NUL bytes, which RFC 5322 forbids: " +
                  std::to_string(msg.nul_dropped) + " dropped from header fields, " +
                  std::to_string(msg.nul_in_body) + " in the body go out as spaces");
    }
    return msg;
}

}  // namespace okuru
