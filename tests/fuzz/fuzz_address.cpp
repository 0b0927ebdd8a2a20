// libFuzzer target: RFC 5322 address lists and envelope addresses. Any input
// gives a result or an okuru::Error; an accepted envelope address never holds
// bytes that could break an SMTP command line.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/errors.hpp"
#include "message/address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        for (const auto& m : okuru::parse_address_list(text)) (void)okuru::format_mailbox(m);
    } catch (const okuru::Error&) {
    }
    try {
        std::string a = okuru::parse_envelope_address(text, "fuzz", true);
        for (char c : a)
            if (c == '\r' || c == '\n' || c == '\0' || c == '<' || c == '>') __builtin_trap();
        if (!a.empty() && a[0] == '-') __builtin_trap();
    } catch (const okuru::Error&) {
    }
    return 0;
}
