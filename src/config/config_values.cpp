// Typed reading of TOML values for the configuration loader, and the "did you
// mean" suggestions for misspelt keys.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "base/errors.hpp"
#include "base/log.hpp"
#include "base/passwd.hpp"
#include "base/text.hpp"
#include "config/config_internal.hpp"

namespace okuru::config_detail {
namespace {

bool contains(std::span<const std::string_view> list, std::string_view key) {
    return std::find(list.begin(), list.end(), key) != list.end();
}

// "~/" as the shell expands it (HomePolicy::as_given): the path is the user's own.
std::string home_dir() {
    if (std::string home = home_directory(HomePolicy::as_given); !home.empty()) return home;
    throw Error(Exit::config, "cannot expand \"~/\": $HOME is not set");
}

bool is_ctl_or_space(unsigned char c) {
    return c <= 0x20 || c == 0x7f;
}

}  // namespace

Reader::Reader(std::string source, const ParseOptions& options)
    : source_(std::move(source)), options_(options) {
    const auto slash = source_.rfind('/');
    if (slash != std::string::npos) base_dir_ = source_.substr(0, slash + 1);
}

std::string Reader::where(const toml::source_region& at) const {
    return source_ + ":" + std::to_string(at.begin.line) + ":" + std::to_string(at.begin.column);
}

void Reader::fail(const toml::source_region& at, const std::string& message) const {
    throw Error(Exit::config, where(at) + ": " + message);
}

void Reader::check_keys(const toml::table& table, std::span<const std::string_view> known,
                        std::string_view table_name) const {
    for (auto&& [key, node] : table) {
        const std::string_view k = key.str();
        if (contains(known, k)) continue;
        std::string msg = "unknown key \"" + log::escape(k) + "\" in " + std::string(table_name);
        if (auto near = closest(k, known)) {
            msg += " (did you mean \"" + *near + "\"?)";
        } else if (known.data() == top_keys.data() && contains(account_keys, k)) {
            msg += " (account settings go in [accounts.NAME], or in [defaults] for all accounts)";
        } else if (known.data() != top_keys.data() && contains(top_keys, k)) {
            msg +=
                " (\"" + std::string(k) + "\" belongs at the top of the file, before any [table])";
        } else if (known.data() == pop_keys.data() && contains(account_keys, k)) {
            msg += " (pop_before_smtp accepts only: host, port, tls, user, password*)";
        }
        fail(key.source(), msg);
    }
}

std::string Reader::string(const Item& it, bool allow_empty) const {
    const auto* s = it.node->as_string();
    if (!s) fail(it.at, it.name + " must be a string, not " + type_name(*it.node));
    const std::string& v = s->get();
    if (v.empty() && !allow_empty) fail(it.at, it.name + " must not be empty");
    if (std::any_of(v.begin(), v.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
        fail(it.at, it.name + " must not contain control characters");
    return v;
}

bool Reader::boolean(const Item& it) const {
    const auto* b = it.node->as_boolean();
    if (!b) fail(it.at, it.name + " must be true or false, not " + type_name(*it.node));
    return b->get();
}

std::uint16_t Reader::port(const Item& it) const {
    const auto* i = it.node->as_integer();
    if (!i || i->get() < 1 || i->get() > 65535) {
        std::string got = i ? std::to_string(i->get()) : type_name(*it.node);
        fail(it.at, it.name + " must be an integer 1-65535, not " + got);
    }
    return static_cast<std::uint16_t>(i->get());
}

std::chrono::milliseconds Reader::seconds(const Item& it) const {
    double v = 0;
    if (const auto* i = it.node->as_integer()) {
        v = static_cast<double>(i->get());
    } else if (const auto* f = it.node->as_floating_point()) {
        v = f->get();
    } else {
        fail(it.at, it.name + " must be a number of seconds, not " + type_name(*it.node));
    }
    // A day is far beyond any sensible SMTP timeout and keeps the arithmetic exact.
    if (!std::isfinite(v) || v <= 0 || v > 86400)
        fail(it.at, it.name + " must be a number of seconds greater than 0 (at most 86400)");
    return std::chrono::milliseconds(std::max<long long>(1, std::llround(v * 1000)));
}

std::vector<std::string> Reader::string_list(const Item& it) const {
    if (it.node->is_string()) return {string(it)};
    const auto* a = it.node->as_array();
    if (!a)
        fail(it.at,
             it.name + " must be a string or an array of strings, not " + type_name(*it.node));
    std::vector<std::string> out;
    for (const toml::node& e : *a) {
        const auto* s = e.as_string();
        if (!s || s->get().empty())
            fail(e.source(), it.name + " entries must be non-empty strings");
        out.push_back(string(Item{it.name, e.source(), &e}));
    }
    return out;
}

std::vector<std::string> Reader::argv(const Item& it) const {
    const auto* a = it.node->as_array();
    if (!a || a->empty()) {
        fail(it.at, it.name + " must be a non-empty array of strings (a command and its " +
                        "arguments, run without a shell), e.g. [\"pass\", \"show\", \"mail\"]");
    }
    std::vector<std::string> out;
    for (const toml::node& e : *a) {
        if (!e.is_string()) fail(e.source(), it.name + " entries must be strings");
        out.push_back(string(Item{it.name, e.source(), &e}, !out.empty()));
    }
    // No shell, so "~/" is expanded here: in the program and in any argument.
    for (std::string& a : out) a = expand_path(std::move(a));
    return out;
}

std::string Reader::expand_path(std::string p) const {
    if (p.starts_with("~/")) return home_dir() + p.substr(1);
    return p;
}

std::string Reader::path(const Item& it, bool must_exist) const {
    std::string p = string(it);
    if (p == "~" || (p.starts_with("~") && !p.starts_with("~/")))
        fail(it.at, it.name + ": only \"~/\" is expanded (write the full path)");
    // With setgid privilege (only the system file is read so) $HOME belongs to the
    // caller, who could point a privileged read or open anywhere the group reaches.
    if (p.starts_with("~/") && options_.privileged) {
        fail(it.at, it.name +
                        ": \"~/\" cannot be used in a configuration read with okuru's "
                        "group privilege (setgid system-wide use): write the full path");
    }
    p = expand_path(std::move(p));
    if (p.front() != '/' && !base_dir_.empty()) p = base_dir_ + p;
    struct stat st {};
    if (must_exist && options_.check_files && ::stat(p.c_str(), &st) != 0) {
        fail(it.at, it.name + " \"" + log::escape(p) + "\": " + std::strerror(errno));
    }
    return p;
}

std::string type_name(const toml::node& n) {
    switch (n.type()) {
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a float";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::table:
            return "a table";
        default:
            return "a date/time";
    }
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    const std::size_t n = a.size(), m = b.size();
    std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
    for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[n][m];
}

std::optional<std::string> closest(std::string_view key,
                                   std::span<const std::string_view> candidates) {
    const std::string k = ascii_lower(key);
    // Short keys tolerate one slip, longer ones two: beyond that a guess misleads.
    const std::size_t limit = k.size() <= 3 ? 1 : 2;
    std::optional<std::string> best;
    std::size_t best_d = limit + 1;
    for (std::string_view c : candidates) {
        std::size_t d = edit_distance(k, c);
        // "pass" for "password", "tls_prio" for "tls_priority": a clear prefix.
        if (d > limit && k.size() >= 4 && c.starts_with(k)) d = limit;
        if (d < best_d && d < k.size()) {  // "b" is not a misspelling of "a"
            best_d = d;
            best = std::string(c);
        }
    }
    return best;
}

bool valid_domain(std::string_view s) {
    if (s.empty() || s.size() > 253 || s.front() == '.' || s.back() == '.') return false;
    if (s.find("..") != std::string_view::npos) return false;
    return std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c >= 0x80;
    });
}

bool valid_host(std::string_view s) {
    if (valid_domain(s)) return true;
    // An IPv6 literal: hex digits, colons and dots (an embedded IPv4 address),
    // optionally followed by a zone ("%eth0"). "smtp.example.org:587" is not one.
    if (s.find(':') == std::string_view::npos) return false;
    const std::string_view address = s.substr(0, s.find('%'));
    const std::string_view zone = s.substr(address.size());
    return std::all_of(address.begin(), address.end(),
                       [](unsigned char c) { return std::isxdigit(c) || c == ':' || c == '.'; }) &&
           std::all_of(zone.begin(), zone.end(), [](unsigned char c) {
               return std::isalnum(c) || c == '%' || c == '-' || c == '_' || c == '.';
           });
}

std::string invalid_host_message(std::string_view host) {
    std::string msg = "host \"" + log::escape(host) + "\" is not a valid host name";
    const auto colon = host.rfind(':');
    if (colon != std::string_view::npos && colon + 1 < host.size() && host.find(':') == colon &&
        valid_domain(host.substr(0, colon)) &&
        std::all_of(host.begin() + colon + 1, host.end(),
                    [](unsigned char c) { return std::isdigit(c); })) {
        msg += ": give the port on its own (host = \"" + log::escape(host.substr(0, colon)) +
               "\" and port = " + std::string(host.substr(colon + 1)) + ")";
    }
    return msg;
}

bool valid_local(std::string_view s) {
    if (s.empty() || s.size() > 64 || s.front() == '-') return false;
    return std::none_of(s.begin(), s.end(), [](unsigned char c) {
        return is_ctl_or_space(c) || c == '<' || c == '>' || c == '@' || c == ',' || c == '"';
    });
}

bool valid_address(std::string_view s) {
    const auto at = s.rfind('@');
    if (at == std::string_view::npos || s.size() > 256) return false;
    return valid_local(s.substr(0, at)) && valid_domain(s.substr(at + 1));
}

std::optional<std::string> normalise_from_pattern(std::string_view s) {
    const auto at = s.rfind('@');
    if (at == std::string_view::npos) return std::nullopt;
    const std::string_view local = s.substr(0, at);
    const std::string_view domain = s.substr(at + 1);
    if (s.find_first_of("*?[") == std::string_view::npos) {
        if (!valid_address(s)) return std::nullopt;
        return std::string(local) + "@" + ascii_lower(domain);
    }
    // A shell-style glob (fnmatch(3) syntax, as msmtp's from patterns): each side
    // of the '@' must be a glob over characters an address may hold, and brackets
    // must close, so that a typo is refused here rather than never matching.
    auto glob_ok = [](std::string_view part, auto&& literal_ok) {
        if (part.empty()) return false;
        bool in_bracket = false;
        for (std::size_t i = 0; i < part.size(); ++i) {
            const char c = part[i];
            if (in_bracket) {
                if (c == ']' && part[i - 1] != '[' && !(part[i - 1] == '!' && part[i - 2] == '['))
                    in_bracket = false;
                else if (is_ctl_or_space(static_cast<unsigned char>(c)))
                    return false;
            } else if (c == '[') {
                in_bracket = true;
            } else if (c != '*' && c != '?' && !literal_ok(static_cast<unsigned char>(c))) {
                return false;
            }
        }
        return !in_bracket;
    };
    const bool local_ok = glob_ok(local, [](unsigned char c) {
        return !is_ctl_or_space(c) && c != '<' && c != '>' && c != '@' && c != ',' && c != '"';
    });
    const bool domain_ok = glob_ok(domain, [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c >= 0x80;
    });
    if (!local_ok || !domain_ok) return std::nullopt;
    return std::string(local) + "@" + ascii_lower(domain);
}

std::optional<HostPort> parse_host_port(std::string_view s) {
    HostPort hp;
    std::string_view port;
    if (s.starts_with("[")) {
        const auto close = s.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        hp.host = std::string(s.substr(1, close - 1));
        const std::string_view rest = s.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return std::nullopt;
            port = rest.substr(1);
            if (port.empty()) return std::nullopt;
        }
        if (hp.host.find(':') == std::string::npos) return std::nullopt;
    } else if (std::count(s.begin(), s.end(), ':') == 1) {
        const auto colon = s.find(':');
        hp.host = std::string(s.substr(0, colon));
        port = s.substr(colon + 1);
        if (port.empty()) return std::nullopt;
    } else {
        hp.host = std::string(s);  // a name, or a bare IPv6 address without a port
    }
    if (!valid_host(hp.host)) return std::nullopt;
    if (!port.empty()) {
        unsigned value = 0;
        for (char c : port) {
            if (c < '0' || c > '9' || value > 65535) return std::nullopt;
            value = value * 10 + unsigned(c - '0');
        }
        if (value < 1 || value > 65535) return std::nullopt;
        hp.port = static_cast<std::uint16_t>(value);
    }
    return hp;
}

}  // namespace okuru::config_detail
