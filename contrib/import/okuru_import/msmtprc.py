"""Reading an msmtp configuration (~/.msmtprc, $XDG_CONFIG_HOME/msmtp/config,
/etc/msmtprc) into sections, as msmtp reads it.

Lines are "command argument"; '#' starts a comment only as the first
non-blank character; an argument in double quotes loses them. "defaults"
settings are copied into each account defined after them; "account A : B, C"
starts from the defaults and takes what B and C set themselves (their own
lines and what they inherited from other accounts). Settings before any
"account" line form an account called "default"."""

import re

from .inputs import read_text
from .model import EX_DATAERR, Failure, Setting


class MsmtpSection:
    def __init__(self, name, where):
        self.name = name
        self.where = where
        self.parents = []
        self.own = {}        # commands written under this account
        self.explicit = {}   # own + inherited from parent accounts (not defaults)
        self.resolved = {}   # what the account uses: defaults, parents, own


# Old spellings msmtp still reads: (command, argument) -> (command, argument).
def msmtp_modernise(cmd, arg):
    if cmd == "connect_timeout":
        return "timeout", arg
    if cmd in ("add_missing_from_header", "add_missing_date_header"):
        new = "set_from_header" if "from" in cmd else "set_date_header"
        return new, "off" if arg == "off" else "auto"
    if cmd == "keepbcc":
        return "remove_bcc_headers", "on" if arg == "off" else "off"
    if cmd == "tls_nocertcheck":
        return "tls_certcheck", "off"
    if cmd == "tls_nostarttls":
        return "tls_starttls", "off"
    return cmd, arg


def _split_line(raw):
    """(command, argument) of one line, or None for a blank or comment line."""
    line = raw[:-1] if raw.endswith("\r") else raw
    s = line.lstrip(" \t")
    if not s or s.startswith("#"):
        return None
    m = re.match(r"([^ \t]*)(.*)", s)
    cmd, arg = m.group(1), m.group(2).strip(" \t")
    if len(arg) >= 2 and arg[0] == '"' and arg[-1] == '"':
        arg = arg[1:-1]
    return msmtp_modernise(cmd, arg)


def _new_account(arg, where, accounts, defaults):
    """The section an "account NAME [: PARENT, ...]" line starts."""
    name, _, parents = arg.partition(":")
    name = name.strip()
    if len(name) >= 2 and name[0] == '"' and name[-1] == '"':
        name = name[1:-1]
    if not name or "," in name:
        raise Failure(EX_DATAERR, f'{where}: "account {arg}" has no usable name')
    if name in accounts:
        raise Failure(EX_DATAERR, f"{where}: account {name} is defined twice "
                                  "(msmtp refuses this file too)")
    section = MsmtpSection(name, where)
    section.resolved = dict(defaults.resolved)
    for parent in (p.strip().strip('"') for p in parents.split(",") if parents):
        if parent not in accounts:
            raise Failure(EX_DATAERR, f"{where}: account {name} inherits from {parent}, "
                                      "which is not defined above it")
        section.parents.append(parent)
        section.explicit.update(accounts[parent].explicit)
        section.resolved.update(accounts[parent].explicit)
    return section


def parse_msmtprc(path):
    """{name: MsmtpSection} in file order. Raises Failure as msmtp would refuse the file."""
    text = read_text(path, "msmtp configuration")
    defaults = MsmtpSection("defaults", path)
    accounts = {}
    current = None
    for no, raw in enumerate(text.split("\n"), 1):
        split = _split_line(raw)
        if split is None:
            continue
        cmd, arg = split
        where = f"{path}:{no}"
        if cmd == "defaults":
            current = defaults
            continue
        if cmd == "account":
            current = _new_account(arg, where, accounts, defaults)
            accounts[current.name] = current
            continue
        if current is None:
            current = MsmtpSection("default", where)
            current.resolved = dict(defaults.resolved)
            accounts["default"] = current
        setting = Setting(arg, where)
        current.resolved[cmd] = setting
        if current is not defaults:
            current.own[cmd] = setting
            current.explicit[cmd] = setting
    return accounts
