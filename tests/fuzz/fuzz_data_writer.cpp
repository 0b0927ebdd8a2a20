// libFuzzer target: whatever the body bytes and however they are split into
// reads, the DATA stream has CR LF line endings only and exactly one
// end-of-data marker: the last five octets; the normalizer changes line
// endings only (every other octet passes, in order, none added), and the
// chunking does not change its output. Line length is not the normalizer's
// business: fuzz_message checks it on what read_message produces.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "message/data_writer.hpp"

namespace {

std::string without_endings(std::string_view s) {
    std::string out;
    for (char c : s)
        if (c != '\r' && c != '\n') out += c;
    return out;
}

}  // namespace

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

    okuru::LineNormalizer whole;
    std::string once;
    whole.feed(in, once);
    whole.finish(once);
    if (once != wire) __builtin_trap();
    if (without_endings(wire) != without_endings(in)) __builtin_trap();

    stuff.feed(wire, stuffed);
    stuffed = "\r\n" + stuffed;  // as after the header block
    stuffed += okuru::DotStuffer::terminator;
    for (std::size_t i = 0; i < stuffed.size(); ++i) {
        const char c = stuffed[i];
        if (c == '\r' && (i + 1 >= stuffed.size() || stuffed[i + 1] != '\n')) __builtin_trap();
        if (c == '\n' && (i == 0 || stuffed[i - 1] != '\r')) __builtin_trap();
    }
    if (stuffed.find("\r\n.\r\n") != stuffed.size() - 5) __builtin_trap();
    return 0;
}
