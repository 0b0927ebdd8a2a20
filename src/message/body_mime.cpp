// encode_long_lines: following the MIME structure of a body (RFC 2045, RFC 2046
// 5.1) to find and re-encode the leaf parts that hold an over-long line. Two
// passes over the spooled body, one line in memory at a time: the first finds
// the parts, the second writes the new body.
#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "base/text.hpp"
#include "message/body_encode.hpp"
#include "message/header_fold.hpp"
#include "message/mime_parse.hpp"

namespace okuru {
namespace {

using mime::field_of;
using mime::is_utf8_text;
using mime::LineSource;
using mime::parse_content_type;
using mime::PartType;

constexpr std::size_t line_max = 998;  // RFC 5322 2.1.1

bool has_8bit(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return (c & 0x80) != 0; });
}

enum class Kind { keep, qp, base64, rewrap_base64, soft_break_qp };

// How a leaf with long lines is re-encoded, from its type and current encoding.
Kind kind_for(const PartType& t) {
    if (t.encoding == "base64") return Kind::rewrap_base64;
    if (t.encoding == "quoted-printable") return Kind::soft_break_qp;
    if (t.media.empty() || t.media.starts_with("text/")) return Kind::qp;
    return Kind::base64;
}

const char* encoding_name(Kind k) {
    return k == Kind::base64 || k == Kind::rewrap_base64 ? "base64" : "quoted-printable";
}

// One walk over the body. Without `flags` it only records, per leaf part in
// order, whether it holds a line over 998 octets; with them it writes the body,
// re-encoding the flagged leaves.
class Walker {
  public:
    Walker(const std::vector<bool>* flags, Spool* out) : flags_(flags), out_(out) {}

    std::vector<bool> found;     // first pass: one entry per leaf part
    bool eight_bit_out = false;  // second pass: the new body has 8-bit octets
    bool utf8 = true;            // every line of the text is UTF-8

    // The message's own header block: the top-level part.
    void start(const PartType& top) { enter(top, nullptr); }

    // A line, or a piece of a long one (LineSource): the pieces of a line
    // stream through the encoders, so memory stays bounded whatever the line.
    void piece(std::string_view p, bool complete) {
        if (!flags_) utf8 = utf8 && is_utf8_text(p);
        const bool first = !in_line_;
        in_line_ = !complete;
        if (first && complete) return line(p);
        // A line this long is no delimiter, and no part's blank line.
        switch (mode_) {
            case Mode::headers:
                held_.append(p);  // a part's header field: kept whole
                if (complete) {
                    headers_.push_back(std::move(held_));
                    held_.clear();
                }
                return;
            case Mode::text:
                text_piece(p, complete);
                return;
            case Mode::leaf:
                leaf_piece(p, first, complete);
                return;
        }
    }

    void line(std::string_view l) {
        if (l.starts_with("--") && !bounds_.empty() && delimiter(l)) return;
        switch (mode_) {
            case Mode::headers:
                if (l.empty()) {
                    part_headers();
                } else {
                    headers_.emplace_back(l);
                }
                return;
            case Mode::text:
                emit(l);
                return;
            case Mode::leaf:
                leaf_piece(l, true, true);
                return;
        }
    }

    void finish() {
        end_leaf();
        if (mode_ == Mode::headers)
            for (const auto& h : headers_) emit(h);  // cut short: as it came
        flush();
    }

  private:
    enum class Mode { headers, text, leaf };

    // RFC 2046 5.1.1: "--" boundary, then "--" for the last one, then
    // optional white space. An outer boundary also ends the inner parts.
    bool delimiter(std::string_view l) {
        for (std::size_t k = bounds_.size(); k-- > 0;) {
            const std::string& b = bounds_[k];
            if (l.compare(2, b.size(), b) != 0) continue;
            std::string_view rest = std::string_view(l).substr(2 + b.size());
            const bool close = rest.starts_with("--");
            if (close) rest.remove_prefix(2);
            if (rest.find_first_not_of(" \t") != std::string_view::npos) continue;
            end_leaf();
            bounds_.resize(close ? k : k + 1);
            emit(l);
            mode_ = close ? Mode::text : Mode::headers;
            headers_.clear();
            return true;
        }
        return false;
    }

    void part_headers() {
        PartType t;
        if (auto ct = field_of(headers_, "Content-Type")) parse_content_type(*ct, t);
        if (auto cte = field_of(headers_, "Content-Transfer-Encoding"))
            t.encoding = ascii_lower(trim(*cte));
        enter(t, &headers_);
        headers_.clear();
    }

