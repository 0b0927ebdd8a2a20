// libFuzzer target: reading a message (header block parser, -t recipients,
// qualification hooks, header finishing) from arbitrary input.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "base/errors.hpp"
#include "message/message.hpp"

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
        (void)okuru::finish_headers(m.headers, finish);
    } catch (const okuru::Error&) {
    }
    return 0;
}
