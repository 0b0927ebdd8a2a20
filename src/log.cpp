#include "log.hpp"

#include <cstdio>
#include <memory>

#include "errors.hpp"

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

void set_verbosity(int l) { level = l; }
int verbosity() { return level; }

void open_file(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "ae");
    if (!f) throw_system(Exit::cantcreat, "cannot open log file " + path, errno);
    log_file.reset(f);
}

void info(std::string_view line) { emit("", line, level >= 1); }
void debug(std::string_view line) { emit("", line, level >= 2); }
void warn(std::string_view line) { emit("okuru: warning: ", line, true); }

void dialogue(char dir, std::string_view line) {
    const std::string_view prefix = dir == '<' ? "<-- " : "--> ";
    emit(prefix, escape(line), level >= 1);
}

std::string escape(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    std::string out;
    out.reserve(text.size());
    static const char hex[] = "0123456789abcdef";
    for (unsigned char c : text) {
        if (c < 0x20 || c == 0x7f) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += char(c);
        }
    }
    return out;
}

}  // namespace okuru::log
