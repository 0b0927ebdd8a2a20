// [authorization] of the configuration: who may submit through its accounts and
// which senders they may claim (issue 12). Only parsed here; app/authorize
// decides, and only for /etc/okuru.toml read with the group privilege.
#include <algorithm>
#include <cctype>

#include "base/log.hpp"
#include "config/config_internal.hpp"

namespace okuru::config_detail {
namespace {

std::optional<Item> find_item(const toml::table& t, std::string_view key) {
    auto it = t.find(key);
    if (it == t.end()) return std::nullopt;
    return Item{std::string(key), it->first.source(), &it->second};
}

// A login name or "@group" as the password and group databases spell them
// (useradd's portable set, plus '$' for machine accounts); existence is not
// checked, since a user may be created after the file is written.
bool valid_principal(std::string_view s) {
    if (s.starts_with("@")) s.remove_prefix(1);
    if (s.empty() || s.size() > 64 || s.front() == '-') return false;
    return std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '$';
    });
}

std::string checked_principal(const Reader& r, const toml::source_region& at, std::string name,
                              std::string_view what) {
    if (!valid_principal(name)) {
        r.fail(at, std::string(what) + " \"" + log::escape(name) +
                       "\" must be a login name (alice) or a group (@staff)");
    }
    return name;
}

}  // namespace

Authorization parse_authorization(const Reader& r, const toml::table& table) {
    r.check_keys(table, authorization_keys, "[authorization]");
    Authorization a;
    if (auto it = find_item(table, "submit_users")) {
        std::vector<std::string> users;
        // An empty array is allowed: nobody but root submits through this file.
        if (const auto* arr = it->node->as_array(); !arr || !arr->empty())
            for (std::string u : r.string_list(*it))
                users.push_back(checked_principal(r, it->at, std::move(u), "submit_users entry"));
        a.submit_users = std::move(users);
    }
    if (auto it = find_item(table, "restrict_senders")) a.restrict_senders = r.boolean(*it);
    if (auto it = find_item(table, "senders")) {
        const auto* t = it->node->as_table();
        if (!t) {
            r.fail(it->at, "senders must be a table ([authorization.senders]), not " +
                               type_name(*it->node));
        }
        if (!a.restrict_senders) {
            // Listing addresses while nothing is restricted would look like a
            // policy and be none.
            r.fail(it->at,
                   "[authorization.senders] has no effect without "
                   "restrict_senders = true in [authorization]");
        }
        for (auto&& [key, node] : *t) {
            const std::string who =
                checked_principal(r, key.source(), std::string(key.str()), "senders key");
            std::vector<std::string> patterns;
            for (const std::string& p :
                 r.string_list(Item{"senders \"" + who + "\"", key.source(), &node})) {
                auto normal = normalise_from_pattern(p);
                if (!normal) {
                    r.fail(key.source(), "senders \"" + who + "\": \"" + log::escape(p) +
                                             "\" is not an address or a pattern such as "
                                             "*@example.org");
                }
                patterns.push_back(std::move(*normal));
            }
            a.senders.emplace(who, std::move(patterns));
        }
    }
    return a;
}

}  // namespace okuru::config_detail
