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

// The password files of /etc/okuru.toml, opened while privileged (setgid
// system-wide use) and read only when their account is used, by account name:
// one secret at a time in memory, never the others (issue 12).
class Preloaded {
  public:
    // `file` was opened and checked by open_private_file.
    void add(const std::string& account, Fd file, std::string path);
    // The password of `account`, read from its file at the first call; nullptr
    // when it has no file here (it is then loaded on demand, with the user's
    // rights). Throws Error(Exit::config) as read_opened_secret.
    const Secret* password(const std::string& account) const;

  private:
    struct Opened {
        Fd file;
        std::string path;
    };
    mutable std::map<std::string, Opened> opened_;
    mutable std::map<std::string, Secret> read_;
};

// Whether `mode` reads the configuration, and so may need the group privilege.
bool reads_config(Mode mode);

// Reads the configuration and opens the -X log. With privilege only the system
// file is read privileged (any other file drops privileges first); its password
// files are opened into `preloaded` (read when used) and, when log_file is given, its log_file is
// opened into *log_file (see open_system_log_file); then privileges are dropped.
// Throws Error.
Config load(const Options& opt, Preloaded& preloaded, Fd* log_file = nullptr);

}  // namespace okuru
