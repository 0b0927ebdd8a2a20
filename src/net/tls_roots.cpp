// Finding roots in the CA bundle by subject, without an X.509 parser.
#include "net/tls_roots.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>

namespace okuru::tls {
namespace {

constexpr std::array<signed char, 256> base64_table = [] {
    std::array<signed char, 256> t{};
    t.fill(-1);
    const char* digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i)
        t[static_cast<unsigned char>(digits[i])] = static_cast<signed char>(i);
    for (char c : {'\n', '\r', ' ', '\t'}) t[static_cast<unsigned char>(c)] = -2;
    t['='] = -3;
    return t;
}();

// Decodes text (line breaks allowed, '=' only at the end); nullopt if broken.
std::optional<std::string> base64_decode(std::string_view text) {
    std::string out(text.size() / 4 * 3 + 3, '\0');
    std::size_t n = 0;
    unsigned acc = 0;
    int bits = 0, pad = 0;
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* const end = p + text.size();
    while (p != end) {
        // Four digits at a quantum's start: three bytes at once. This is the whole
        // of a PEM line but its end, and the index decodes the start of every root
        // in the system bundle on each run with the system trust.
        if (bits == 0 && end - p >= 4) {
            const int a = base64_table[p[0]], b = base64_table[p[1]], c = base64_table[p[2]],
                      d = base64_table[p[3]];
            if ((a | b | c | d) >= 0) {  // none negative: none a space, '=' or junk
                if (pad) return std::nullopt;
                const unsigned v =
                    unsigned(a) << 18 | unsigned(b) << 12 | unsigned(c) << 6 | unsigned(d);
                out[n] = char(v >> 16);
                out[n + 1] = char((v >> 8) & 0xff);
                out[n + 2] = char(v & 0xff);
                n += 3;
                p += 4;
                continue;
            }
        }
        const int v = base64_table[*p++];
        if (v >= 0) {
            if (pad) return std::nullopt;
            acc = (acc << 6) | unsigned(v);
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                out[n++] = char((acc >> bits) & 0xff);
            }
        } else if (v == -3) {
            ++pad;
        } else if (v == -1) {
            return std::nullopt;
        }
    }
    if (pad > 2) return std::nullopt;
    out.resize(n);
    return out;
}

// One DER TLV at the front of in: its header length and content length.
struct Tlv {
    unsigned char tag;
    std::size_t header, length;
};

// complete = false: the content may run past the end of in.
std::optional<Tlv> read_tlv(std::string_view in, bool complete = true) {
    if (in.size() < 2) return std::nullopt;
    Tlv t{static_cast<unsigned char>(in[0]), 2, 0};
    if ((t.tag & 0x1f) == 0x1f) return std::nullopt;  // no multi-byte tags in a certificate
    const unsigned char first = static_cast<unsigned char>(in[1]);
    if (first < 0x80) {
        t.length = first;
    } else {
        const std::size_t n = first & 0x7f;
        if (n == 0 || n > 4 || in.size() < 2 + n) return std::nullopt;  // DER: definite only
        for (std::size_t i = 0; i < n; ++i) {
            t.length = (t.length << 8) | static_cast<unsigned char>(in[2 + i]);
        }
        t.header += n;
    }
    if (t.length > in.size() - t.header) {
        if (complete) return std::nullopt;
        t.length = in.size() - t.header;
    }
    return t;
}

// Calls f(body, at) with the base64 of every complete "CERTIFICATE" / "X509
// CERTIFICATE" PEM block in text, in order, and its offset in text. Returns where
// the scan stopped: the start of a block whose end is not in text yet, else the
// end of text less what could be the start of a cut "-----BEGIN " line.
template <typename F>
std::size_t for_each_certificate(std::string_view text, F f) {
    static constexpr std::string_view begin = "-----BEGIN ", dashes = "-----";
    std::size_t pos = 0, done = 0;
    while ((pos = text.find(begin, pos)) != std::string_view::npos) {
        const std::size_t label_at = pos + begin.size();
        const std::size_t label_end = text.find(dashes, label_at);
        if (label_end == std::string_view::npos) return pos;
        const std::string_view label = text.substr(label_at, label_end - label_at);
        const std::string end = "-----END " + std::string(label) + "-----";
        const std::size_t body_at = label_end + dashes.size();
        const std::size_t end_at = text.find(end, body_at);
        if (end_at == std::string_view::npos) return pos;
        pos = done = end_at + end.size();
        if (label == "CERTIFICATE" || label == "X509 CERTIFICATE") {
            f(text.substr(body_at, end_at - body_at), body_at);
        }
    }
    return std::max(done, text.size() - std::min(text.size(), begin.size() - 1));
}

