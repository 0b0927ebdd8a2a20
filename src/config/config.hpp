// The TOML configuration as plain structs. toml++ stays inside config.cpp:
// nothing here holds a live handle. Every error names FILE:LINE:COLUMN and
// carries Exit::config; all validation happens before any network activity.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/privilege.hpp"
#include "config/secret.hpp"
#include "net/tls.hpp"

namespace okuru {

// "3.3.0": the toml++ the loader was built with (for --version; toml++ itself
// stays inside the config_*.cpp files).
std::string toml_library_version();

struct HostPort {
    std::string host;
    std::uint16_t port = 0;  // 0: the account's port
};

struct Pop3Settings {  // POP-before-SMTP
    std::string host;
    std::uint16_t port = 995;  // 995 implicit TLS, 110 with STLS
    TlsMode tls = TlsMode::implicit;
    std::string user;         // empty: the account's user
    PasswordSource password;  // none: the account's password
};

struct Account {
    std::string name;
    std::string host;
    std::uint16_t port = 587;
    TlsMode tls = TlsMode::starttls;
    std::vector<HostPort> fallback_hosts;

    std::string user;  // empty: no AUTH
    PasswordSource password;
    std::vector<std::string> auth_mechanisms;      // empty: automatic, strongest first
    std::vector<std::string> oauth_token_command;  // XOAUTH2 / OAUTHBEARER token helper
    bool allow_plaintext_auth = false;             // key "insecure_allow_plaintext_auth"

    std::vector<std::string> from_patterns;  // "me@x", "*@x", "*@*.x"
    std::string envelope_from;               // rewrite MAIL FROM to this address
    std::string from_header;                 // rewrite the From: header address to this
    std::string ehlo_name;                   // empty: the host's FQDN, else "localhost"

    std::chrono::milliseconds connect_timeout{30'000};
    std::chrono::milliseconds command_timeout{300'000};
    // Key "deadline": one submission through this account, from the first
    // connection to the last reply, whatever the server's pace (issue 12).
    std::chrono::milliseconds deadline{1'800'000};

    std::string ca_file;       // extra trust anchors (PEM); the system store is used too
    bool system_trust = true;  // key "system_trust"; false: only ca_file
    std::string fingerprint;   // SHA-256 pin: 64 lower-case hex digits (colons removed)
    std::string tls_priority;  // GnuTLS priority string; empty: secure default
    std::string client_cert, client_key;
    // Both files (certificate chain and key, PEM), read at start-up with the group
    // privilege for an account of /etc/okuru.toml, like its password_file; shared
    // by the copies of the account, wiped with the last. Null: GnuTLS reads the
    // files when connecting, with the user's rights.
    std::shared_ptr<const Secret> client_identity;

    std::optional<Pop3Settings> pop_before_smtp;
};

// The <syslog.h> code of a facility name `syslog` accepts ("mail", "user",
// "daemon", "local0".."local7"); nullopt for any other name. The one table both
// the loader (validation) and the log (openlog) use.
std::optional<int> syslog_facility_code(std::string_view name);

// [authorization]: who may submit through the accounts of the system
// configuration, and which senders they may claim (as Postfix's
// authorized_submit_users and smtpd_sender_login_maps). Binding whenever the
// system file /etc/okuru.toml is the one read (`enforced`); a user's own file
// restricts nobody, since its secrets are the user's anyway.
struct Authorization {
    // User names and "@group" names; nullopt (the key absent): everyone.
    std::optional<std::vector<std::string>> submit_users;
    // Envelope sender and From:/Sender: limited to the user's own address and
    // what `senders` lists for the user (or a group of theirs).
    bool restrict_senders = false;
    // User name or "@group" -> addresses or shell-style patterns ("*@team.example").
    std::map<std::string, std::vector<std::string>> senders;
    // Set by start-up when the configuration read is the system file.
    bool enforced = false;
};

struct Config {
    std::string path;  // the file it came from
    std::vector<Account> accounts;
    std::string default_account;  // name; empty if none marked
    // Recipient domain (lower-case; "*.example" matches subdomains) -> account name.
    std::map<std::string, std::string> routes;
    // Local name (lower-case) -> addresses; "*" matches any local name.
    std::map<std::string, std::vector<std::string>> aliases;
    std::string qualify_domain;  // key "domain": appended to bare names; empty: none
    std::string dead_letter;     // Maildir for failed messages; empty: default location
    bool save_failed = true;     // key "save_failed"
    // Key "max_age": a kept message older than this is given up (store/retry.hpp).
    std::chrono::seconds max_age{std::chrono::hours(24 * 5)};
    std::string log_file;         // one line per submission appended here; empty: none
    std::string syslog_facility;  // "mail", "user", "daemon", "local0".."local7"; empty: off
    // key "partial_delivery": send to the recipients a server accepted when it
    // refuses others (false: all or nothing, as before issue 10).
    bool partial_delivery = true;
    Authorization authorization;

    const Account* find_account(std::string_view name) const;
};

// Where the configuration is looked up: -C, then $OKURU_CONFIG, then
// $XDG_CONFIG_HOME/okuru/config.toml (~/.config/...), then /etc/okuru.toml.
// Returns the first that exists (or the -C / $OKURU_CONFIG path as given, which
// load_config then reports if missing). Throws Error(config) if none exists.
std::string find_config_path(const std::optional<std::string>& cli_path);

struct ParseOptions {
    // Check that password_file, ca_file, client_cert and client_key exist. Off only for
    // checking example files that name placeholder paths.
    bool check_files = true;
    // Read with okuru's group privilege (the system file in setgid use): "~/" is
    // refused, as $HOME belongs to the caller.
    bool privileged = false;
};

// Parses and validates a configuration text. `source` names it in errors; relative
// paths in it are taken from its directory. Throws Error(Exit::config) as
// "SOURCE:LINE:COLUMN: message".
Config parse_config(std::string_view text, const std::string& source);
Config parse_config(std::string_view text, const std::string& source, const ParseOptions& options);

// Reads the file (Exit::noinput if missing or unreadable), parses it, and checks
// that a file holding an inline password is private to its owner (see
// check_private_file, given privilege.group). With the privilege held only the
// system file (system_config_path) may be read: anything else is refused
// (Exit::noperm) because the caller must drop privileges first. Throws Error.
Config load_config(const std::string& path, const Privilege& privilege);

}  // namespace okuru
