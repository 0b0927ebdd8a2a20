// Start-up: finding and reading the configuration, the group privilege of
// setgid system-wide use (kept only while the system file and its secrets are
// read, then dropped for good), and the two log files (-X, and the
// configuration's log_file where only the privilege can open it).
#pragma once

#include <map>
#include <string>

#include "base/fd.hpp"
#include "config/cli.hpp"
#include "config/config.hpp"
#include "config/secret.hpp"

namespace okuru {

// Secrets read while privileged (setgid system-wide use), by account name.
using Preloaded = std::map<std::string, Secret>;

// The preloaded password of `account`; nullptr when there is none (it is then
// loaded on demand, with the user's rights).
const Secret* preloaded_for(const Preloaded& preloaded, const Account& account);

// Whether `mode` reads the configuration, and so may need the group privilege.
bool reads_config(Mode mode);

// Reads the configuration and opens the -X log. With privilege only the system
// file is read privileged (any other file drops privileges first); its password
// files are read into `preloaded` and, when log_file is given, its log_file is
// opened into *log_file (see open_system_log_file); then privileges are dropped.
// Throws Error.
Config load(const Options& opt, Preloaded& preloaded, Fd* log_file = nullptr);

}  // namespace okuru
