// Helpers for the command-line tests (test_cli.cpp, test_cli_msmtp.cpp): Options
// as Catch prints them, argv in, Options out, and the text of a usage error.
#pragma once

#include <catch2/catch.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "base/errors.hpp"
#include "config/cli.hpp"

namespace Catch {
template <>
struct StringMaker<okuru::Options> {
    static std::string convert(const okuru::Options& o) {
        std::ostringstream s;
        const auto opt = [](const std::optional<std::string>& v) {
            return v ? "\"" + *v + "\"" : std::string("-");
        };
        const auto list = [](const std::vector<std::string>& v) {
            std::string out = "[";
            for (const auto& x : v) out += "\"" + x + "\" ";
            return out + "]";
        };
        s << "{mode=" << int(o.mode) << " as=" << o.invoked_as << " t=" << o.recipients_from_headers
          << " dot=" << o.dot_ends_input << " f=" << opt(o.sender)
          << " envfrom=" << o.sender_from_header << " F=" << opt(o.full_name)
          << " N=" << opt(o.dsn_notify) << " R=" << opt(o.dsn_ret) << " V=" << opt(o.dsn_envid)
          << " B=" << opt(o.body_type) << " C=" << opt(o.config_file) << " system=" << o.system_only
          << " a=" << opt(o.account) << " X=" << opt(o.log_file) << " v=" << o.verbose
          << " pretend=" << o.pretend << " rcpt=" << list(o.recipients)
          << " ignored=" << list(o.ignored) << "}";
        return s.str();
    }
};
}  // namespace Catch

namespace okuru::test {

inline Options parse(std::vector<std::string> args) {
    return parse_command_line(args);
}

// A command line and the Options it must give.
struct Case {
    std::vector<std::string> argv;
    Options expected;
};

// Runs argv and returns the usage error text, failing the test if it parses.
inline std::string usage_error(std::vector<std::string> args) {
    try {
        parse(args);
    } catch (const Error& e) {
        CHECK(e.code() == Exit::usage);
        return e.what();
    }
    FAIL("no usage error for the command line");
    return {};
}

}  // namespace okuru::test