// The names of a certificate, or (whole = false) of the first bytes of one: the two
// outer SEQUENCEs may then run past the end, the names themselves may not.
std::optional<RawNames> names_in(std::string_view der, bool whole) {
    // RFC 5280 4.1: Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version
    // OPTIONAL, serialNumber, signature, issuer, validity, subject, ... }, ... }
    std::string_view in = der;
    for (int level = 0; level < 2; ++level) {
        auto outer = read_tlv(in, whole);
        if (!outer || outer->tag != 0x30) return std::nullopt;
        in = in.substr(outer->header, outer->length);
    }
    auto next = [&in](unsigned char tag) -> std::optional<std::string_view> {
        auto t = read_tlv(in);
        if (!t || t->tag != tag) return std::nullopt;
        std::string_view whole = in.substr(0, t->header + t->length);
        in.remove_prefix(whole.size());
        return whole;
    };
    if (!in.empty() && static_cast<unsigned char>(in[0]) == 0xa0 && !next(0xa0)) {
        return std::nullopt;
    }
    if (!next(0x02) || !next(0x30)) return std::nullopt;  // serialNumber, signature
    auto issuer = next(0x30);
    if (!issuer || !next(0x30)) return std::nullopt;  // validity
    auto subject = next(0x30);
    if (!subject) return std::nullopt;
    return RawNames{*issuer, *subject};
}

// The raw subject of the certificate whose base64 is body; nullopt if GnuTLS
// could not use it either. The subject ends within the first few hundred bytes
// of a certificate (in Debian 12's bundle: after 248 bytes at the median, 489 at
// most): only a prefix of 384 bytes is decoded, the whole block where the names
// run past it (8 of Debian's 150 roots).
std::optional<std::string> subject_of(std::string_view body) {
    constexpr std::size_t prefix = 512;  // base64 characters, line breaks included
    std::optional<std::string> der = base64_decode(body.substr(0, prefix));
    std::optional<RawNames> names;
    if (der) names = names_in(*der, body.size() <= prefix);
    if (!names && body.size() > prefix) {
        der = base64_decode(body);
        if (der) names = names_in(*der, true);
    }
    if (!names) return std::nullopt;
    return std::string(names->subject);
}

}  // namespace

std::optional<RawNames> raw_names(std::string_view der) {
    return names_in(der, true);
}

std::vector<std::string> pem_certificates(std::string_view text) {
    std::vector<std::string> out;
    for_each_certificate(text, [&out](std::string_view body, std::size_t) {
        if (auto der = base64_decode(body)) out.push_back(std::move(*der));
    });
    return out;
}

std::optional<RootBundle> RootBundle::load(const std::string& path) {
    RootBundle bundle;
    bundle.file_ = Fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    struct stat st {};
    if (!bundle.file_ || ::fstat(bundle.file_.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return std::nullopt;
    }
    // Read through one small window, not whole: a fresh 220 KiB buffer costs more
    // in page faults than the indexing itself (bench/results.md). A block cut by
    // the window's end stays in it for the next read.
    constexpr std::size_t piece = 32 * 1024;
    std::string window;
    std::uint64_t window_at = 0;  // the file offset of window[0]
    for (;;) {
        const std::size_t had = window.size();
        window.resize(had + piece);
        const ssize_t n = ::read(bundle.file_.get(), window.data() + had, piece);
        if (n < 0 && errno == EINTR) {
            window.resize(had);
            continue;
        }
        if (n <= 0) break;  // a read error ends the bundle where it stops, as a short file
        window.resize(had + std::size_t(n));
        const std::size_t used =
            for_each_certificate(window, [&](std::string_view body, std::size_t at) {
                if (auto subject = subject_of(body)) {
                    bundle.roots_.push_back(Root{window_at + at, body.size(), std::move(*subject)});
                }
            });
        window.erase(0, used);
        window_at += used;
    }
    if (bundle.roots_.empty()) return std::nullopt;
    return bundle;
}

std::vector<std::size_t> RootBundle::with_subject(std::string_view name) const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < roots_.size(); ++i) {
        if (roots_[i].subject == name) out.push_back(i);
    }
    return out;
}

std::string RootBundle::der(std::size_t i) const {
    const Root& r = roots_[i];
    // From the descriptor the index was built from: the same file, even if the
    // bundle has been replaced since (update-ca-certificates renames a new one in).
    std::string body(r.body_size, '\0');
    std::size_t got = 0;
    while (got < body.size()) {
        const ssize_t n =
            ::pread(file_.get(), body.data() + got, body.size() - got, off_t(r.body_at + got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return {};
        got += std::size_t(n);
    }
    return base64_decode(body).value_or("");
}

}  // namespace okuru::tls
