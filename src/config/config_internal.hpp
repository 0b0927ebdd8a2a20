// Shared by the config_*.cpp files only: the toml++ reading helpers that turn
// nodes into plain values and report FILE:LINE:COLUMN errors. Nothing outside
// the configuration loader includes this (toml++ must not leak out).
#pragma once

#include <toml++/toml.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace okuru::config_detail {

// One key = value pair: errors about the value point at the key.
struct Item {
    std::string name;
    toml::source_region at;  // of the key
    const toml::node* node;
};

// Where the text came from and how strictly to check it.
class Reader {
  public:
    Reader(std::string source, const ParseOptions& options);

    const std::string& source() const { return source_; }
    const ParseOptions& options() const { return options_; }

    // "SOURCE:LINE:COLUMN" of a region.
    std::string where(const toml::source_region& at) const;
    // Throws Error(Exit::config, "SOURCE:LINE:COLUMN: message").
    [[noreturn]] void fail(const toml::source_region& at, const std::string& message) const;

    // Rejects keys of `table` that are not in `known`, suggesting the closest one or
    // saying where a key that belongs in another table goes.
    void check_keys(const toml::table& table, std::span<const std::string_view> known,
                    std::string_view table_name) const;

    // Typed accessors; they throw with the item's name and location.
    std::string string(const Item& it, bool allow_empty = false) const;
    bool boolean(const Item& it) const;
    std::uint16_t port(const Item& it) const;
    std::chrono::milliseconds seconds(const Item& it) const;
    // A string or an array of strings (each non-empty).
    std::vector<std::string> string_list(const Item& it) const;
    // A non-empty array of strings: a command run without a shell ("~/" expanded at
    // the start of each element).
    std::vector<std::string> argv(const Item& it) const;
    // A path: "~/" expanded with $HOME, relative paths taken from the config's directory;
    // `must_exist` checks it (unless the options say not to).
    std::string path(const Item& it, bool must_exist) const;
    std::string expand_path(std::string p) const;

  private:
    std::string source_;
    std::string base_dir_;
    ParseOptions options_;
};

// "a string", "an integer", ... for messages.
std::string type_name(const toml::node& n);
// Optimal string alignment distance (Levenshtein plus transpositions).
std::size_t edit_distance(std::string_view a, std::string_view b);
// The closest candidate worth suggesting, if any.
std::optional<std::string> closest(std::string_view key,
                                   std::span<const std::string_view> candidates);

// The keys each kind of table accepts.
extern const std::span<const std::string_view> top_keys;
extern const std::span<const std::string_view> account_keys;
extern const std::span<const std::string_view> pop_keys;
extern const std::span<const std::string_view> authorization_keys;

// Syntax checks for values (no DNS, no network).
bool valid_domain(std::string_view s);
bool valid_host(std::string_view s);
// "host \"X\" is not a valid host name", with the fix for a "name:port" value.
std::string invalid_host_message(std::string_view host);
// local@domain with nothing that could not appear in an SMTP path.
bool valid_address(std::string_view s);
// A local name for [aliases] and bare alias targets.
bool valid_local(std::string_view s);
// "addr@dom", "*@dom", "*@*.dom"; returns the normalised form (domain lower-cased).
std::optional<std::string> normalise_from_pattern(std::string_view s);
// "host", "host:port", "[v6]:port", bare IPv6; nullopt when malformed.
std::optional<HostPort> parse_host_port(std::string_view s);

// Parses one [accounts.NAME] table with [defaults] (may be null) inherited.
Account parse_account(const Reader& r, const std::string& name, const toml::table& table,
                      const toml::table* defaults);
// Validates [defaults] on its own (keys and types), so its errors point at it.
void check_defaults(const Reader& r, const toml::table& defaults);

// [authorization] (config_authorization.cpp): who may submit, as whom.
Authorization parse_authorization(const Reader& r, const toml::table& table);

}  // namespace okuru::config_detail
