// Rendering mailboxes for headers, and the RFC 5321 checks on envelope addresses
// that come from argv or -t headers (the PHPMailer CVE-2016-10033 class of bugs).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>

#include "base/errors.hpp"
#include "base/log.hpp"
#include "message/address.hpp"

namespace okuru {
namespace {

bool is_atext(unsigned char c) {
    if (c >= 0x80 || std::isalnum(c)) return true;
    return std::string_view("!#$%&'*+-/=?^_`{|}~").find(char(c)) != std::string_view::npos;
}

// A display name that RFC 5322 3.2.5 lets us write bare: atoms (encoded words
// are atoms) separated by single spaces.
bool is_plain_phrase(std::string_view s) {
    if (s.empty() || s.front() == ' ' || s.back() == ' ') return false;
    char prev = 0;
    for (char c : s) {
        if (c == ' ' ? prev == ' ' : !is_atext(static_cast<unsigned char>(c))) return false;
        prev = c;
    }
    return true;
}

std::string render_phrase(std::string_view name) {
    std::string clean;
    for (char c : name) {
        const auto uc = static_cast<unsigned char>(c);
        clean += (uc < 0x20 || uc == 0x7f) ? ' ' : c;  // never let a name start a new line
    }
    if (is_plain_phrase(clean)) return clean;
    std::string q = "\"";
    for (char c : clean) {
        if (c == '"' || c == '\\') q += '\\';
        q += c;
    }
    return q + '"';
}

}  // namespace

std::optional<std::string> utf8_problem(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        // RFC 3629 4: the lead octet fixes the length and the smallest value
        // (no overlong forms); no surrogates, nothing past U+10FFFF.
        std::size_t n = 0;
        std::uint32_t v = 0, min = 0;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            v = c & 0x1Fu;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            v = c & 0x0Fu;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            v = c & 0x07u;
            min = 0x10000;
        } else {
            return "is not valid UTF-8 (octet " + std::to_string(c) + ")";
        }
        for (std::size_t k = 1; k <= n; ++k) {
            if (i + k >= s.size()) return "is not valid UTF-8 (a character is cut short)";
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return "is not valid UTF-8 (a character is cut short)";
            v = (v << 6) | (cc & 0x3F);
        }
        if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return "is not valid UTF-8";
        // C1 controls (U+0080..U+009F) are controls as much as C0 ones (RFC 6532 3.1
        // leaves them out of what a header may usefully carry).
        if (v <= 0x9F) return "contains a C1 control character";
        i += n + 1;
    }
    return std::nullopt;
}

std::string format_mailbox(const Mailbox& m) {
    if (m.display_name.empty()) return m.addr_spec();
    return render_phrase(m.display_name) + " <" + m.addr_spec() + ">";
}

std::string format_address_list(const std::vector<Address>& list, std::size_t name_len) {
    std::string out;
    std::size_t column = name_len;
    bool first = true;
    std::vector<std::string> items;
    for (const Address& a : list) {
        if (a.is_group) {
            std::string text = render_phrase(a.group_name) + ":";
            for (std::size_t i = 0; i < a.mailboxes.size(); ++i)
                text += (i ? ", " : " ") + format_mailbox(a.mailboxes[i]);
            items.push_back(text + ";");
        } else {
            for (const Mailbox& m : a.mailboxes) items.push_back(format_mailbox(m));
        }
    }
    for (const std::string& text : items) {
        if (!first) out += ',';
        // RFC 5322 2.1.1: SHOULD stay under 78 octets; fold between addresses.
        if (!first && column + 2 + text.size() > 78) {
            out += "\r\n ";
            column = 1;
        } else {
            out += ' ';
            column += first ? 1 : 2;
        }
        out += text;
        column += text.size();
        first = false;
    }
    return out;
}

std::vector<std::string> parse_recipient_argument(std::string_view arg) {
    // Only a list needs the list parser; a single address keeps the envelope
    // checks' exact messages.
    const bool single =
        arg.find(',') == std::string_view::npos &&
        (arg.empty() || arg.front() == '<' || arg.find('<') == std::string_view::npos);
    if (single) return {parse_envelope_address(arg, "recipient")};
    for (char c : arg) {
        const auto uc = static_cast<unsigned char>(c);
        if (uc < 0x20 || uc == 0x7f) parse_envelope_address(arg, "recipient");  // throws
    }
    std::vector<std::string> out;
    for (const Mailbox& m : parse_address_list(arg))
        out.push_back(parse_envelope_address(m.addr_spec(), "recipient"));
    if (out.empty())
        throw Error(Exit::dataerr, "recipient \"" + log::escape(arg) + "\" holds no address");
    return out;
}

