// RFC 5322 3.4 address-list parser: a tokenizer (atoms, quoted strings, domain
// literals, specials, nested comments) and a recursive-descent parser over it.
// Formatting and envelope checks live in address_format.cpp.
#include "message/address.hpp"

#include <cstddef>
#include <string>

#include "base/errors.hpp"
#include "base/log.hpp"

namespace okuru {
namespace {

enum class Tok { atom, quoted, literal, special, comment };

struct Token {
    Tok kind;
    std::string text;  // atom/literal: as written; quoted: unescaped; special: the char
    std::string raw;   // as written, folding removed (a quoted string keeps its quotes)
    bool space_before = false;
};

// RFC 5322 3.2.3 atext, plus UTF-8 octets (RFC 6532 3.2).
bool is_atext(unsigned char c) {
    if (c >= 0x80) return true;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    for (const char* p = "!#$%&'*+-/=?^_`{|}~"; *p; ++p)
        if (c == static_cast<unsigned char>(*p)) return true;
    return false;
}

bool is_fws(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

class Parser {
  public:
    explicit Parser(std::string_view s) : src_(s) { tokenize(); }

    std::vector<Address> list() {
        std::vector<Address> out;
        for (;;) {
            while (is_special(',')) ++i_;  // RFC 5322 4.4: empty list elements
            if (at_end()) break;
            out.push_back(address(false));
            if (at_end()) break;
            if (!is_special(',')) fail("expected ',' before " + describe_next());
        }
        return out;
    }

  private:
    [[noreturn]] void fail(const std::string& why) const {
        std::string shown(src_.substr(0, 200));
        throw Error(Exit::dataerr, "bad address list \"" + log::escape(shown) +
                                       (src_.size() > 200 ? "..." : "") + "\": " + why);
    }

    void tokenize() {
        bool space = false;
        std::size_t i = 0;
        const std::size_t n = src_.size();
        while (i < n) {
            const char c = src_[i];
            const auto uc = static_cast<unsigned char>(c);
            if (is_fws(c)) {
                space = true;
                ++i;
            } else if (c == '(') {
                toks_.push_back({Tok::comment, comment(i), "", space});
                space = true;
            } else if (c == '"') {
                Token t{Tok::quoted, "", "\"", space};
                for (++i;; ++i) {
                    if (i >= n) fail("unterminated quoted string");
                    if (src_[i] == '"') break;
                    if (src_[i] == '\r' || src_[i] == '\n') continue;  // unfold (3.2.2)
                    if (src_[i] == '\\' && i + 1 < n) t.raw += src_[i++];
                    t.text += src_[i];
                    t.raw += src_[i];
                }
                t.raw += '"';
                ++i;
                toks_.push_back(std::move(t));
                space = false;
            } else if (c == '[') {
                const std::size_t close = src_.find(']', i);
                if (close == std::string_view::npos) fail("unterminated domain literal");
                Token t{Tok::literal, "", "", space};
                for (std::size_t j = i; j <= close; ++j) {
                    if (j > i && src_[j] == '[') fail("'[' inside a domain literal");
                    if (src_[j] != '\r' && src_[j] != '\n') t.text += src_[j];
                }
                t.raw = t.text;
                i = close + 1;
                toks_.push_back(std::move(t));
                space = false;
            } else if (std::string_view("<>@,:;.").find(c) != std::string_view::npos) {
                toks_.push_back({Tok::special, std::string(1, c), std::string(1, c), space});
                ++i;
                space = false;
            } else if (is_atext(uc)) {
                const std::size_t start = i;
                while (i < n && is_atext(static_cast<unsigned char>(src_[i]))) ++i;
                std::string word(src_.substr(start, i - start));
                toks_.push_back({Tok::atom, word, word, space});
                space = false;
            } else {
                fail("unexpected character '" + log::escape(std::string(1, c)) + "'");
            }
        }
    }

    // RFC 5322 3.2.2: comments nest and may hold quoted pairs.
    std::string comment(std::size_t& i) {
        std::string text;
        int depth = 0;
        for (; i < src_.size(); ++i) {
            const char c = src_[i];
            if (c == '\\' && i + 1 < src_.size()) {
                text += src_[++i];
                continue;
            }
            if (c == '(' && depth++ == 0) continue;
            if (c == ')' && --depth == 0) {
                ++i;
                return text;
            }
            text += (c == '\r' || c == '\n') ? ' ' : c;
        }
        fail("unterminated comment");
    }

    void skip_comments() {
        while (i_ < toks_.size() && toks_[i_].kind == Tok::comment) {
            if (comments_.empty()) comments_ = toks_[i_].text;
            ++i_;
        }
    }
    const Token* peek() {
        skip_comments();
        return i_ < toks_.size() ? &toks_[i_] : nullptr;
    }
    bool at_end() { return peek() == nullptr; }
    bool is_special(char c) {
        const Token* t = peek();
        return t && t->kind == Tok::special && t->text[0] == c;
    }
    bool is_word() {
        const Token* t = peek();
        return t && (t->kind == Tok::atom || t->kind == Tok::quoted);
    }
    std::string describe_next() {
        const Token* t = peek();
        return t ? "'" + log::escape(t->raw) + "'" : "the end";
    }

    // phrase = 1*(word / "." / CFWS) (obs-phrase allows the dots).
    std::vector<const Token*> phrase() {
        std::vector<const Token*> words;
        while (is_word() || is_special('.')) words.push_back(&toks_[i_++]);
        return words;
    }
    static std::string phrase_text(const std::vector<const Token*>& words) {
        std::string out;
        for (const Token* t : words) {
            if (!out.empty() && t->space_before) out += ' ';
            out += t->text;
        }
        return out;
    }
    // local-part = word *("." word), from tokens already read; CFWS around the
    // dots is obsolete but harmless (4.4). Two words in a row are not an address.
    std::string local_part(const std::vector<const Token*>& words) {
        std::string out;
        bool word_last = false, any_word = false;
        for (const Token* t : words) {
            const bool is_w = t->kind != Tok::special;
            if (is_w && word_last)
                fail("'" + log::escape(phrase_text(words)) + "' is not an address");
            word_last = is_w;
            any_word = any_word || is_w;
            out += t->raw;
        }
        if (!any_word) fail("missing local part before " + describe_next());
        return out;
    }
    std::string domain() {
        const Token* t = peek();
        if (t && t->kind == Tok::literal) {
            ++i_;
            return t->text;
        }
        std::string out;
        while ((peek() && peek()->kind == Tok::atom) || is_special('.')) out += toks_[i_++].text;
        if (out.empty()) fail("missing domain after '@'");
        if (out.front() == '.' || out.back() == '.' || out.find("..") != std::string::npos)
            fail("bad domain '" + log::escape(out) + "'");
        return out;
    }

    // angle-addr = "<" [obs-route] addr-spec ">"
    void angle_addr(Mailbox& m) {
        ++i_;  // '<'
        if (is_special('@')) {
            // obs-route "@a,@b:" (RFC 5322 4.4): dropped, RFC 5321 4.1.2 says ignore it
            while (!is_special(':')) {
                if (at_end() || is_special('>')) fail("bad source route in <...>");
                ++i_;
            }
            ++i_;
        }
        if (is_special('>')) fail("empty address <>");
        std::vector<const Token*> words = phrase();
        m.local_part = local_part(words);
        if (is_special('@')) {
            ++i_;
            m.domain = domain();
        }
        if (!is_special('>')) fail("expected '>' instead of " + describe_next());
        ++i_;
    }

    Mailbox mailbox_after(std::vector<const Token*> words) {
        Mailbox m;
        if (is_special('<')) {
            m.display_name = phrase_text(words);
            angle_addr(m);
        } else {
            m.local_part = local_part(words);
            if (is_special('@')) {
                ++i_;
                m.domain = domain();
            }
        }
        return m;
    }

    Address address(bool in_group) {
        comments_.clear();
        Address a;
        std::vector<const Token*> words = phrase();
        if (is_special(':')) {
            if (in_group) fail("a group inside a group");
            if (words.empty()) fail("a group without a name");
            ++i_;
            a.is_group = true;
            a.group_name = phrase_text(words);
            for (;;) {
                while (is_special(',')) ++i_;
                if (at_end()) break;  // tolerate a missing ';'
                if (is_special(';')) {
                    ++i_;
                    break;
                }
                Address member = address(true);
                a.mailboxes.push_back(std::move(member.mailboxes.front()));
                if (!at_end() && !is_special(',') && !is_special(';'))
                    fail("expected ',' or ';' before " + describe_next());
            }
            return a;
        }
        if (words.empty() && !is_special('<')) fail("expected an address at " + describe_next());
        Mailbox m = mailbox_after(std::move(words));
        skip_comments();
        // "root (Cron Daemon)": the old comment form of a display name.
        if (m.display_name.empty() && !comments_.empty()) m.display_name = comments_;
        a.mailboxes.push_back(std::move(m));
        return a;
    }

    std::string_view src_;
    std::vector<Token> toks_;
    std::size_t i_ = 0;
    std::string comments_;
};

}  // namespace

std::string Mailbox::addr_spec() const {
    return domain.empty() ? local_part : local_part + "@" + domain;
}

std::vector<Address> parse_addresses(std::string_view field_body) {
    return Parser(field_body).list();
}

std::vector<Mailbox> parse_address_list(std::string_view field_body) {
    std::vector<Mailbox> out;
    for (auto& a : parse_addresses(field_body))
        for (auto& m : a.mailboxes) out.push_back(std::move(m));
    return out;
}

}  // namespace okuru
