// libFuzzer target: the TOML configuration loader reports every problem as an
// okuru::Error with Exit::config, never crashes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/errors.hpp"
#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        (void)okuru::parse_config(text, "fuzz.toml");
    } catch (const okuru::Error& e) {
        if (e.code() != okuru::Exit::config) __builtin_trap();
    }
    return 0;
}