    // A part begins (its header lines given, or null for the message itself).
    void enter(const PartType& t, const std::vector<std::string>* header_lines) {
        kind_ = Kind::keep;
        if (t.multipart()) {
            if (header_lines)
                for (const auto& h : *header_lines) emit(h);
            if (header_lines) emit("");
            bounds_.push_back(t.boundary);
            mode_ = Mode::text;  // the preamble
            return;
        }
        // RFC 2046 5.2.1: a message/rfc822 part may only be 7bit, 8bit or
        // binary, so it is never encoded itself: the message inside is
        // followed like a part (its header block, then its body).
        if (header_lines && t.media == "message/rfc822" &&
            (t.encoding.empty() || t.encoding == "7bit" || t.encoding == "8bit" ||
             t.encoding == "binary")) {
            for (const auto& h : *header_lines) emit(h);
            emit("");
            mode_ = Mode::headers;
            return;
        }
        const std::size_t index = leaf_++;
        if (!flags_) found.push_back(false);
        if (flags_ && index < flags_->size() && (*flags_)[index]) kind_ = kind_for(t);
        if (header_lines) {
            bool skipping = false;
            for (const auto& h : *header_lines) {
                const bool continued = !h.empty() && (h[0] == ' ' || h[0] == '\t');
                if (!continued) {
                    const auto colon = h.find(':');
                    skipping = kind_ != Kind::keep && colon != std::string::npos &&
                               ascii_iequals(trim(h.substr(0, colon)), "Content-Transfer-Encoding");
                }
                if (!skipping) emit(h);
            }
            if (kind_ != Kind::keep)
                emit(std::string("Content-Transfer-Encoding: ") + encoding_name(kind_));
            emit("");
        }
        top_kind_ = header_lines ? top_kind_ : kind_;
        mode_ = Mode::leaf;
        first_ = true;
    }

    void leaf_piece(std::string_view p, bool first_piece, bool complete) {
        if (!flags_) {
            if (!complete || !first_piece || p.size() > line_max) found.back() = true;
            return;
        }
        switch (kind_) {
            case Kind::keep:
                text_piece(p, complete);
                break;
            case Kind::qp:
                qp_.feed(p, buf_);
                if (complete) qp_.feed("\r\n", buf_);
                break;
            case Kind::base64:
                if (first_piece && !first_) b64_.feed("\r\n", buf_);
                b64_.feed(p, buf_);
                break;
            case Kind::rewrap_base64:
                for (char c : p) {
                    if (c == ' ' || c == '\t') continue;
                    if (column_ == 76) {
                        buf_ += "\r\n";
                        column_ = 0;
                    }
                    buf_ += c;
                    ++column_;
                }
                break;
            case Kind::soft_break_qp:
                held_.append(p);
                if (complete) {
                    soft_breaks(held_);
                    held_.clear();
                }
                break;
        }
        first_ = false;
        if (buf_.size() >= 64 * 1024) flush();
    }

    // RFC 2045 6.7 (5): a soft break ("=" CR LF) anywhere but inside an "=XX"
    // triplet decodes to nothing.
    void soft_breaks(std::string_view rest) {
        while (rest.size() > 76) {
            std::size_t cut = 75;
            if (rest[cut - 1] == '=')
                cut -= 1;
            else if (rest[cut - 2] == '=')
                cut -= 2;
            buf_.append(rest.substr(0, cut)).append("=\r\n");
            rest.remove_prefix(cut);
        }
        buf_.append(rest).append("\r\n");
    }

    // Text that is no leaf's content (a preamble), or a piece of it: a line
    // over 998 octets is broken there, as Postfix's smtp_line_length_limit
    // does, but at a UTF-8 character boundary.
    void text_piece(std::string_view p, bool complete) {
        if (!flags_) return;
        while (p.size() > line_max - text_column_) {
            std::size_t cut = line_max - text_column_;
            while (cut > 0 && (static_cast<unsigned char>(p[cut]) & 0xC0) == 0x80) --cut;
            buf_.append(p.substr(0, cut)).append("\r\n");
            text_column_ = 0;
            p.remove_prefix(cut);
        }
        buf_.append(p);
        text_column_ += p.size();
        if (complete) {
            buf_.append("\r\n");
            text_column_ = 0;
        }
        if (buf_.size() >= 64 * 1024) flush();
    }

