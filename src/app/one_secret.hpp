// One secret at a time (issue 12): once a message is routed, the inline
// passwords and client keys of the accounts it does not use are wiped, so that
// from the first connection on only the secrets of the accounts in use remain in
// memory. Password files, commands and credentials are read only when used and
// need nothing here.
#pragma once

#include <vector>

#include "config/config.hpp"
#include "config/route.hpp"

namespace okuru {

// Wipes, for every account of `config` that no submission of `plan` uses, its
// inline password (and POP-before-SMTP password) and drops its client
// certificate and key read at start-up. The accounts in `plan` keep theirs.
void forget_unused_secrets(Config& config, const std::vector<Submission>& plan);

}  // namespace okuru
