#include "base/log.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>

#include "base/errors.hpp"

namespace okuru::log {
namespace {

int level = 0;

struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};
std::unique_ptr<std::FILE, FileCloser> log_file;

void emit(std::string_view prefix, std::string_view line, bool to_stderr) {
    if (to_stderr) {
        std::fprintf(stderr, "%.*s%.*s\n", int(prefix.size()), prefix.data(), int(line.size()),
                     line.data());
    }
    if (log_file) {
        std::fprintf(log_file.get(), "%.*s%.*s\n", int(prefix.size()), prefix.data(),
                     int(line.size()), line.data());
        std::fflush(log_file.get());
    }
}

}  // namespace

void set_verbosity(int l) {
    level = l;
}
int verbosity() {
    return level;
}

void open_file(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "ae");
    if (!f) throw_system(Exit::cantcreat, "cannot open log file " + path, errno);
    log_file.reset(f);
}

void info(std::string_view line) {
    emit("", line, level >= 1);
}
void debug(std::string_view line) {
    emit("", line, level >= 2);
}
void warn(std::string_view line) {
    emit("okuru: warning: ", line, true);
}

void dialogue(char dir, std::string_view line) {
    const std::string_view prefix = dir == '<' ? "<-- " : "--> ";
    emit(prefix, escape(line), level >= 1);
}

namespace {

// The length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF), or 0.
std::size_t utf8_length(std::string_view s, char32_t& cp) {
    const auto b = [&s](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char c = b(0);
    std::size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (n == 0 || c > 0xf4 || s.size() < n) return 0;
    cp = c & (0x7f >> n);
    for (std::size_t i = 1; i < n; ++i) {
        if ((b(i) & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (b(i) & 0x3f);
    }
    const char32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

void hex_byte(std::string& out, unsigned char c) {
    static const char hex[] = "0123456789abcdef";
    out += "\\x";
    out += hex[c >> 4];
    out += hex[c & 15];
}

}  // namespace

std::string escape(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f) {
            out += char(c);
            ++i;
            continue;
        }
        char32_t cp = 0;
        const std::size_t n = c >= 0x80 ? utf8_length(text.substr(i), cp) : 0;
        // C0, DEL, C1 (U+0080-U+009F: CSI and OSC in their 8-bit forms, which
        // some terminals obey in UTF-8 too) and bytes that are not UTF-8 become
        // \xNN; well-formed text in any script is kept.
        if (n == 0 || cp < 0xa0) {
            for (std::size_t k = 0; k < std::max<std::size_t>(n, 1); ++k)
                hex_byte(out, static_cast<unsigned char>(text[i + k]));
            i += std::max<std::size_t>(n, 1);
            continue;
        }
        out.append(text.substr(i, n));
        i += n;
    }
    return out;
}

}  // namespace okuru::log
