// Which account serves which recipients, and how bare names are qualified.
// Order (documented in okuru(8)): -a; the envelope sender against each
// account's `from` patterns (exact address beats domain, longest domain wins);
// recipient-domain [routes]; the default account.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace okuru {

// Aliases first, then the configured domain. Alias targets are final (never
// expanded again), so aliases cannot loop. Addresses at localhost (or at
// `local_domain_fallback`, e.g. this host's FQDN, or at one of `local_hosts`, the
// machine's other names that qualify nothing) count as bare names. The
// fallback domain qualifies senders only, never recipients (mail to
// root@this-host handed to an ISP would be lost).
class Qualifier {
  public:
    Qualifier(const Config& config, std::string local_domain_fallback = {},
              std::vector<std::string> local_hosts = {});
    // Expands one address: "root" -> alias targets; "user" -> "user@domain";
    // "a@b" -> itself. Throws Error(Exit::nouser) for a bare name with no alias and no
    // domain ("recipient "root" has no domain: add [aliases] root = ... or domain = ...").
    std::vector<std::string> expand_recipient(std::string_view address) const;
    // A sender is qualified but never fanned out: its own alias's first target, else
    // @domain, else the "*" alias's first target, else @fallback; else unchanged
    // (never throws: an account's envelope_from may still make it acceptable).
    std::string qualify_sender(std::string_view address) const;

    // Throws the error of a bare name with no alias and no domain; `what` is
    // "recipient" or "sender".
    [[noreturn]] void refuse_bare(std::string_view what, std::string_view address) const;

  private:
    std::optional<std::string_view> bare_name(std::string_view address) const;
    const Config& config_;
    std::string fallback_;
    std::vector<std::string> local_hosts_;  // lower-case
};

struct Submission {
    const Account* account = nullptr;
    std::vector<std::string> recipients;  // qualified, de-duplicated, in order
    std::string reason;                   // why this account ("-a", "from pattern *@x", ...)
};

// The account named with -a. Throws Error(Exit::config) naming the accounts there are.
const Account& forced_account(const Config& config, const std::string& name);

// Splits recipients over accounts. `sender` is the qualified envelope sender.
// Throws Error(Exit::config) if -a names no account or nothing matches and there is no
// default account.
std::vector<Submission> plan_submissions(const Config& config,
                                         const std::optional<std::string>& forced_account,
                                         std::string_view sender,
                                         const std::vector<std::string>& recipients);

}  // namespace okuru
