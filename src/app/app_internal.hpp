// Shared by app.cpp (sending), resend.cpp, app_modes.cpp (the modes that send
// nothing) and attempt.cpp: small helpers and the mode entry points. Start-up (configuration,
// privilege, log files) is app/startup.hpp.
#pragma once

#include <string>
#include <vector>

#include "base/errors.hpp"
#include "config/cli.hpp"
#include "message/dsn.hpp"

namespace okuru::app_detail {

// "okuru: TEXT" on stderr.
void say(const std::string& text);

// -N, -R and -V of the command line: the envelope's DSN parameters of every
// message the run submits.
DsnOptions dsn_from(const Options& opt);

// This machine's names (as gethostname says, and its first label), for
// local-name qualification and the test message; empty if unknown.
std::vector<std::string> this_host_names();

void print_version();
Exit list_accounts_mode(const Options& opt);
// mailq / -bp: the messages kept after failed submissions (there is no queue).
Exit mailq_mode(const Options& opt);
// --resend-failed: every kept message, tried again (app/resend.cpp).
Exit resend_mode(const Options& opt);
// -bs: SMTP on standard input and output (app/smtp_mode.cpp).
Exit smtp_mode(const Options& opt);
// --serverinfo and --check.
Exit probe_mode(const Options& opt);
// The message --test-message sends (headers and body, LF line ends).
std::string test_message_text(const std::string& to);

}  // namespace okuru::app_detail
