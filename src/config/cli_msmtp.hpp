// msmtp 1.8's own meanings on okuru's command line, for the parser (cli.cpp):
// its on/off switches, its two switches that choose the TLS mode, and its
// settings that okuru either always has or refuses, naming the okuru way. Which
// options are msmtp's is the option table's business (options_table.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/options_table.hpp"
#include "net/tls.hpp"

namespace okuru {

// Whether `word` is a value of --tls: okuru's mode word or msmtp's on/off.
// Without
// '=' the next argument is --tls's value only when it is one; "--tls" alone is
// on.
bool msmtp_tls_value(std::string_view word);

// msmtp chooses between the TLS modes with two switches: --tls (on: TLS) and
// --tls-starttls (on: STARTTLS, off: TLS from the first byte). Without --tls or
// with --tls=on, --tls-starttls chooses okuru's mode; with --tls=off there is
// no TLS to choose. okuru's own mode words already say which TLS they mean.
class MsmtpTls {
  public:
    // --tls VALUE: okuru's mode word, or msmtp's on (STARTTLS unless
    // --tls-starttls=off says otherwise, see resolve) and off. Null when it is
    // none of them.
    std::optional<TlsMode> tls(std::string_view value);

    // --tls-starttls[=on|off], no value meaning on. False for any other value.
    bool starttls(std::string_view value);

    // Applies --tls-starttls, once the whole command line is read, to `tls` (the
    // last --tls). Throws Error(Exit::usage) when --tls named a mode of its own.
    void resolve(std::optional<TlsMode>& tls) const;

  private:
    bool tls_on_ = false;           // the last --tls was msmtp's on
    std::optional<bool> starttls_;  // msmtp's --tls-starttls
};

// msmtp's setting that okuru always has (Action::same_as_okuru): without a
// value msmtp means on (auto for the header settings), which must be the row's
// value. Throws Error(Exit::usage) for any other value: it cannot be changed.
void msmtp_same_as_okuru(const OptionRow& row, std::string_view value, const std::string& as_given);

// msmtp's option with no okuru counterpart (Action::refuse): always throws
// Error(Exit::usage) with the row's description, which names the okuru way.
[[noreturn]] void msmtp_refuse(const OptionRow& row);

}  // namespace okuru
