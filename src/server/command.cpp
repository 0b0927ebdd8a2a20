#include "server/command.hpp"

#include <array>

#include "base/text.hpp"

namespace okuru::server {

Command parse_command(std::string_view line) {
    Command c;
    const auto sp = line.find(' ');
    c.name = std::string(line.substr(0, sp));
    if (sp != std::string_view::npos) c.arg = std::string(trim(line.substr(sp + 1)));
    const std::string verb = ascii_upper(c.name);
    static const std::array<std::pair<const char*, Verb>, 10> verbs{{
        {"HELO", Verb::helo},
        {"EHLO", Verb::ehlo},
        {"MAIL", Verb::mail},
        {"RCPT", Verb::rcpt},
        {"DATA", Verb::data},
        {"RSET", Verb::rset},
        {"NOOP", Verb::noop},
        {"QUIT", Verb::quit},
        {"VRFY", Verb::vrfy},
        {"HELP", Verb::help},
    }};
    for (const auto& [name, v] : verbs)
        if (verb == name) c.verb = v;
    // RFC 5321 4.1.3-4.1.5, RFC 3207, RFC 4954, RFC 3030, RFC 1985: commands a
    // client may try but that this server does not offer (502, not 500).
    static const std::array<const char*, 6> not_offered{"AUTH", "STARTTLS", "BDAT",
                                                        "EXPN", "ETRN",     "TURN"};
    for (const char* name : not_offered)
        if (verb == name) c.verb = Verb::not_offered;
    return c;
}

std::optional<PathArgument> parse_path_argument(std::string_view arg, std::string_view keyword) {
    if (arg.size() < keyword.size() || !ascii_iequals(arg.substr(0, keyword.size()), keyword))
        return std::nullopt;
    arg.remove_prefix(keyword.size());
    arg = trim(arg);
    if (arg.empty() || arg.front() != '<') return std::nullopt;
    // The path ends at the '>' outside a quoted local part (RFC 5321 4.1.2).
    bool quoted = false;
    std::size_t end = 1;
    for (; end < arg.size(); ++end) {
        const char c = arg[end];
        if (c == '\\' && quoted) {
            ++end;
        } else if (c == '"') {
            quoted = !quoted;
        } else if (c == '>' && !quoted) {
            break;
        }
    }
    if (end >= arg.size()) return std::nullopt;
    PathArgument out;
    out.path = std::string(arg.substr(1, end - 1));
    std::string_view rest = arg.substr(end + 1);
    if (!rest.empty() && rest.front() != ' ') return std::nullopt;
    // esmtp-param = esmtp-keyword ["=" esmtp-value], separated by spaces (4.1.2).
    while (!(rest = trim(rest)).empty()) {
        const auto sp = rest.find(' ');
        const std::string_view param = rest.substr(0, sp);
        rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp);
        const auto eq = param.find('=');
        out.params.emplace_back(ascii_upper(param.substr(0, eq)),
                                eq == std::string_view::npos ? "" : param.substr(eq + 1));
    }
    // A source route (<@a,@b:c@d>) is accepted and ignored (RFC 5321 4.1.2, C).
    if (!out.path.empty() && out.path.front() == '@') {
        const auto colon = out.path.find(':');
        if (colon == std::string::npos) return std::nullopt;
        out.path.erase(0, colon + 1);
    }
    return out;
}

}  // namespace okuru::server
