// The diagnostics: --serverinfo (what a server offers) and --check (does this
// account work, step by step, with a hint where it does not). Neither sends
// mail; --serverinfo never logs in. Output goes to stdout, one step per line.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/startup.hpp"
#include "base/errors.hpp"
#include "config/config.hpp"
#include "config/secret.hpp"
#include "smtp/smtp_session.hpp"

namespace okuru {

// Which server the diagnostics talk to: accounts from the configuration, or one
// named with --host (then `accounts` holds a single account built from it).
struct ProbeTargets {
    std::vector<Account> accounts;
    bool from_config = true;
    // Secrets read while privileged (setgid system-wide use), by account name.
    const Preloaded* preloaded = nullptr;
};

// An account for --host/--port/--tls: no name, no credentials, system trust. Port
// defaults to 465 with implicit TLS, else 587; TLS to implicit on port 465,
// else STARTTLS.
Account adhoc_account(const std::string& host, std::optional<std::uint16_t> port,
                      std::optional<TlsMode> tls);

// One line of the diagnostics' output: "  LABEL          TEXT" on stdout.
void print_step(std::string_view label, std::string_view text);

// --serverinfo for the first account of `targets`. Returns the exit code.
Exit serverinfo(const ProbeTargets& targets);

// --check for every account of `targets`; the worst exit code.
Exit check(const ProbeTargets& targets);

// What a failure at `step` most likely means, in one line for a user, or
// nullopt when the error says all there is. Decided on the step and the error's
// cause (cause_of), never on its text. Pure: the hints that need another
// connection (wrong TLS mode for the port) are found in diagnose.cpp.
struct HintInput {
    Step step = Step::setup;
    Cause cause = Cause::none;
    TlsMode tls = TlsMode::starttls;
    std::string host;
    std::uint16_t port = 0;
    std::string presented_fingerprint;   // of a certificate that failed verification
    bool named_on_command_line = false;  // --host, not an account's host
    // For a failed lookup: whether well-known names resolve (nullopt: not asked).
    // Tells "this machine resolves nothing right now" from "this name does not exist".
    std::optional<bool> others_resolve;
};
std::optional<std::string> hint_for(const HintInput& in);

// The diagnostics' greeting wait: a STARTTLS account on an implicit-TLS port
// hears nothing (the server waits for our ClientHello), so --check gives up
// sooner than a submission would and then looks for TLS on that port.
inline constexpr std::chrono::milliseconds diagnostic_greeting_timeout{10'000};

}  // namespace okuru
