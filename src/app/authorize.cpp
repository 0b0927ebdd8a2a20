#include "app/authorize.hpp"

#include <fnmatch.h>
#include <grp.h>
#include <unistd.h>

#include <algorithm>

#include "app/app_internal.hpp"
#include "base/errors.hpp"
#include "base/log.hpp"
#include "base/passwd.hpp"
#include "base/privilege.hpp"
#include "base/text.hpp"
#include "message/address.hpp"

namespace okuru {
namespace {

bool in_list(const std::vector<std::string>& list, const Caller& caller) {
    for (const std::string& entry : list) {
        if (entry.starts_with("@")) {
            const std::string_view group = std::string_view(entry).substr(1);
            if (std::find(caller.groups.begin(), caller.groups.end(), group) != caller.groups.end())
                return true;
        } else if (!caller.name.empty() && entry == caller.name) {
            return true;
        }
    }
    return false;
}

bool matches(const std::string& pattern, const std::string& address) {
    const std::string p = ascii_lower(pattern);
    if (p.find_first_of("*?[") != std::string::npos)
        return fnmatch(p.c_str(), address.c_str(), 0) == 0;
    return p == address;
}

// "me+news@x" -> "me@x" (RFC 5233); the address itself without a tag.
std::string untagged(const std::string& address) {
    const auto at = address.rfind('@');
    const auto plus = address.find('+');
    if (plus == std::string::npos || plus == 0 || at == std::string::npos || plus > at)
        return address;
    return address.substr(0, plus) + address.substr(at);
}

std::string who(const Caller& c) {
    return "user " + (c.name.empty() ? std::string("?") : c.name) + " (uid " +
           std::to_string(c.uid) + ")";
}

}  // namespace

Caller current_caller(uid_t uid) {
    Caller c;
    c.uid = uid;
    // No numeric fallback: the rules name users, and a number must not match one.
    const std::optional<PasswdEntry> entry = passwd_entry(c.uid);
    if (!entry || entry->name.empty())
        throw Error(Exit::nouser, "uid " + std::to_string(c.uid) + " has no user name");
    c.name = entry->name;
    // The groups the database gives the user, not the process's: a caller cannot
    // add a group by starting okuru from a process that dropped or gained one.
    const gid_t primary = entry->gid;
    int n = 32;
    std::vector<gid_t> gids(static_cast<std::size_t>(n));
    while (getgrouplist(c.name.c_str(), primary, gids.data(), &n) < 0)
        gids.resize(static_cast<std::size_t>(n));
    gids.resize(static_cast<std::size_t>(n));
    for (gid_t g : gids)
        if (const group* gr = getgrgid(g); gr && gr->gr_name) c.groups.emplace_back(gr->gr_name);
    return c;
}

bool may_submit(const Authorization& rules, const Caller& caller) {
    return !rules.submit_users || in_list(*rules.submit_users, caller);
}

bool may_claim(const Authorization& rules, const Caller& caller, std::span<const std::string> own,
               std::string_view address) {
    if (!rules.restrict_senders) return true;
    const std::string a = ascii_lower(address);
    for (const std::string& candidate : {a, untagged(a)}) {
        for (const std::string& o : own)
            if (ascii_lower(o) == candidate) return true;
        for (const auto& [key, patterns] : rules.senders) {
            if (!in_list({key}, caller)) continue;
            for (const std::string& p : patterns)
                if (matches(p, candidate)) return true;
        }
    }
    return false;
}

namespace {

void check_submit(const Config& config, const Caller& caller) {
    if (!may_submit(config.authorization, caller)) {
        throw Error(Exit::noperm, who(caller) + " may not submit mail through " +
                                      system_config_path +
                                      ": not in [authorization] submit_users (ask the "
                                      "administrator, or use a configuration of your own)");
    }
}

}  // namespace

void authorize_user(const Config& config) {
    if (!config.authorization.enforced || getuid() == 0) return;
    check_submit(config, current_caller());
}

void authorize(const Config& config, const std::vector<Submission>& plan, const std::string& sender,
               const HeaderBlock& headers, std::optional<uid_t> submitter) {
    const Authorization& rules = config.authorization;
    const uid_t uid = submitter.value_or(getuid());
    if (!rules.enforced || uid == 0) return;
    const Caller caller = current_caller(uid);
    check_submit(config, caller);
    if (!rules.restrict_senders) return;
    // Their own address: what okuru makes of the login name when no sender is
    // given (an alias of it, else @domain), and login@domain itself.
    const Qualifier qualify(config, {}, app_detail::this_host_names());
    std::vector<std::string> own{qualify.qualify_sender(caller.name)};
    if (!config.qualify_domain.empty()) own.push_back(caller.name + "@" + config.qualify_domain);
    auto refuse = [&](const std::string& address, std::string_view what) {
        throw Error(Exit::noperm, who(caller) + " may not send as " + log::escape(address) + " (" +
                                      std::string(what) + "): " + system_config_path + " allows " +
                                      log::escape(own.front()) +
                                      " and the addresses [authorization.senders] lists for "
                                      "the user");
    };
    for (const Submission& s : plan) {
        if (s.account->envelope_from.empty() && !sender.empty() &&
            !may_claim(rules, caller, own, sender))
            refuse(sender, "envelope sender");
        if (!s.account->from_header.empty()) continue;
        for (const char* field : {"From", "Sender"}) {
            for (const Header* h : headers.find_all(field)) {
                for (const Mailbox& m : parse_address_list(h->value)) {
                    const std::string address =
                        m.domain.empty() ? qualify.qualify_sender(m.local_part) : m.addr_spec();
                    if (!may_claim(rules, caller, own, address)) refuse(address, field);
                }
            }
        }
    }
}

}  // namespace okuru
