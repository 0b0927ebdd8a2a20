// Diagnostics: the -v dialogue on stderr and the -X log file. Everything that
// came from the network or the message is escaped first, so a hostile server
// cannot paint the user's terminal. Secrets must never be passed here: the SMTP
// session redacts AUTH payloads before logging them.
#pragma once

#include <string>
#include <string_view>

namespace okuru::log {

// 0: errors only; 1 (-v): dialogue and TLS details; 2 (-vv): more detail.
void set_verbosity(int level);
int verbosity();

// Appends every log line to `path` as well (sendmail -X). Throws Error(cantcreat).
void open_file(const std::string& path);

// A line shown with -v (and always written to the -X file).
void info(std::string_view line);
// A line shown with -vv.
void debug(std::string_view line);
// One SMTP line: dir is '<' (from server) or '>' (to server).
void dialogue(char dir, std::string_view line);
// A warning, always shown on stderr, prefixed with "okuru: warning: ".
void warn(std::string_view line);

// Escapes control bytes (and DEL) as \xNN, keeping printable ASCII and UTF-8.
// Trailing CR LF is dropped. Used for every string that came from outside.
std::string escape(std::string_view text);

}  // namespace okuru::log