std::string parse_envelope_address(std::string_view arg, std::string_view what, bool allow_empty) {
    auto fail = [&](const std::string& why) -> void {
        throw Error(Exit::dataerr, std::string(what) + " \"" + log::escape(arg) + "\" " + why);
    };
    for (char c : arg) {
        const auto uc = static_cast<unsigned char>(c);
        if (c == '\r' || c == '\n' || c == '\0')
            fail("contains a line break or NUL byte, refused (header/command injection)");
        if (uc < 0x20 || uc == 0x7f) fail("contains a control character");
    }
    // Non-ASCII addresses go out with SMTPUTF8 (RFC 6531), which carries UTF-8
    // and nothing else.
    if (const auto bad = utf8_problem(arg)) fail(*bad);
    std::string_view a = arg;
    if (!a.empty() && a.front() == '<') {
        if (a.size() < 2 || a.back() != '>') fail("has an unbalanced '<'");
        a = a.substr(1, a.size() - 2);
    }
    if (a.empty()) {
        if (allow_empty) return "";
        fail("is empty");
    }
    // Legal inside quotes, but no real mailbox needs them, and anything that later
    // splits "<path>" naively would be confused.
    if (const auto b = a.find_first_of("<>"); b != std::string_view::npos)
        fail("contains '" + std::string(1, a[b]) + "' inside");
    if (a.front() == '-') fail("starts with '-': an address that could be taken for an option");
    // RFC 5321 4.5.3.1.3: a path (with its angle brackets) is at most 256 octets.
    if (a.size() + 2 > 256) fail("is longer than the 256 octets an SMTP path may have");

    std::size_t i = 0;
    if (a.front() == '"') {
        for (i = 1;; ++i) {
            if (i >= a.size()) fail("has an unterminated quoted local part");
            if (a[i] == '\\' && i + 1 < a.size() && a[i + 1] != ' ' && a[i + 1] != '\t') {
                ++i;
                continue;
            }
            if (a[i] == '"') break;
            // RFC 5321 4.1.2 allows it, but no mailbox needs it, relays refuse it,
            // and the SMTP envelope check would only say so after connecting.
            if (a[i] == ' ' || a[i] == '\t') fail("contains a space inside its quoted local part");
        }
        ++i;
        if (i < a.size() && a[i] != '@') fail("has text after the quoted local part");
    } else {
        for (; i < a.size() && a[i] != '@'; ++i) {
            const char c = a[i];
            if (c == ' ' || c == '\t') fail("contains a space");
            if (c == '<' || c == '>') fail("contains '" + std::string(1, c) + "' inside");
            if (c != '.' && !is_atext(static_cast<unsigned char>(c)))
                fail("contains '" + std::string(1, c) + "', not allowed in an address");
        }
    }
    if (i == 0) fail("has no local part before '@'");
    if (i == a.size()) return std::string(a);  // unqualified: qualified later
    std::string_view dom = a.substr(i + 1);
    if (dom.empty()) fail("has '@' but no domain");
    if (dom.front() == '[') {
        // RFC 5321 4.1.3: IPv4, "IPv6:..." or "tag:..." literals; nothing else.
        const auto lit = dom.substr(1, dom.size() - 2);
        if (dom.back() != ']' || lit.empty() || !std::all_of(lit.begin(), lit.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == ':' ||
                       c == '-';
            }))
            fail("has a malformed address literal");
    } else {
        for (char c : dom) {
            const auto uc = static_cast<unsigned char>(c);
            if (c == ' ' || c == '\t') fail("contains a space");
            if (c == '<' || c == '>') fail("contains '" + std::string(1, c) + "' inside");
            if (!(std::isalnum(uc) || c == '-' || c == '.' || c == '_' || uc >= 0x80))
                fail("contains '" + std::string(1, c) + "' in its domain");
        }
        if (dom.front() == '.' || dom.back() == '.' || dom.find("..") != std::string_view::npos)
            fail("has an invalid domain");
    }
    return std::string(a);
}

bool needs_smtputf8(std::string_view address) {
    for (char c : address)
        if (static_cast<unsigned char>(c) >= 0x80) return true;
    return false;
}

std::string domain_of(std::string_view address) {
    const std::size_t at = address.rfind('@');
    if (at == std::string_view::npos) return "";
    std::string d(address.substr(at + 1));
    for (char& c : d) c = char(std::tolower(static_cast<unsigned char>(c)));
    return d;
}

}  // namespace okuru
