// Qualifying bare names and choosing the account for each recipient. Pure
// functions of the configuration: no I/O.
#include "config/route.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>

#include "base/errors.hpp"
#include "base/log.hpp"
#include "base/text.hpp"

namespace okuru {
namespace {

// Domains that mean "this machine": mail to root@localhost is local mail, which the
// aliases redirect just like mail to a bare "root".
bool is_local_domain(const std::string& domain, const std::string& fallback,
                     const std::vector<std::string>& hosts) {
    return domain == "localhost" || domain == "localhost.localdomain" ||
           (!fallback.empty() && domain == fallback) ||
           std::find(hosts.begin(), hosts.end(), domain) != hosts.end();
}

const std::vector<std::string>* find_alias(const Config& c, std::string_view local, bool wildcard) {
    if (auto it = c.aliases.find(ascii_lower(local)); it != c.aliases.end()) return &it->second;
    if (wildcard)
        if (auto it = c.aliases.find("*"); it != c.aliases.end()) return &it->second;
    return nullptr;
}

// Alias targets are final (never expanded again), so aliases cannot loop. A bare
// target is qualified with the domain (the loader has done so already for files).
std::vector<std::string> targets(const std::vector<std::string>& alias, const std::string& domain) {
    std::vector<std::string> out;
    for (const std::string& t : alias)
        out.push_back(t.find('@') == std::string::npos && !domain.empty() ? t + "@" + domain : t);
    return out;
}

// Comparison key: the local part is kept, the domain ignores case (RFC 5321 2.4).
std::string dedup_key(std::string_view address) {
    const auto at = address.rfind('@');
    if (at == std::string_view::npos) return std::string(address);
    return std::string(address.substr(0, at + 1)) + ascii_lower(address.substr(at + 1));
}

struct Choice {
    const Account* account = nullptr;
    std::string reason;
};

// How specific a glob is, so that the narrowest pattern wins: first the literal
// characters of its domain ("*.work.example" counts "work.example"), then a
// domain without wildcards before one with them ("*@x" beats "*@*.x"), then the
// literal characters of its local part.
std::size_t glob_rank(std::string_view pattern) {
    const auto at = pattern.rfind('@');
    auto literal = [](std::string_view part) {
        std::size_t n = 0;
        for (std::size_t i = 0; i < part.size(); ++i) {
            if (part[i] == '*' || part[i] == '?') continue;
            if (part[i] == '.' && i > 0 && part[i - 1] == '*') continue;
            // A bracket expression is one character ("[]x]" and "[!]x]" start
            // with a literal ']'); the loader has checked that it closes.
            if (part[i] == '[') {
                const std::size_t first = i + (i + 1 < part.size() && part[i + 1] == '!' ? 2 : 1);
                i = std::min(part.find(']', first + 1), part.size());
            }
            ++n;
        }
        return n;
    };
    const std::string_view domain = pattern.substr(at + 1);
    const bool plain_domain = domain.find_first_of("*?[") == std::string_view::npos;
    return (literal(domain) * 2 + (plain_domain ? 1 : 0)) * 1024 +
           std::min<std::size_t>(literal(pattern.substr(0, at)), 1023) + 1;
}

// "me+news@x" -> "me@x" (RFC 5233 subaddress); nullopt without a tag.
std::optional<std::string> untagged(const std::string& address) {
    const auto at = address.rfind('@');
    const auto plus = address.find('+');
    if (plus == std::string::npos || plus == 0 || plus > at) return std::nullopt;
    return address.substr(0, plus) + address.substr(at);
}

// An exact address beats its +tag subaddress, which beats any glob; among globs
// the most specific wins (glob_rank). Ties go to the earlier account.
Choice match_sender(const Config& c, std::string_view sender) {
    const auto at = sender.rfind('@');
    if (sender.empty() || at == std::string_view::npos) return {};
    const std::string address = ascii_lower(sender);
    const std::optional<std::string> base = untagged(address);
    constexpr std::size_t exact = std::numeric_limits<std::size_t>::max();
    Choice best;
    std::size_t best_score = 0;
    for (const Account& a : c.accounts) {
        for (const std::string& p : a.from_patterns) {
            const std::string pattern = ascii_lower(p);
            std::size_t score = 0;
            std::string how;
            if (pattern.find_first_of("*?[") != std::string::npos) {
                if (fnmatch(pattern.c_str(), address.c_str(), 0) == 0) score = glob_rank(pattern);
            } else if (pattern == address) {
                score = exact;
            } else if (base && pattern == *base) {
                score = exact - 1;
                how = " (a +tag subaddress of it)";
            }
            if (score > best_score) {
                best_score = score;
                best = {&a, "sender " + log::escape(sender) + " matches from pattern " + p + how};
            }
        }
    }
    return best;
}

// [routes]: the exact domain, else the longest "*.suffix" that covers it.
Choice match_route(const Config& c, std::string_view recipient) {
    const auto at = recipient.rfind('@');
    if (at == std::string_view::npos) return {};
    const std::string domain = ascii_lower(recipient.substr(at + 1));
    if (auto it = c.routes.find(domain); it != c.routes.end())
        return {c.find_account(it->second),
                "recipient domain " + log::escape(domain) + " routed to " + it->second};
    for (std::size_t dot = domain.find('.'); dot != std::string::npos;
         dot = domain.find('.', dot + 1)) {
        const std::string key = "*" + domain.substr(dot);
        if (auto it = c.routes.find(key); it != c.routes.end())
            return {c.find_account(it->second), "recipient domain " + log::escape(domain) +
                                                    " matches route " + key + " to " + it->second};
    }
    return {};
}

std::string account_names(const Config& c) {
    std::string out;
    for (const Account& a : c.accounts) out += (out.empty() ? "" : ", ") + a.name;
    return out;
}

}  // namespace

const Account& forced_account(const Config& config, const std::string& name) {
    const Account* a = config.find_account(name);
    if (!a) {
        throw Error(Exit::config, "-a " + log::escape(name) + ": no such account in " +
                                      config.path + " (accounts: " + account_names(config) + ")");
    }
    return *a;
}

Qualifier::Qualifier(const Config& config, std::string local_domain_fallback,
                     std::vector<std::string> local_hosts)
    : config_(config), fallback_(ascii_lower(local_domain_fallback)) {
    for (const std::string& h : local_hosts)
        if (!h.empty()) local_hosts_.push_back(ascii_lower(h));
}

// An address at localhost (or this host) is local mail: its local part counts as a
// bare name. Returns the bare name, or nullopt for a qualified remote address.
std::optional<std::string_view> Qualifier::bare_name(std::string_view address) const {
    const auto at = address.rfind('@');
    if (at == std::string_view::npos) return address;
    if (at > 0 && is_local_domain(ascii_lower(address.substr(at + 1)), fallback_, local_hosts_))
        return address.substr(0, at);
    return std::nullopt;
}

std::vector<std::string> Qualifier::expand_recipient(std::string_view address) const {
    if (address.empty()) throw Error(Exit::dataerr, "empty recipient address");
    const auto bare = bare_name(address);
    if (!bare) return {std::string(address)};
    const std::string& domain = config_.qualify_domain;
    if (const auto* alias = find_alias(config_, *bare, true)) return targets(*alias, domain);
    if (!domain.empty()) return {std::string(*bare) + "@" + domain};
    refuse_bare("recipient", address);
}

void Qualifier::refuse_bare(std::string_view what, std::string_view address) const {
    const auto bare = bare_name(address);
    const std::string name = log::escape(bare ? *bare : address);
    throw Error(Exit::nouser,
                std::string(what) + " \"" + log::escape(address) +
                    "\" has no domain and no alias, and a relay would refuse it: add [aliases] " +
                    name + " = \"you@example.org\" (or \"*\" = ... for every local name), or " +
                    "domain = \"example.org\", to the configuration");
}

std::string Qualifier::qualify_sender(std::string_view address) const {
    const auto bare = address.empty() ? std::nullopt : bare_name(address);
    if (!bare) return std::string(address);
    const std::string& domain = config_.qualify_domain;
    // A named alias gives the person's address; for everyone else the domain is a
    // better sender than a catch-all mailbox.
    if (const auto* alias = find_alias(config_, *bare, false))
        return targets(*alias, domain).front();
    if (!domain.empty()) return std::string(*bare) + "@" + domain;
    if (const auto* alias = find_alias(config_, *bare, true))
        return targets(*alias, domain).front();
    if (!fallback_.empty()) return std::string(*bare) + "@" + fallback_;
    return std::string(address);
}

std::vector<Submission> plan_submissions(const Config& config,
                                         const std::optional<std::string>& forced_account,
                                         std::string_view sender,
                                         const std::vector<std::string>& recipients) {
    std::optional<Choice> whole;  // one account for every recipient
    if (forced_account) {
        const Account& a = okuru::forced_account(config, *forced_account);
        whole = Choice{&a, "-a " + a.name};
    } else if (Choice c = match_sender(config, sender); c.account) {
        whole = c;
    }
    const Account* fallback = config.find_account(config.default_account);

    std::vector<Submission> plan;
    std::map<std::string, std::size_t> seen;  // dedup key -> submission index
    for (const std::string& r : recipients) {
        Choice c = whole ? *whole : match_route(config, r);
        if (!c.account && fallback) c = {fallback, "default account"};
        if (!c.account) {
            throw Error(Exit::config,
                        "no account for recipient " + log::escape(r) + ": the sender " +
                            (sender.empty() ? std::string("<>") : log::escape(sender)) +
                            " matches no from pattern, no [routes] entry covers its domain, " +
                            "and no account has default = true (or use -a NAME)");
        }
        auto it = std::find_if(plan.begin(), plan.end(),
                               [&](const Submission& s) { return s.account == c.account; });
        if (it == plan.end()) {
            plan.push_back({c.account, {}, std::move(c.reason)});
            it = plan.end() - 1;
        }
        const std::size_t index = std::size_t(it - plan.begin());
        if (seen.emplace(dedup_key(r), index).second) it->recipients.push_back(r);
    }
    return plan;
}

}  // namespace okuru