    // The end of a leaf's content: the CR LF before a delimiter belongs to the
    // delimiter (RFC 2046 5.1.1), so the encoders that did not write it add it.
    void end_leaf() {
        if (!flags_ || mode_ != Mode::leaf) return;
        if (kind_ == Kind::base64) {
            b64_.finish(buf_);
            buf_ += "\r\n";
        } else if (kind_ == Kind::rewrap_base64 && column_ > 0) {
            buf_ += "\r\n";
        }
        kind_ = Kind::keep;
        column_ = 0;
        b64_ = Base64Encoder{};
        qp_ = QpEncoder{};
        mode_ = Mode::text;
    }

    void emit(std::string_view l) {
        if (!flags_) return;
        if (l.size() > line_max) {
            long_line(l);
        } else {
            buf_.append(l).append("\r\n");
        }
        if (buf_.size() >= 64 * 1024) flush();
    }

    // A long line outside any leaf's content (a part's header field, a
    // preamble) cannot be re-encoded: a header field is folded as the
    // message's own are, anything else is broken at 998 octets (as Postfix's
    // smtp_line_length_limit does), at a UTF-8 character boundary.
    void long_line(std::string_view l) {
        const auto colon = l.find(':');
        if (mode_ == Mode::headers && colon != std::string_view::npos && colon > 0 && l[0] != ' ' &&
            l[0] != '\t') {
            buf_.append(fold_field(l.substr(0, colon), l.substr(colon + 1))).append("\r\n");
            return;
        }
        text_piece(l, true);
    }

    void flush() {
        if (out_ && !buf_.empty()) out_->append(buf_);
        if (!eight_bit_out) eight_bit_out = has_8bit(buf_);
        buf_.clear();
    }

    const std::vector<bool>* flags_;
    Spool* out_;
    std::string buf_;
    std::vector<std::string> bounds_;
    std::vector<std::string> headers_;
    std::string held_;  // a long line being assembled (part header, QP input)
    bool in_line_ = false;
    std::size_t text_column_ = 0;
    Mode mode_ = Mode::leaf;
    Kind kind_ = Kind::keep;

  public:
    Kind top_kind_ = Kind::keep;  // how the message itself was re-encoded

  private:
    QpEncoder qp_;
    Base64Encoder b64_;
    std::size_t leaf_ = 0;
    std::size_t column_ = 0;
    bool first_ = true;
};

PartType top_type(const HeaderBlock& h) {
    PartType t;
    // RFC 2045 4: without MIME-Version the body is plain text, whatever else says.
    if (!h.find("MIME-Version")) return t;
    if (const Header* ct = h.find("Content-Type")) parse_content_type(ct->value, t);
    if (const Header* cte = h.find("Content-Transfer-Encoding"))
        t.encoding = ascii_lower(trim(cte->value));
    return t;
}

}  // namespace

bool encode_long_lines(InputMessage& msg) {
    if (longest_line(msg.body) <= line_max) return false;
    const PartType top = top_type(msg.headers);

    Walker scan(nullptr, nullptr);
    scan.start(top);
    std::string piece;
    bool complete = false;
    LineSource first(msg.body);
    while (first.next(piece, complete)) scan.piece(piece, complete);
    scan.finish();
    Spool out;
    Walker write(&scan.found, &out);
    write.start(top);
    LineSource second(msg.body);
    while (second.next(piece, complete)) write.piece(piece, complete);
    write.finish();
    msg.body = std::move(out);

    if (write.top_kind_ != Kind::keep) {
        HeaderBlock& h = msg.headers;
        if (!h.find("MIME-Version")) {
            // A plain message becomes MIME text (RFC 2045 4, 5.1).
            h.remove_all("Content-Type");
            h.add("MIME-Version", " 1.0");
            const char* charset = !msg.eight_bit ? "us-ascii"
                                  : scan.utf8    ? "utf-8"
                                                 : "unknown-8bit";
            h.add("Content-Type", std::string(" text/plain; charset=") + charset);
        }
        h.remove_all("Content-Transfer-Encoding");
        h.add("Content-Transfer-Encoding", std::string(" ") + encoding_name(write.top_kind_));
    }
    // A body now all 7-bit needs no BODY=8BITMIME (RFC 6152), unless the
    // untouched parts or the header block still carry 8-bit octets.
    msg.eight_bit =
        write.eight_bit_out ||
        std::any_of(msg.headers.fields().begin(), msg.headers.fields().end(),
                    [](const Header& f) { return has_8bit(f.name) || has_8bit(f.value); });
    return true;
}

}  // namespace okuru
