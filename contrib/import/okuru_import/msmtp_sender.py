"""The envelope sender msmtp used, and how the okuru file gets the same one.

msmtp sends each message with the envelope sender given by -f, else the
account's "from" (%U and friends filled in), whatever the message's From:
header says. okuru takes -f, else the From: header, else the login name of
the caller; a bare name (root, or cron's "From: root") is then qualified
once for the whole file: its own alias, else name@domain, else the alias
"*". So a message without -f and without a From: address (cron, at) gets
msmtp's sender only if the whole-file mapping (domain or "*") gives it for
the default account, and envelope_from gives it for the others.
"""

import os
import re
import socket

from .inputs import mailname
from .validate import valid_address, valid_domain, valid_fqdn

# What an account's "from" makes of a message without -f (Sender.kind):
EXACT = "exact"        # one address
USER_AT = "user_at"    # the user running msmtp @ a domain (%U@dom, auto_from + maildomain)
PATTERN = "pattern"    # a wildcard: msmtp sent the pattern itself, which is no address
NONE = "none"          # no from: msmtp refused such a message


class Sender:
    def __init__(self, kind, value=None, where=None):
        self.kind = kind
        self.value = value   # the address, the domain (USER_AT) or the pattern
        self.where = where


def msmtp_expand(value, setting, conv, account):
    """msmtp's %H %C %M substitutions, resolved now (%U is handled by the caller)."""
    if not re.search(r"%[HCM]", value):
        return value
    hostname = os.environ.get("HOSTNAME") or socket.gethostname()
    table = {"H": hostname, "C": socket.getfqdn(hostname), "M": mailname()}
    result = re.sub(r"%([HCM])", lambda m: table[m.group(1)], value)
    conv.warn(setting.where, f'"{value}" became "{result}" on this host (msmtp substitutes '
                             "%H/%C/%M each time it runs; edit it if this file is meant for "
                             "another host)", account)
    return result


def msmtp_from(setting, conv, ctx, account):
    """'from' -> okuru from patterns; returns the Sender it stands for."""
    value = msmtp_expand(setting.arg, setting, conv, account)
    where = setting.where
    if not value:
        return Sender(NONE)
    local, at, domain = value.rpartition("@")
    if local == "%U" and at and valid_fqdn(domain):
        account.values.setdefault("from", []).append(f"*@{domain.lower()}")
        ctx.domains.append((domain.lower(), where, account))
        conv.note(f'{where}: from "{value}" (the user running msmtp) became the pattern '
                  f'"*@{domain.lower()}" and domain = "{domain.lower()}", so that bare '
                  "senders such as root become root@" + domain.lower(), account)
        return Sender(USER_AT, domain.lower(), where)
    if "%" in value:
        conv.warn(where, f'from "{value}": this substitution has no okuru form: not converted',
                  account)
        return Sender(NONE)
    if not re.search(r"[*?\[]", value):
        if valid_address(value):
            account.values.setdefault("from", []).append(value)
            return Sender(EXACT, value, where)
        conv.warn(where, f'from "{value}" is not an address okuru accepts: not converted', account)
        return Sender(NONE)
    # A shell pattern: okuru understands *@domain and *@*.domain only.
    if local == "*" and at and not re.search(r"[*?\[]", domain.removeprefix("*.")) and \
            valid_domain(domain.removeprefix("*.")):
        account.values.setdefault("from", []).append(f"*@{domain.lower()}")
    else:
        conv.warn(where, f'from pattern "{value}" not converted: okuru\'s from patterns are '
                         "me@example.org, *@example.org and *@*.example.org", account)
    return Sender(PATTERN, value, where)


def _alias_first(conv, name):
    entry = conv.aliases.get(name)
    return entry[1][0] if entry else None


def _whole_file_conflict(conv, address):
    """Why '"*" = address' would not give every bare sender that address, or None."""
    if "domain" in conv.top:
        return f'domain = "{conv.top["domain"]}" qualifies bare senders first'
    star = _alias_first(conv, "*")
    if star is not None and star != address:
        return f'the alias "*" already gives bare senders {star}'
    named = [entry[0] for key, entry in conv.aliases.items()
             if key != "*" and entry[1][0] != address]
    if named:
        return f"the aliases of {', '.join(named[:3])}{' ...' if len(named) > 3 else ''} " \
               "give those senders their own addresses"
    return None


def _force(conv, account, sender, why=""):
    account.values["envelope_from"] = sender.value
    conv.warn(sender.where, f'from {sender.value}: msmtp sent every message through this account '
                            f"from {sender.value} unless -f said otherwise, so envelope_from = "
                            f'"{sender.value}" is written{why}; unlike msmtp, -f no longer '
                            "changes the envelope sender here (remove envelope_from if a "
                            "program relies on -f)", account)


