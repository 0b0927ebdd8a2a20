#include "message/dsn.hpp"

#include "base/text.hpp"

namespace okuru {

bool wants_failure_notice(const DsnOptions& dsn) {
    return !dsn.notify || ascii_upper(*dsn.notify).find("FAILURE") != std::string::npos;
}

}  // namespace okuru
