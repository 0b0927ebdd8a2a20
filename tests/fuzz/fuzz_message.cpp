// libFuzzer target: reading a message (header block parser, -t recipients,
// qualification hooks, header finishing) from arbitrary input. What would go
// on the wire (the finished header block, then the body spool) has CR LF line
// endings only and no line over 998 octets before its CR LF: RFC 5321
// 4.5.3.1.6 allows 1000 with the CR LF (DATA's stuffed dot not counted, BDAT
// has none). read_message owes this (fold_field, encode_long_lines), not the
// LineNormalizer, which keeps lines whole.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "base/errors.hpp"
#include "message/message.hpp"

namespace {

// Aborts unless every line of `wire` ends in CR LF (no bare CR or LF) and has
// at most 998 octets before it.
void check_wire(const std::string& wire) {
    std::size_t start = 0;  // first octet of the current line
    for (std::size_t i = 0; i < wire.size(); ++i) {
        const char c = wire[i];
        if (c == '\r' && (i + 1 >= wire.size() || wire[i + 1] != '\n')) __builtin_trap();
        if (c == '\n') {
            if (i == 0 || wire[i - 1] != '\r') __builtin_trap();
            if (i + 1 - start > 1000) __builtin_trap();
            start = i + 1;
        }
    }
    if (start != wire.size()) __builtin_trap();  // the data ends with CR LF
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const int fd = memfd_create("fuzz", 0);
    if (fd < 0 || ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != ssize_t(size)) return 0;
    lseek(fd, 0, SEEK_SET);
    try {
        okuru::InputMessage m = okuru::read_message(fd, okuru::ReadOptions{size % 2 == 0, 1 << 16});
        try {
            (void)okuru::header_recipients(m.headers);
        } catch (const okuru::Error&) {
        }
        okuru::HeaderQualifier q;
        q.recipient = [](std::string_view a) {
            return std::vector<std::string>{std::string(a) + "@example.org"};
        };
        q.sender = [](std::string_view a) { return std::string(a) + "@example.org"; };
        okuru::qualify_headers(m.headers, q);
        okuru::HeaderFinish finish;
        finish.envelope_sender = "me@example.org";
        finish.message_id_domain = "example.org";
        finish.now = 1;
        // The DATA/BDAT content, as smtp's ContentReader sends it.
        std::string wire = okuru::finish_headers(m.headers, finish);
        const std::size_t hsize = wire.size();
        wire.resize(hsize + std::size_t(m.body.size()));
        for (std::size_t got = 0; got < m.body.size();) {
            const std::size_t n = m.body.read_at(
                got, std::span<char>(wire.data() + hsize + got, wire.size() - hsize - got));
            if (n == 0) __builtin_trap();  // the spool is shorter than its size
            got += n;
        }
        check_wire(wire);
    } catch (const okuru::Error&) {
    }
    return 0;
}
