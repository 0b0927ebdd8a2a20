#include <catch2/catch.hpp>
#include <tuple>

#include "base/errors.hpp"

using okuru::Cause;
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

TEST_CASE("errors - the innermost known cause survives context") {
    try {
        try {
            try {
                throw Error(Exit::tempfail, "cannot connect to x:587: Connection refused",
                            Cause::refused);
            } catch (...) {
                okuru::rethrow_with_context("account isp");
            }
        } catch (...) {
            okuru::rethrow_with_context("while sending");
        }
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(okuru::cause_of(e) == Cause::refused);
        CHECK(e.cause() == Cause::refused);  // the context carries it too, like the code
        CHECK(okuru::exit_code(e) == Exit::tempfail);
    }
    CHECK(okuru::cause_of(Error(Exit::tempfail, "x")) == Cause::none);
    CHECK(okuru::cause_of(std::runtime_error("x")) == Cause::none);
}

TEST_CASE("errors - rethrow_with_cause tags without touching text, code or nesting") {
    auto tagged = [](auto thrower) {
        try {
            try {
                thrower();
            } catch (...) {
                okuru::rethrow_with_cause(Cause::oauth_token_failed);
            }
        } catch (const std::exception& e) {
            return std::tuple(okuru::cause_of(e), okuru::exit_code(e), okuru::describe(e));
        }
        FAIL("no exception");
        return std::tuple(Cause::none, Exit::ok, std::string());
    };
    CHECK(tagged([] { throw Error(Exit::config, "token: no output"); }) ==
          std::tuple(Cause::oauth_token_failed, Exit::config, std::string("token: no output")));
    // A nested chain keeps its words; the cause is found through it.
    CHECK(tagged([] {
              try {
                  throw Error(Exit::tempfail, "exit status 1");
              } catch (...) {
                  okuru::rethrow_with_context("token command");
              }
          }) == std::tuple(Cause::oauth_token_failed, Exit::tempfail,
                           std::string("token command: exit status 1")));
    // The thrower's own cause wins over the caller's guess.
    CHECK(std::get<0>(tagged([] { throw Error(Exit::tempfail, "t", Cause::timed_out); })) ==
          Cause::timed_out);
    // Foreign exceptions pass unchanged.
    CHECK(std::get<2>(tagged([] { throw std::runtime_error("foreign"); })) == "foreign");
}
