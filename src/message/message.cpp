// Header block operations: look-ups, -t recipients, qualification of bare names,
// and the final touches (Bcc removal, Date / Message-ID / From, From rewrite).
// Fields okuru does not change keep their bytes, folding included.
#include "message/message.hpp"

#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <unordered_set>

#include "base/errors.hpp"
#include "base/text.hpp"
#include "message/header_fold.hpp"

namespace okuru {
namespace {

bool is_one_of(std::string_view name, std::initializer_list<std::string_view> names) {
    return std::any_of(names.begin(), names.end(), [&](auto n) { return ascii_iequals(name, n); });
}

Mailbox split_address(std::string_view display, std::string_view addr) {
    const std::size_t at = addr.rfind('@');
    if (at == std::string_view::npos) return {std::string(display), std::string(addr), ""};
    return {std::string(display), std::string(addr.substr(0, at)),
            std::string(addr.substr(at + 1))};
}

// RFC 2047 "B" encoded words for a non-ASCII -F name, cut at UTF-8 character
// boundaries so each word stays within 75 octets (RFC 2047 2).
std::string encode_words(std::string_view s) {
    if (std::none_of(s.begin(), s.end(), [](char c) { return (c & 0x80) != 0; }))
        return std::string(s);
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    while (!s.empty()) {
        std::size_t n = std::min<std::size_t>(s.size(), 45);
        while (n < s.size() && n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
        if (n == 0) n = std::min<std::size_t>(s.size(), 45);
        if (!out.empty()) out += ' ';
        out += "=?UTF-8?B?";
        for (std::size_t i = 0; i < n; i += 3) {
            std::uint32_t v = std::uint32_t(static_cast<unsigned char>(s[i])) << 16;
            if (i + 1 < n) v |= std::uint32_t(static_cast<unsigned char>(s[i + 1])) << 8;
            if (i + 2 < n) v |= static_cast<unsigned char>(s[i + 2]);
            out += b64[(v >> 18) & 63];
            out += b64[(v >> 12) & 63];
            out += i + 1 < n ? b64[(v >> 6) & 63] : '=';
            out += i + 2 < n ? b64[v & 63] : '=';
        }
        out += "?=";
        s.remove_prefix(n);
    }
    return out;
}

}  // namespace

const Header* HeaderBlock::find(std::string_view name) const {
    for (const auto& f : fields_)
        if (ascii_iequals(f.name, name)) return &f;
    return nullptr;
}

std::vector<const Header*> HeaderBlock::find_all(std::string_view name) const {
    std::vector<const Header*> out;
    for (const auto& f : fields_)
        if (ascii_iequals(f.name, name)) out.push_back(&f);
    return out;
}

void HeaderBlock::remove_all(std::string_view name) {
    std::erase_if(fields_, [&](const Header& h) { return ascii_iequals(h.name, name); });
}

void HeaderBlock::add(std::string name, std::string value) {
    fields_.push_back({std::move(name), std::move(value)});
}

std::string HeaderBlock::render() const {
    std::string out;
    // Fields that fit keep their bytes; an over-long one is refolded (RFC 5322
    // 2.1.1: at most 998 octets a line).
    for (const auto& f : fields_) out.append(fold_field(f.name, f.value)).append("\r\n");
    return out;
}

std::vector<std::string> header_recipients(const HeaderBlock& headers) {
    // RFC 5322 3.6.6: a resent message goes to the Resent- destinations only.
    const bool resent =
        std::any_of(headers.fields().begin(), headers.fields().end(), [](const Header& h) {
            return h.name.size() > 7 && ascii_iequals(h.name.substr(0, 7), "Resent-");
        });
    std::vector<std::string> out;
    std::unordered_set<std::string> seen;  // linear in the number of addresses, not quadratic
    for (const auto& f : headers.fields()) {
        if (resent ? !is_one_of(f.name, {"Resent-To", "Resent-Cc", "Resent-Bcc"})
                   : !is_one_of(f.name, {"To", "Cc", "Bcc"}))
            continue;
        std::vector<Mailbox> list;
        try {
            list = parse_address_list(f.value);
        } catch (const Error&) {
            rethrow_with_context("in the " + f.name + ": header");
        }
        for (const auto& m : list) {
            std::string a =
                parse_envelope_address(m.addr_spec(), "recipient in the " + f.name + ": header");
            if (seen.insert(a).second) out.push_back(std::move(a));
        }
    }
    return out;
}

std::optional<std::string> header_sender(const HeaderBlock& headers) {
    const Header* from = headers.find("From");
    if (!from) return std::nullopt;
    try {
        const auto list = parse_address_list(from->value);
        if (list.empty()) return std::nullopt;
        return parse_envelope_address(list.front().addr_spec(), "From: header address");
    } catch (const Error&) {
        return std::nullopt;  // unusable for routing; the relay will judge the header
    }
}

void qualify_headers(HeaderBlock& headers, const HeaderQualifier& q) {
    for (auto& f : headers.fields()) {
        const bool to = is_one_of(f.name, {"To", "Cc", "Resent-To", "Resent-Cc"});
        if (!to && !is_one_of(f.name, {"From", "Reply-To", "Sender", "Resent-From", "Resent-Sender",
                                       "Resent-Reply-To"}))
            continue;
        std::vector<Address> list;
        try {
            list = parse_addresses(f.value);
        } catch (const Error&) {
            continue;  // not ours to fix: leave an unparsable field as written
        }
        bool changed = false;
        for (auto& a : list) {
            std::vector<Mailbox> done;
            for (auto& m : a.mailboxes) {
                const std::string spec = m.addr_spec();
                std::vector<std::string> out;
                if (to)
                    out = q.recipient(spec);
                else
                    out.push_back(q.sender(spec));
                changed = changed || out.size() != 1 || out.front() != spec;
                for (const auto& e : out) done.push_back(split_address(m.display_name, e));
            }
            a.mailboxes = std::move(done);
        }
        if (!changed) continue;  // byte-identical unless an address is rewritten
        std::erase_if(list, [](const Address& a) { return !a.is_group && a.mailboxes.empty(); });
        f.value = list.empty() ? " undisclosed-recipients:;"
                               : format_address_list(list, f.name.size() + 1);
    }
}

std::string finish_headers(HeaderBlock headers, const HeaderFinish& finish) {
    // Bcc must never reach the server in the message, -t or not (mailx writes one).
    headers.remove_all("Bcc");
    headers.remove_all("Resent-Bcc");

    const std::string& from_addr =
        finish.from_rewrite.empty() ? finish.envelope_sender : finish.from_rewrite;
    if (!finish.from_rewrite.empty()) {
        for (auto& f : headers.fields()) {
            if (!ascii_iequals(f.name, "From")) continue;
            try {
                auto list = parse_addresses(f.value);
                for (auto& a : list)
                    for (auto& m : a.mailboxes)
                        m = split_address(m.display_name, finish.from_rewrite);
                f.value = format_address_list(list, f.name.size() + 1);
            } catch (const Error&) {
                f.value = " " + finish.from_rewrite;
            }
        }
    }
    if (!headers.find("From") && !from_addr.empty()) {
        std::string name = encode_words(finish.full_name.value_or(""));
        headers.add("From", " " + format_mailbox(split_address(name, from_addr)));
    }
    if (!headers.find("Date"))
        headers.add("Date", " " + rfc5322_date(finish.now ? finish.now : std::time(nullptr)));
    if (!headers.find("Message-ID")) {
        std::string domain = finish.message_id_domain;
        if (domain.empty()) domain = domain_of(from_addr);
        headers.add("Message-ID", " " + make_message_id(domain));
    }
    return headers.render() + "\r\n";
}

std::string rfc5322_date(std::int64_t unix_time) {
    // RFC 5322 3.3; names spelled out so the locale cannot change them.
    static const char* const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    ::tzset();
    const std::time_t t = std::time_t(unix_time);
    std::tm tm{};
    if (!::localtime_r(&t, &tm)) throw Error(Exit::software, "cannot convert the time to a date");
    long off = tm.tm_gmtoff / 60;
    const char sign = off < 0 ? '-' : '+';
    off = off < 0 ? -off : off;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld", days[tm.tm_wday],
                  tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec, sign, off / 60, off % 60);
    return buf;
}

std::string make_message_id(std::string_view domain) {
    unsigned char rnd[12];
    std::size_t got = 0;
    while (got < sizeof rnd) {
        const ssize_t n = ::getrandom(rnd + got, sizeof rnd - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_system(Exit::oserr, "getrandom", errno);
        }
        got += std::size_t(n);
    }
    std::string host(domain);
    if (host.empty()) {
        char name[256] = {};
        host = ::gethostname(name, sizeof name - 1) == 0 && name[0] ? name : "localhost";
    }
    // Time first (sortable, and unique across reboots); 96 random bits make
    // collisions between concurrent invocations negligible.
    static const char alnum[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::string id = "<";
    for (auto t = std::uint64_t(std::time(nullptr)); t; t /= 36) id.insert(1, 1, alnum[t % 36]);
    id += '.';
    static const char hex[] = "0123456789abcdef";
    for (unsigned char c : rnd) {
        id += hex[c >> 4];
        id += hex[c & 15];
    }
    return id + "@" + host + ">";
}

}  // namespace okuru
