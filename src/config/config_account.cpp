// One [accounts.NAME] table (with [defaults] inherited) -> Account, with every
// check that can be made before a connection: ports, TLS modes, password
// sources, patterns, files, and the plaintext-password guard.
#include <algorithm>
#include <array>
#include <cctype>
#include <map>

#include "base/errors.hpp"
#include "base/log.hpp"
#include "config/config_internal.hpp"

namespace okuru::config_detail {
namespace {

using Items = std::map<std::string, Item, std::less<>>;

// The four ways to give a password (also keys of pop_before_smtp, config_keys.cpp).
constexpr auto password_keys = std::to_array<std::string_view>(
    {"password", "password_command", "password_file", "password_credential"});

bool is_password_key(std::string_view k) {
    return std::find(password_keys.begin(), password_keys.end(), k) != password_keys.end();
}

bool has_password_key(const toml::table& t) {
    return std::any_of(password_keys.begin(), password_keys.end(),
                       [&](std::string_view k) { return t.contains(k); });
}

void add_items(Items& items, const toml::table& t, bool skip_passwords) {
    for (auto&& [key, node] : t) {
        if (skip_passwords && is_password_key(key.str())) continue;
        items.insert_or_assign(std::string(key.str()),
                               Item{std::string(key.str()), key.source(), &node});
    }
}

// Account keys override [defaults]; a password source in the account replaces the
// one in [defaults] as a whole, whichever key spells it.
Items merged(const toml::table* defaults, const toml::table& account) {
    Items items;
    if (defaults) add_items(items, *defaults, has_password_key(account));
    add_items(items, account, false);
    return items;
}

const Item* get(const Items& items, std::string_view key) {
    auto it = items.find(key);
    return it == items.end() ? nullptr : &it->second;
}

TlsMode tls_mode(const Reader& r, const Item& it) {
    const std::string v = r.string(it);
    if (auto mode = parse_tls_mode(v)) return *mode;
    std::array<std::string_view, all_tls_modes.size()> modes;
    std::string msg = "tls must be";
    for (std::size_t i = 0; i < modes.size(); ++i) {
        modes[i] = tls_mode_name(all_tls_modes[i]);
        msg += std::string(i == 0                  ? " \""
                           : i + 1 == modes.size() ? "\" or \""
                                                   : "\", \"") +
               std::string(modes[i]);
    }
    msg += "\", not \"" + log::escape(v) + "\"";
    if (auto near = closest(v, modes)) msg += " (did you mean \"" + *near + "\"?)";
    if (v == "ssl" || v == "tls" || v == "smtps") msg += " (port 465 is \"implicit\")";
    r.fail(it.at, msg);
}

// The password sources of one table (the account's merged items, or a POP table).
PasswordSource password_source(const Reader& r, const Items& items) {
    const Item* found = nullptr;
    for (std::string_view k : password_keys) {
        const Item* it = get(items, k);
        if (!it) continue;
        if (found) {
            r.fail(it->at, "only one password source may be given, but both " + found->name + " (" +
                               r.where(found->at) + ") and " + it->name + " are set");
        }
        found = it;
    }
    PasswordSource p;
    if (!found) return p;
    if (found->name == "password") {
        p.kind = PasswordSource::Kind::inline_text;
        p.text = r.string(*found);
    } else if (found->name == "password_command") {
        p.kind = PasswordSource::Kind::command;
        p.argv = r.argv(*found);
    } else if (found->name == "password_file") {
        p.kind = PasswordSource::Kind::file;
        p.text = r.path(*found, true);
    } else {
        p.kind = PasswordSource::Kind::credential;
        p.text = r.string(*found);
        if (p.text.find('/') != std::string::npos || p.text == "." || p.text == "..")
            r.fail(found->at, "password_credential is a credential name, not a path");
    }
    return p;
}

void refuse_plaintext(const Reader& r, const Item& tls_item, const std::string& who) {
    r.fail(tls_item.at, who + " would send a password without TLS (tls = \"none\"), where " +
                            "anyone on the network path can read it. Use tls = \"starttls\" " +
                            "or \"implicit\"; only for a trusted LAN server, add " +
                            "insecure_allow_plaintext_auth = true");
}

Pop3Settings pop_settings(const Reader& r, const Item& item, const Account& a) {
    const auto* t = item.node->as_table();
    if (!t) r.fail(item.at, "pop_before_smtp must be a table, not " + type_name(*item.node));
    r.check_keys(*t, pop_keys, "[accounts." + a.name + ".pop_before_smtp]");
    Items items;
    add_items(items, *t, false);
    Pop3Settings pop;
    const Item* host = get(items, "host");
    if (!host) r.fail(item.at, "pop_before_smtp needs a host");
    pop.host = r.string(*host);
    if (!valid_host(pop.host)) r.fail(host->at, invalid_host_message(pop.host));
    if (const Item* p = get(items, "port")) pop.port = r.port(*p);
    pop.tls = pop.port == 995 ? TlsMode::implicit : TlsMode::starttls;
    if (const Item* tls = get(items, "tls")) {
        pop.tls = tls_mode(r, *tls);
        // RFC 2595 and RFC 8314: USER/PASS travel only over TLS. No LAN override
        // here: a POP-before-SMTP server is the ISP's, never a trusted LAN host.
        if (pop.tls == TlsMode::none) {
            r.fail(tls->at, "POP-before-SMTP for account \"" + a.name +
                                "\" would send the POP3 password without TLS: tls = \"none\" is "
                                "not supported here; use \"implicit\" (port 995) or "
                                "\"starttls\" (port 110)");
        }
    }
    if (const Item* u = get(items, "user")) pop.user = r.string(*u);
    pop.password = password_source(r, items);
    if (pop.user.empty() && a.user.empty())
        r.fail(item.at, "pop_before_smtp needs a user (here or in the account)");
    return pop;
}

std::string address_value(const Reader& r, const Item& it) {
    std::string v = r.string(it);
    if (!valid_address(v))
        r.fail(it.at,
               it.name + " must be an address like me@example.org, not \"" + log::escape(v) + "\"");
    return v;
}

// The same rules as the TLS layer's (normalize_fingerprint), with the error
// pointing at the key.
std::string fingerprint_value(const Reader& r, const Item& it) {
    try {
        return normalize_fingerprint(r.string(it));
    } catch (const Error&) {
        r.fail(it.at,
               "fingerprint must be the SHA-256 of the server certificate: 64 hex " +
                   std::string("digits, colons optional (gnutls-cli --print-cert shows it)"));
    }
}

void read_tls_settings(const Reader& r, const Items& items, Account& a) {
    if (const Item* it = get(items, "ca_file")) a.ca_file = r.path(*it, true);
    if (const Item* it = get(items, "system_trust")) a.system_trust = r.boolean(*it);
    if (const Item* it = get(items, "fingerprint")) a.fingerprint = fingerprint_value(r, *it);
    if (const Item* it = get(items, "tls_priority")) a.tls_priority = r.string(*it);
    const Item* cert = get(items, "client_cert");
    const Item* key = get(items, "client_key");
    if (cert) a.client_cert = r.path(*cert, true);
    if (key) {
        if (!cert) r.fail(key->at, "client_key needs client_cert");
        a.client_key = r.path(*key, true);
    } else {
        a.client_key = a.client_cert;  // one PEM file holding both
    }
    const Item* trust = get(items, "system_trust");
    if (!a.system_trust && a.ca_file.empty() && a.fingerprint.empty())
        r.fail(trust->at, "system_trust = false leaves nothing to verify the server " +
                              std::string("against: set ca_file or fingerprint"));
}

}  // namespace

void check_defaults(const Reader& r, const toml::table& defaults) {
    r.check_keys(defaults, account_keys, "[defaults]");
    for (auto&& [key, node] : defaults)
        if (key.str() == "default")
            r.fail(key.source(), "\"default\" cannot be set in [defaults]: mark one account");
}

Account parse_account(const Reader& r, const std::string& name, const toml::table& table,
                      const toml::table* defaults) {
    const std::string label = "[accounts." + name + "]";
    r.check_keys(table, account_keys, label);
    const Items items = merged(defaults, table);
    Account a;
    a.name = name;

    const Item* host = get(items, "host");
    if (!host)
        r.fail(table.source(),
               "account \"" + name + "\" has no host: add host = \"smtp.example.org\"");
    a.host = r.string(*host);
    if (a.host.size() > 2 && a.host.front() == '[' && a.host.back() == ']')
        a.host = a.host.substr(1, a.host.size() - 2);
    if (!valid_host(a.host)) r.fail(host->at, invalid_host_message(a.host));

    if (const Item* it = get(items, "port")) a.port = r.port(*it);
    // RFC 8314 3.3: 465 is implicit TLS; anything else (587, 25, ...) uses STARTTLS.
    a.tls = a.port == 465 ? TlsMode::implicit : TlsMode::starttls;
    const Item* tls = get(items, "tls");
    if (tls) a.tls = tls_mode(r, *tls);

    if (const Item* it = get(items, "fallback")) {
        const auto* arr = it->node->as_array();
        for (const std::string& f : r.string_list(*it)) {
            auto hp = parse_host_port(f);
            if (!hp) {
                r.fail(arr ? arr->get(a.fallback_hosts.size())->source() : it->at,
                       "fallback entry \"" + log::escape(f) +
                           "\" must be \"host\", \"host:port\" or \"[ipv6]:port\"");
            }
            a.fallback_hosts.push_back(*hp);
        }
    }

    if (const Item* it = get(items, "user")) a.user = r.string(*it);
    if (const Item* it = get(items, "insecure_allow_plaintext_auth"))
        a.allow_plaintext_auth = r.boolean(*it);
    a.password = password_source(r, items);
    if (const Item* it = get(items, "oauth_token_command")) a.oauth_token_command = r.argv(*it);
    if (a.user.empty() && has_password_key(table)) {
        r.fail(table.source(), "account \"" + name + "\" has a password but no user: add " +
                                   "user = \"login name\"");
    }
    if (a.user.empty() && !a.oauth_token_command.empty())
        r.fail(get(items, "oauth_token_command")->at, "oauth_token_command needs user = ...");
    if (a.tls == TlsMode::none && !a.user.empty() && !a.allow_plaintext_auth)
        refuse_plaintext(r, *tls, "account \"" + name + "\"");

    if (const Item* it = get(items, "auth")) {
        a.auth_mechanisms = r.string_list(*it);
        for (std::string& m : a.auth_mechanisms) {
            for (char& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            // RFC 4422 3.1: 1-20 characters from A-Z 0-9 - _
            const bool ok =
                m.size() <= 20 && std::all_of(m.begin(), m.end(), [](char c) {
                    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
                });
            if (!ok)
                r.fail(it->at, "auth: \"" + log::escape(m) + "\" is not a SASL mechanism name");
        }
    }

    if (const Item* it = get(items, "from")) {
        const auto* arr = it->node->as_array();
        std::size_t i = 0;
        for (const std::string& p : r.string_list(*it)) {
            auto norm = normalise_from_pattern(p);
            if (!norm) {
                r.fail(
                    arr ? arr->get(i)->source() : it->at,
                    "from pattern \"" + log::escape(p) +
                        "\" must be an address (me@example.org) or a glob over one (*@example.org, "
                        "*@*.example.org, list-*@example.org)");
            }
            a.from_patterns.push_back(*norm);
            ++i;
        }
    }
    if (const Item* it = get(items, "envelope_from")) a.envelope_from = address_value(r, *it);
    if (const Item* it = get(items, "from_header")) a.from_header = address_value(r, *it);
    if (const Item* it = get(items, "ehlo")) {
        a.ehlo_name = r.string(*it);
        const bool literal = a.ehlo_name.front() == '[' && a.ehlo_name.back() == ']';
        if (!literal && !valid_domain(a.ehlo_name))
            r.fail(it->at, "ehlo must be a domain name or an address literal like [192.0.2.1]");
    }
    if (const Item* it = get(items, "connect_timeout")) a.connect_timeout = r.seconds(*it);
    if (const Item* it = get(items, "timeout")) a.command_timeout = r.seconds(*it);
    if (const Item* it = get(items, "deadline")) a.deadline = r.seconds(*it);
    read_tls_settings(r, items, a);
    if (const Item* it = get(items, "pop_before_smtp")) a.pop_before_smtp = pop_settings(r, *it, a);
    return a;
}

}  // namespace okuru::config_detail
