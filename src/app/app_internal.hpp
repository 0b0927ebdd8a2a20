// Shared by app.cpp (sending) and app_modes.cpp (the modes that send nothing):
// the configuration loader with its privilege handling, and the mode entry points.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/errors.hpp"
#include "base/fd.hpp"
#include "config/cli.hpp"
#include "config/config.hpp"
#include "config/secret.hpp"

namespace okuru::app_detail {

// Secrets read while privileged (setgid system-wide use), by account name.
using Preloaded = std::map<std::string, Secret>;

// "okuru: TEXT" on stderr.
void say(const std::string& text);

// This machine's names (as gethostname says, and its first label), for
// local-name qualification and the test message; empty if unknown.
std::vector<std::string> this_host_names();

// Reads the configuration (see app.cpp: only the system file is read with
// privilege, then privileges are dropped) and opens the -X log. With privilege,
// the configuration's log_file is opened into *log_file before the drop.
Config load(const Options& opt, Preloaded& preloaded, Fd* log_file = nullptr);

void print_version();
Exit list_accounts_mode(const Options& opt);
// mailq / -bp: the messages kept after failed submissions (there is no queue).
Exit mailq_mode(const Options& opt);
// --serverinfo and --check.
Exit probe_mode(const Options& opt);
// The message --test-message sends (headers and body, LF line ends).
std::string test_message_text(const std::string& to);

}  // namespace okuru::app_detail
