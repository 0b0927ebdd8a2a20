#include "app/one_secret.hpp"

#include <string.h>

#include <algorithm>

namespace okuru {
namespace {

void wipe_inline(PasswordSource& source) {
    if (source.kind != PasswordSource::Kind::inline_text) return;
    explicit_bzero(source.text.data(), source.text.size());
    source.text.clear();
}

}  // namespace

void forget_unused_secrets(Config& config, const std::vector<Submission>& plan) {
    for (Account& a : config.accounts) {
        const bool used = std::any_of(plan.begin(), plan.end(),
                                      [&a](const Submission& s) { return s.account == &a; });
        if (used) continue;
        wipe_inline(a.password);
        if (a.pop_before_smtp) wipe_inline(a.pop_before_smtp->password);
        // The Secret wipes itself with its last owner (no copy of the account
        // outlives routing).
        a.client_identity.reset();
    }
}

}  // namespace okuru
