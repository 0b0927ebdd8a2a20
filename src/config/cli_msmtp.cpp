// msmtp's switches and settings on the command line (see cli_msmtp.hpp).
#include "config/cli_msmtp.hpp"

#include "base/errors.hpp"

namespace okuru {
namespace {

bool msmtp_switch(std::string_view word) {
    return word == "on" || word == "off";
}

}  // namespace

bool msmtp_tls_value(std::string_view word) {
    return parse_tls_mode(word) || msmtp_switch(word);
}

std::optional<TlsMode> MsmtpTls::tls(std::string_view value) {
    tls_on_ = value == "on";
    return value == "on"    ? std::optional(TlsMode::starttls)
           : value == "off" ? std::optional(TlsMode::none)
                            : parse_tls_mode(value);
}

bool MsmtpTls::starttls(std::string_view value) {
    if (!value.empty() && !msmtp_switch(value)) return false;
    starttls_ = value != "off";
    return true;
}

void MsmtpTls::resolve(std::optional<TlsMode>& tls) const {
    if (!starttls_) return;
    if (tls && !tls_on_ && *tls != TlsMode::none) {
        throw Error(Exit::usage, "--tls-starttls goes with --tls=on or --tls alone; --tls=" +
                                     std::string(tls_mode_name(*tls)) +
                                     " already names the TLS mode");
    }
    if (!tls || tls_on_) tls = *starttls_ ? TlsMode::starttls : TlsMode::implicit;
}

void msmtp_same_as_okuru(const OptionRow& row, std::string_view value,
                         const std::string& as_given) {
    // The row's description is "ignored: " and what okuru always does.
    if (value.empty() ? row.value == "off" : value != row.value)
        throw Error(Exit::usage, as_given + ": " + std::string(row.description.substr(9)) +
                                     "; it cannot be changed (okuru(8), MSMTP OPTIONS)");
}

void msmtp_refuse(const OptionRow& row) {
    throw Error(Exit::usage, std::string(row.name) + ": " + std::string(row.description) +
                                 " (okuru(8), MSMTP OPTIONS)");
}

}  // namespace okuru
