// libFuzzer target: whatever the body bytes and however they are split into
// reads, the DATA stream has CR LF line endings only, no line over 1000 octets
// with its CR LF, and exactly one end-of-data marker: the last five octets.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "message/data_writer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    // The first byte chooses the chunking.
    const std::size_t step = 1 + data[0] % 97;
    std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    okuru::LineNormalizer norm;
    okuru::DotStuffer stuff;
    std::string wire, stuffed;
    for (std::size_t i = 0; i < in.size(); i += step) norm.feed(in.substr(i, step), wire);
    norm.finish(wire);
    stuff.feed(wire, stuffed);
    stuffed = "\r\n" + stuffed;  // as after the header block
    stuffed += okuru::DotStuffer::terminator;
    std::size_t start = 0;  // first octet of the current line
    for (std::size_t i = 0; i < stuffed.size(); ++i) {
        const char c = stuffed[i];
        if (c == '\r' && (i + 1 >= stuffed.size() || stuffed[i + 1] != '\n')) __builtin_trap();
        if (c == '\n') {
            if (i == 0 || stuffed[i - 1] != '\r') __builtin_trap();
            // RFC 5321 4.5.3.1.6: at most 1000 octets with CR LF, "not counting the
            // leading dot duplicated for transparency".
            const std::size_t octets = i + 1 - start;
            const bool stuffed_dot =
                octets > 3 && stuffed[start] == '.' && stuffed[start + 1] == '.';
            if (octets > 1000 + (stuffed_dot ? 1 : 0)) __builtin_trap();
            start = i + 1;
        }
    }
    if (stuffed.find("\r\n.\r\n") != stuffed.size() - 5) __builtin_trap();
    return 0;
}
