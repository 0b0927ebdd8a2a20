#include "base/errors.hpp"

#include <cstring>
#include <exception>
#include <new>

namespace okuru {

void rethrow_with_context(const std::string& context) {
    try {
        throw;
    } catch (const std::exception& e) {
        std::throw_with_nested(Error(exit_code(e), context, cause_of(e)));
    }
}

void rethrow_with_cause(Cause cause) {
    try {
        throw;
    } catch (Error& e) {
        // The same object is rethrown: its dynamic type (and any nesting) stays.
        if (cause_of(e) == Cause::none) e.cause_ = cause;
        throw;
    }
}

std::string describe(const std::exception& e) {
    std::string out = e.what();
    try {
        std::rethrow_if_nested(e);
    } catch (const std::exception& inner) {
        std::string rest = describe(inner);
        if (!rest.empty()) out += out.empty() ? rest : ": " + rest;
    } catch (...) {
        out += ": unknown error";
    }
    return out;
}

Exit exit_code(const std::exception& e) {
    try {
        std::rethrow_if_nested(e);
    } catch (const std::exception& inner) {
        return exit_code(inner);
    } catch (...) {
        return Exit::software;
    }
    if (const auto* err = dynamic_cast<const Error*>(&e)) return err->code();
    if (dynamic_cast<const std::bad_alloc*>(&e)) return Exit::oserr;
    return Exit::software;
}

Cause cause_of(const std::exception& e) {
    try {
        std::rethrow_if_nested(e);
    } catch (const std::exception& inner) {
        if (const Cause c = cause_of(inner); c != Cause::none) return c;
    } catch (...) {
    }
    if (const auto* err = dynamic_cast<const Error*>(&e)) return err->cause();
    return Cause::none;
}

void throw_system(Exit code, const std::string& what, int err, Cause cause) {
    throw Error(code, what + ": " + std::strerror(err), cause);
}

Exit worst(Exit a, Exit b) {
    auto rank = [](Exit e) { return e == Exit::ok ? 0 : e == Exit::tempfail ? 1 : 2; };
    return rank(b) > rank(a) ? b : a;
}

}  // namespace okuru
