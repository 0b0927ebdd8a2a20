// Small fixtures shared by the unit tests: a temporary directory removed at the
// end of the test, and an environment variable set (or unset) for one scope.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace okuru::test {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/okuru-test-XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() { std::filesystem::remove_all(path); }

    // Writes `text` to path/name (creating directories) with the given mode.
    std::string write(const std::string& name, const std::string& text, mode_t mode = 0600) const {
        const std::filesystem::path p = path / name;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p) << text;
        REQUIRE(chmod(p.c_str(), mode) == 0);
        return p.string();
    }
};

// Sets (or unsets, with nullptr) an environment variable for one scope.
struct EnvGuard {
    std::string name;
    std::optional<std::string> old;
    EnvGuard(const char* n, const char* value) : name(n) {
        if (const char* o = std::getenv(n)) old = o;
        if (value)
            setenv(n, value, 1);
        else
            unsetenv(n);
    }
    EnvGuard(const EnvGuard&) = delete;
    EnvGuard& operator=(const EnvGuard&) = delete;
    ~EnvGuard() {
        if (old)
            setenv(name.c_str(), old->c_str(), 1);
        else
            unsetenv(name.c_str());
    }
};

}  // namespace okuru::test
