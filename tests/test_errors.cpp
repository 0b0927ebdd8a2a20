#include <catch2/catch.hpp>

#include "base/errors.hpp"

using okuru::Error;
using okuru::Exit;

TEST_CASE("errors - context keeps the innermost exit code and chains messages") {
    try {
        try {
            try {
                throw Error(Exit::nouser, "RCPT TO:<x@y> rejected: 550 5.1.1 unknown");
            } catch (...) {
                okuru::rethrow_with_context("account isp");
            }
        } catch (...) {
            okuru::rethrow_with_context("while sending");
        }
        FAIL("no exception");
    } catch (const std::exception& e) {
        CHECK(okuru::exit_code(e) == Exit::nouser);
        CHECK(okuru::describe(e) ==
              "while sending: account isp: RCPT TO:<x@y> rejected: 550 5.1.1 unknown");
    }
}

TEST_CASE("errors - foreign exceptions map to software and bad_alloc to oserr") {
    CHECK(okuru::exit_code(std::runtime_error("x")) == Exit::software);
    CHECK(okuru::exit_code(std::bad_alloc()) == Exit::oserr);
}

TEST_CASE("errors - worst outcome ranks permanent over temporary over success") {
    using okuru::worst;
    auto [a, b, expected] = GENERATE(table<Exit, Exit, Exit>({
        {Exit::ok, Exit::ok, Exit::ok},
        {Exit::ok, Exit::tempfail, Exit::tempfail},
        {Exit::tempfail, Exit::ok, Exit::tempfail},
        {Exit::tempfail, Exit::nouser, Exit::nouser},
        {Exit::unavailable, Exit::tempfail, Exit::unavailable},
        {Exit::noperm, Exit::ok, Exit::noperm},
    }));
    CHECK(worst(a, b) == expected);
}

TEST_CASE("errors - throw_system appends the errno text") {
    try {
        okuru::throw_system(Exit::ioerr, "cannot read /x", ENOENT);
    } catch (const Error& e) {
        CHECK(e.code() == Exit::ioerr);
        CHECK(std::string(e.what()) == "cannot read /x: No such file or directory");
    }
}