def map_default(conv, account, sender):
    """The whole-file mapping for the default account (where cron's mail goes)."""
    if sender.kind == EXACT:
        conflict = _whole_file_conflict(conv, sender.value)
        if conflict:
            _force(conv, account, sender, f" ({conflict})")
        elif _alias_first(conv, "*") is None:
            conv.add_alias("*", [sender.value], sender.where)
            conv.warn(sender.where, f"from {sender.value}: a message without -f and without a "
                                    "From: address (cron, at) leaves from "
                                    f'{sender.value}, as with msmtp, through [aliases] "*" = '
                                    f'"{sender.value}"; that entry also delivers mail for a bare '
                                    f"name such as root to {sender.value}, where msmtp sent it "
                                    "on unqualified", account)
    elif sender.kind == PATTERN:
        conv.note(f"{sender.where}: msmtp sent a message without -f from the pattern "
                  f'"{sender.value}" itself, which is not an address; okuru qualifies the '
                  "sender instead (domain, or an alias)", account)


def map_other(conv, account, sender):
    """A non-default account: reached with -a (or -f), where msmtp used its own from."""
    if sender.kind == EXACT and not (_alias_first(conv, "*") == sender.value and
                                     _whole_file_conflict(conv, sender.value) is None):
        _force(conv, account, sender)
    elif sender.kind == USER_AT and conv.top.get("domain") != sender.value:
        now = f'USER@{conv.top["domain"]}' if "domain" in conv.top else \
            (_alias_first(conv, "*") or "the bare user name")
        conv.warn(sender.where, f"from %U@{sender.value}: with -a {account.name}, a message "
                                f"without -f and without a From: address leaves from {now}, "
                                f"not USER@{sender.value}: okuru has one domain for the whole "
                                "file (use -f, or a From: header)", account)


def map_senders(conv, senders, default_name):
    """senders: {okuru account name: Sender}. Adds what makes okuru send msmtp's
    sender for a message without -f and without a From: address."""
    default = conv.find(default_name) if default_name else None
    forced = {a.name for a in conv.accounts if "envelope_from" in a.values}
    if default is not None and default.name in senders and default.name not in forced:
        map_default(conv, default, senders[default.name])
    for account in conv.accounts:
        if account is not default and account.name in senders and account.name not in forced:
            map_other(conv, account, senders[account.name])
    if not conv.bare_senders_qualified():
        qualify_somehow(conv, senders, default)


def qualify_somehow(conv, senders, default):
    """Neither domain nor "*": msmtp refused a message without -f here (no from),
    but okuru would send it from an unqualified name. Take the best guess."""
    ordered = ([default] if default is not None else []) + \
        [a for a in conv.accounts if a is not default]
    for account in ordered:
        s = senders.get(account.name)
        if s is not None and s.kind == PATTERN:
            domain = s.value.rpartition("@")[2].removeprefix("*.").lower()
            if valid_fqdn(domain):
                conv.set_top("domain", domain, s.where)
                conv.warn(s.where, f'domain = "{domain}", from the pattern "{s.value}": bare '
                                   f"senders such as root become root@{domain} (msmtp sent the "
                                   "pattern itself)")
                return
    for account in ordered:
        s = senders.get(account.name)
        if s is not None and s.kind == EXACT:
            conv.add_alias("*", [s.value], s.where)
            conv.warn(s.where, f'[aliases] "*" = "{s.value}", the from of account '
                               f"{account.name}: bare senders such as root (and recipients) "
                               "need an address, and msmtp had none for a message without -f")
            return
    for account in ordered:
        user = account.values.get("user", "")
        if valid_address(user):
            conv.add_alias("*", [user], conv.source)
            conv.warn(conv.source, f'[aliases] "*" = "{user}", the login of account '
                                   f"{account.name}: no account has a from, and bare senders "
                                   "such as root (and recipients) need an address", account)
            return
    host = os.environ.get("HOSTNAME") or socket.gethostname()
    fqdn = socket.getfqdn(host).lower()
    if valid_fqdn(fqdn) and not fqdn.startswith("localhost"):
        conv.set_top("domain", fqdn, conv.source)
        conv.warn(conv.source, f'domain = "{fqdn}" (this host\'s name): no account has a from, '
                               "and bare senders such as root need a domain; set the one your "
                               "relay accepts")
        return
    conv.warn(conv.source, "no account has a from and this host has no domain name: set "
                           "domain = ... (or an alias for root), or okuru sends bare names "
                           "such as root unqualified")
