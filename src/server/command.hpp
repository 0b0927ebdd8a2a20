// SMTP command lines as okuru's server (-bs) reads them: the verb and its
// argument (RFC 5321 4.1.1), and the paths and parameters of MAIL and RCPT
// (RFC 5321 4.1.2, 3.3).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace okuru::server {

enum class Verb {
    helo,
    ehlo,
    mail,
    rcpt,
    data,
    rset,
    noop,
    quit,
    vrfy,
    help,
    not_offered,  // known to SMTP but not offered here (AUTH, STARTTLS, BDAT, EXPN, ...)
    unknown,
};

struct Command {
    Verb verb = Verb::unknown;
    std::string name;  // as written, for replies
    std::string arg;   // after the first space, trailing spaces removed
};

// Verbs are case-insensitive (RFC 5321 2.4).
Command parse_command(std::string_view line);

// "FROM:<path> params" or "TO:<path> params". Clients write "FROM: <a@b>"
// sometimes; the space is tolerated, as by Postfix.
struct PathArgument {
    std::string path;  // between the angle brackets, unchecked ("" for <>)
    std::vector<std::pair<std::string, std::string>> params;  // keyword upper-cased, value
};

// nullopt when the argument is not keyword ":" "<" path ">" [SP params].
std::optional<PathArgument> parse_path_argument(std::string_view arg, std::string_view keyword);

}  // namespace okuru::server
