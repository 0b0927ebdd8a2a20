// Finding, reading and validating the TOML configuration: the top level,
// [routes] and [aliases] here; accounts in config_account.cpp; value helpers
// in config_values.cpp.
#include "config/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/errors.hpp"
#include "base/fd.hpp"
#include "base/log.hpp"
#include "base/passwd.hpp"
#include "base/text.hpp"
#include "config/config_internal.hpp"
#include "config/secret.hpp"
#include "okuru_build.h"

namespace okuru {
namespace {

using namespace config_detail;

std::optional<Item> find_item(const toml::table& t, std::string_view key) {
    auto it = t.find(key);
    if (it == t.end()) return std::nullopt;
    return Item{std::string(key), it->first.source(), &it->second};
}

const toml::table& table_value(const Reader& r, const Item& it) {
    const auto* t = it.node->as_table();
    if (!t)
        r.fail(it.at, it.name + " must be a table ([" + it.name + "]), not " + type_name(*it.node));
    return *t;
}

bool valid_account_name(std::string_view n) {
    return !n.empty() && std::all_of(n.begin(), n.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '_' || c == '.';
    });
}

// The facilities `syslog` may name, with their <syslog.h> codes.
struct SyslogFacility {
    std::string_view name;
    int code;
};
constexpr SyslogFacility syslog_facility_table[] = {
    {"mail", LOG_MAIL},     {"user", LOG_USER},     {"daemon", LOG_DAEMON}, {"local0", LOG_LOCAL0},
    {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
    {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7}};

// `syslog = "mail"` (a facility name), or true (mail) / false (off).
std::string syslog_facility(const Reader& r, const Item& it) {
    if (it.node->is_boolean()) return r.boolean(it) ? "mail" : "";
    const std::string name = ascii_lower(r.string(it));
    if (syslog_facility_code(name)) return name;
    r.fail(it.at,
           "syslog must be false or a facility: mail, user, daemon or local0 to local7, not \"" +
               log::escape(name) + "\"");
}

// `max_age = "5d"`: a number of seconds, or a number with s, m, h, d or w, as
// Postfix writes maximal_queue_lifetime. At least an hour (shorter would give a
// message up before the backoff's second retry), at most a year.
std::chrono::seconds max_age(const Reader& r, const Item& it) {
    long long value = 0;
    long long unit = 1;
    if (const auto* i = it.node->as_integer()) {
        value = i->get();
    } else if (it.node->is_string()) {
        const std::string text = r.string(it);
        std::size_t digits = 0;
        while (digits < text.size() && digits < 9 && text[digits] >= '0' && text[digits] <= '9')
            value = value * 10 + (text[digits++] - '0');
        const std::string_view suffix = std::string_view(text).substr(digits);
        constexpr std::pair<std::string_view, long long> units[] = {
            {"", 1}, {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}, {"w", 7 * 86400}};
        unit = 0;
        for (const auto& [name, seconds] : units)
            if (suffix == name) unit = seconds;
        if (digits == 0 || unit == 0)
            r.fail(it.at, "max_age must be a number with s, m, h, d or w, like \"5d\", not \"" +
                              log::escape(text) + "\"");
    } else {
        r.fail(it.at, "max_age must be a duration like \"5d\", not " + type_name(*it.node));
    }
    const long long total = value * unit;
    if (total < 3600 || total > 366LL * 86400)
        r.fail(it.at, "max_age must be between 1 hour and 366 days");
    return std::chrono::seconds(total);
}

void read_accounts(const Reader& r, const toml::table& root, Config& c) {
    const auto accounts = find_item(root, "accounts");
    if (!accounts) {
        throw Error(Exit::config, r.source() + ": no accounts: add an [accounts.NAME] table " +
                                      "with at least host = \"...\" (see okuru.toml(5))");
    }
    const toml::table& all = table_value(r, *accounts);
    const toml::table* defaults = nullptr;
    if (auto d = find_item(root, "defaults")) {
        defaults = &table_value(r, *d);
        check_defaults(r, *defaults);
    }
    struct Parsed {
        Account account;
        toml::source_position pos;
    };
    std::vector<Parsed> parsed;
    std::optional<Item> default_item;
    for (auto&& [key, node] : all) {
        const std::string name(key.str());
        if (!valid_account_name(name)) {
            r.fail(key.source(), "account name \"" + log::escape(name) +
                                     "\" may only hold letters, digits, '-', '_' and '.'");
        }
        const auto* t = node.as_table();
        if (!t)
            r.fail(key.source(),
                   "accounts." + name + " must be a table: write [accounts." + name + "]");
        parsed.push_back({parse_account(r, name, *t, defaults), t->source().begin});
        if (auto d = find_item(*t, "default"); d && r.boolean(*d)) {
            if (default_item) {
                r.fail(d->at, "more than one account has default = true (also \"" +
                                  c.default_account + "\" at " + r.where(default_item->at) + ")");
            }
            default_item = d;
            c.default_account = name;
        }
    }
    if (parsed.empty()) throw Error(Exit::config, r.source() + ": [accounts] holds no account");
    // toml++ orders keys by name; keep the file's order, which decides ties in routing.
    std::sort(parsed.begin(), parsed.end(), [](const Parsed& a, const Parsed& b) {
        return a.pos.line != b.pos.line ? a.pos.line < b.pos.line : a.pos.column < b.pos.column;
    });
    for (auto& p : parsed) c.accounts.push_back(std::move(p.account));
    if (c.accounts.size() == 1) c.default_account = c.accounts.front().name;
}

void read_routes(const Reader& r, const Item& item, Config& c) {
    std::vector<std::string_view> names;
    for (const Account& a : c.accounts) names.push_back(a.name);
    for (auto&& [key, node] : table_value(r, item)) {
        const std::string domain = ascii_lower(key.str());
        const std::string_view bare =
            std::string_view(domain).substr(domain.starts_with("*.") ? 2 : 0);
        if (!valid_domain(bare)) {
            r.fail(key.source(), "route \"" + log::escape(key.str()) +
                                     "\" must be a domain (lan.example) or *.domain (subdomains)");
        }
        const std::string target = r.string(Item{"route \"" + domain + "\"", key.source(), &node});
        if (!c.find_account(target)) {
            std::string msg = "route \"" + domain + "\" names account \"" + log::escape(target) +
                              "\", which is not defined";
            if (auto near = closest(target, names)) msg += " (did you mean \"" + *near + "\"?)";
            r.fail(key.source(), msg);
        }
        if (!c.routes.emplace(domain, target).second)
            r.fail(key.source(), "route \"" + domain + "\" is given twice (domains ignore case)");
    }
}

void read_aliases(const Reader& r, const Item& item, Config& c) {
    for (auto&& [key, node] : table_value(r, item)) {
        const std::string name = ascii_lower(key.str());
        if (name != "*" && !valid_local(name)) {
            r.fail(key.source(), "alias \"" + log::escape(key.str()) +
                                     "\" must be a local name such as root, or \"*\"");
        }
        std::vector<std::string> targets;
        for (std::string t : r.string_list(Item{"alias \"" + name + "\"", key.source(), &node})) {
            if (t.find('@') == std::string::npos && valid_local(t)) {
                if (c.qualify_domain.empty()) {
                    r.fail(key.source(), "alias target \"" + log::escape(t) + "\" has no domain: " +
                                             "write it as " + log::escape(t) +
                                             "@example.org, or set domain = \"...\" at the top");
                }
                t += "@" + c.qualify_domain;
            }
            if (!valid_address(t)) {
                r.fail(key.source(),
                       "alias \"" + name + "\": \"" + log::escape(t) + "\" is not a valid address");
            }
            targets.push_back(std::move(t));
        }
        if (targets.empty()) r.fail(key.source(), "alias \"" + name + "\" has no target");
        if (!c.aliases.emplace(name, std::move(targets)).second)
            r.fail(key.source(), "alias \"" + name + "\" is given twice (names ignore case)");
    }
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

std::string user_config_path() {
    if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && x[0] == '/')
        return std::string(x) + "/okuru/config.toml";
    // The user's own file, found as the shell would find "~/.config" (as_given).
    const std::string home = home_directory(HomePolicy::as_given);
    return home.empty() ? std::string() : home + "/.config/okuru/config.toml";
}

bool has_inline_password(const Config& c) {
    return std::any_of(c.accounts.begin(), c.accounts.end(), [](const Account& a) {
        return a.password.kind == PasswordSource::Kind::inline_text ||
               (a.pop_before_smtp &&
                a.pop_before_smtp->password.kind == PasswordSource::Kind::inline_text);
    });
}

// The parser's own copies of inline passwords are wiped before its tree is
// freed: only the Account keeps one (wiped in turn with it, or after routing
// when its account is not used). An error thrown while reading leaves them to
// the allocator; the process then ends at once.
void wipe_inline_passwords(toml::table& root) {
    auto wipe_in = [](toml::node* table) {
        if (!table || !table->is_table()) return;
        if (auto* pw = table->as_table()->get("password"); pw && pw->is_string()) {
            std::string& text = pw->as_string()->get();
            explicit_bzero(text.data(), text.size());
        }
    };
    wipe_in(root.get("defaults"));
    if (auto* accounts = root.get("accounts"); accounts && accounts->is_table()) {
        for (auto&& [name, account] : *accounts->as_table()) {
            wipe_in(&account);
            if (account.is_table()) wipe_in(account.as_table()->get("pop_before_smtp"));
        }
    }
}

}  // namespace

std::string toml_library_version() {
    return std::to_string(TOML_LIB_MAJOR) + "." + std::to_string(TOML_LIB_MINOR) + "." +
           std::to_string(TOML_LIB_PATCH);
}

std::optional<int> syslog_facility_code(std::string_view name) {
    for (const SyslogFacility& f : syslog_facility_table)
        if (f.name == name) return f.code;
    return std::nullopt;
}

const Account* Config::find_account(std::string_view name) const {
    for (const Account& a : accounts)
        if (a.name == name) return &a;
    return nullptr;
}

std::string find_config_path(const std::optional<std::string>& cli_path) {
    if (cli_path) return *cli_path;
    if (const char* env = std::getenv("OKURU_CONFIG"); env && *env) return env;
    const std::string user = user_config_path();
    if (!user.empty() && exists(user)) return user;
    if (exists(system_config_path)) return system_config_path;
    throw Error(
        Exit::config,
        "no configuration file: looked at $OKURU_CONFIG (unset), " +
            (user.empty() ? std::string("~/.config/okuru/config.toml") : user) + " and " +
            system_config_path + ". Start from an example in " OKURU_EXAMPLESDIR "/ " +
            "(contrib/ in the source tree) and see okuru.toml(5), or give one with -C FILE");
}

Config parse_config(std::string_view text, const std::string& source) {
    return parse_config(text, source, ParseOptions{});
}

Config parse_config(std::string_view text, const std::string& source, const ParseOptions& options) {
    toml::table root;
    try {
        root = toml::parse(text, std::string_view(source));
    } catch (const toml::parse_error& e) {
        throw Error(Exit::config, source + ":" + std::to_string(e.source().begin.line) + ":" +
                                      std::to_string(e.source().begin.column) + ": " +
                                      log::escape(e.description()));
    }
    const Reader r(source, options);
    r.check_keys(root, top_keys, "the top level");
    Config c;
    c.path = source;
    if (auto it = find_item(root, "domain")) {
        c.qualify_domain = ascii_lower(r.string(*it));
        if (!valid_domain(c.qualify_domain) || c.qualify_domain.find('.') == std::string::npos)
            r.fail(it->at, "domain must be a fully-qualified domain name like example.org");
    }
    if (auto it = find_item(root, "dead_letter")) c.dead_letter = r.path(*it, false);
    if (auto it = find_item(root, "save_failed")) c.save_failed = r.boolean(*it);
    if (auto it = find_item(root, "max_age")) c.max_age = max_age(r, *it);
    if (auto it = find_item(root, "partial_delivery")) c.partial_delivery = r.boolean(*it);
    if (auto it = find_item(root, "log_file")) c.log_file = r.path(*it, false);
    if (auto it = find_item(root, "syslog")) c.syslog_facility = syslog_facility(r, *it);
    read_accounts(r, root, c);
    if (auto it = find_item(root, "routes")) read_routes(r, *it, c);
    if (auto it = find_item(root, "aliases")) read_aliases(r, *it, c);
    if (auto it = find_item(root, "authorization"))
        c.authorization = parse_authorization(r, table_value(r, *it));
    wipe_inline_passwords(root);
    return c;
}

Config load_config(const std::string& path, const Privilege& privilege) {
    // Setgid use: only the administrator's file may be read with the group privilege.
    if (privilege.held && path != system_config_path) {
        throw Error(Exit::noperm, "refusing to read " + log::escape(path) +
                                      " with okuru's group privilege (only " + system_config_path +
                                      " is read privileged)");
    }
    const Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (!fd) throw_system(Exit::noinput, "cannot read configuration " + log::escape(path), errno);
    std::string text;
    char buf[8192];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            throw_system(Exit::noinput, "cannot read configuration " + log::escape(path), errno);
        if (n == 0) break;
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > (1u << 20))
            throw Error(Exit::config,
                        log::escape(path) + ": larger than 1 MiB: not a configuration");
    }
    ParseOptions options;
    options.privileged = privilege.held;
    Config c = parse_config(text, path, options);
    std::fill(text.begin(), text.end(), '\0');  // it may hold a password
    if (has_inline_password(c)) check_private_file(path, privilege.group);
    return c;
}

}  // namespace okuru
