// The key tables. A key that holds a table says which keys that table accepts,
// so one walk over the tables lists every path (config_key_paths) and the
// loader reads the same names (config_detail::top_keys and friends).
#include "config/config_keys.hpp"

#include <array>
#include <cstddef>
#include <span>
#include <string_view>

#include "config/config_internal.hpp"

namespace okuru {
namespace {

// What a key holds: a value, or a table of further keys.
enum class Holds {
    value,
    account,         // the keys of an account ([defaults] takes them too)
    named_accounts,  // [accounts.NAME], each an account
    pop,             // the keys of pop_before_smtp
    named_values,    // NAME = value: [routes], [aliases]
    authorization,   // the keys of [authorization]
};

struct Key {
    std::string_view name;
    Holds holds = Holds::value;
    bool in_defaults = true;  // account keys only: may be set in [defaults]
};

constexpr auto top_key_table = std::to_array<Key>({
    {"domain"},
    {"dead_letter"},
    {"save_failed"},
    {"max_age"},
    {"log_file"},
    {"syslog"},
    {"partial_delivery"},
    {"defaults", Holds::account},
    {"accounts", Holds::named_accounts},
    {"routes", Holds::named_values},
    {"aliases", Holds::named_values},
    {"authorization", Holds::authorization},
});

constexpr auto account_key_table = std::to_array<Key>({
    {"default", Holds::value, false},
    {"host"},
    {"port"},
    {"tls"},
    {"fallback"},
    {"user"},
    {"password"},
    {"password_command"},
    {"password_file"},
    {"password_credential"},
    {"auth"},
    {"oauth_token_command"},
    {"from"},
    {"envelope_from"},
    {"from_header"},
    {"ehlo"},
    {"connect_timeout"},
    {"timeout"},
    {"deadline"},
    {"ca_file"},
    {"system_trust"},
    {"fingerprint"},
    {"tls_priority"},
    {"client_cert"},
    {"client_key"},
    {"insecure_allow_plaintext_auth"},
    {"pop_before_smtp", Holds::pop},
});

constexpr auto pop_key_table = std::to_array<Key>({
    {"host"},
    {"port"},
    {"tls"},
    {"user"},
    {"password"},
    {"password_command"},
    {"password_file"},
    {"password_credential"},
});

// Who may submit through the system configuration, and as whom (issue 12).
constexpr auto authorization_key_table = std::to_array<Key>({
    {"submit_users"},
    {"restrict_senders"},
    {"senders", Holds::named_values},
});

// The names alone, for the loader's key checks and suggestions.
template <std::size_t N>
constexpr std::array<std::string_view, N> names_of(const std::array<Key, N>& keys) {
    std::array<std::string_view, N> out;
    for (std::size_t i = 0; i < N; ++i) out[i] = keys[i].name;
    return out;
}

constexpr auto top_key_names = names_of(top_key_table);
constexpr auto account_key_names = names_of(account_key_table);
constexpr auto pop_key_names = names_of(pop_key_table);
constexpr auto authorization_key_names = names_of(authorization_key_table);

void add_paths(std::vector<std::string>& out, const std::string& prefix, std::span<const Key> keys,
               bool in_defaults) {
    for (const Key& k : keys) {
        if (in_defaults && !k.in_defaults) continue;
        const std::string path = prefix + std::string(k.name);
        switch (k.holds) {
            case Holds::value:
                out.push_back(path);
                break;
            case Holds::account:
                add_paths(out, path + ".", account_key_table, true);
                break;
            case Holds::named_accounts:
                add_paths(out, path + ".*.", account_key_table, false);
                break;
            case Holds::pop:
                add_paths(out, path + ".", pop_key_table, false);
                break;
            case Holds::named_values:
                out.push_back(path + ".*");
                break;
            case Holds::authorization:
                add_paths(out, path + ".", authorization_key_table, false);
                break;
        }
    }
}

}  // namespace

namespace config_detail {
const std::span<const std::string_view> top_keys{top_key_names};
const std::span<const std::string_view> account_keys{account_key_names};
const std::span<const std::string_view> pop_keys{pop_key_names};
const std::span<const std::string_view> authorization_keys{authorization_key_names};
}  // namespace config_detail

std::vector<std::string> config_key_paths() {
    std::vector<std::string> out;
    add_paths(out, "", top_key_table, false);
    return out;
}

}  // namespace okuru
