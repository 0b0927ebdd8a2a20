"""The okuru file being built, whatever the source: accounts (values in okuru's
key names, with their comments), the top-level keys, [routes] and [aliases],
and the warnings produced while building them. Also Failure, the one error
that stops a conversion, with its sysexits(3) status."""

import os
import re

from .validate import is_loopback, valid_address, valid_local

# sysexits(3), like okuru itself.
EX_USAGE = 64
EX_DATAERR = 65
EX_NOINPUT = 66
EX_SOFTWARE = 70
EX_CANTCREAT = 73


class Failure(Exception):
    """The conversion cannot go on: a message for the user and an exit status."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class Setting:
    """One setting of a source file: its value and where it was written (FILE:LINE)."""

    def __init__(self, arg, where):
        self.arg = arg
        self.where = where


class Account:
    """One [accounts.NAME] table: values in okuru's key names, plus comments."""

    def __init__(self, name):
        self.name = name
        self.values = {}
        self.commented = {}  # keys written as comments: what to set once a file exists
        self.notes = []

    def note(self, text):
        if text not in self.notes:
            self.notes.append(text)


class Conversion:
    """The whole okuru file, and the warnings produced while building it."""

    def __init__(self, kind, source):
        self.kind = kind
        self.source = source
        self.top = {}            # domain, log_file, syslog
        self.top_where = {}
        self.accounts = []
        self.default = None      # name of the default account, if one is marked
        self.routes = {}
        self.aliases = {}        # lower-case name -> (name, [targets], where)
        self.notes = []          # comments for the top of the file
        self.warnings = []       # lines for standard error
        self._warned = set()

    # Messages. A warning goes to standard error once, and into the file as a
    # comment (in the account it concerns, else at the top).
    def warn(self, where, message, account=None):
        text = f"{where}: {message}" if where else message
        if text not in self._warned:
            self._warned.add(text)
            self.warnings.append(text)
        self.note(text, account)

    def note(self, text, account=None):
        if account is not None:
            account.note(text)
        elif text not in self.notes:
            self.notes.append(text)

    # Accounts.
    def add_account(self, wanted, where=None):
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", wanted).strip("-") or "account"
        base, n = name, 2
        while self.find(name):
            name = f"{base}-{n}"
            n += 1
        account = Account(name)
        self.accounts.append(account)
        if name != wanted:
            self.warn(where, f'account "{wanted}" is called "{name}" here (okuru account '
                             'names hold letters, digits, "-", "_" and "." only, once each): '
                             f"use -a {name}", account)
        return account

    def find(self, name):
        return next((a for a in self.accounts if a.name == name), None)

    # An account that logged in over a connection without TLS.
    def plaintext_login(self, account, where, source, what):
        """okuru never sends a password in clear unless told so: for a server on the
        loopback interface (a local bridge) it is told so, elsewhere STARTTLS is
        required. source: the program ("msmtp"); what: the sentence saying that it
        logged in without TLS."""
        host = account.values["host"]
        if is_loopback(host):
            account.values["tls"] = "none"
            account.values["insecure_allow_plaintext_auth"] = True
            self.warn(where, f"{source} logged in without TLS to {host}, on this machine (a "
                             "local bridge such as ProtonMail Bridge or DavMail): tls = \"none\" "
                             "with insecure_allow_plaintext_auth = true keeps that, since the "
                             "password does not leave the machine; okuru allows it nowhere else",
                      account)
            return
        account.values["tls"] = "starttls"
        self.warn(where, f"{what}: okuru never sends a password without TLS, so tls = "
                         '"starttls" is written (okuru --check shows whether the server offers '
                         "it)", account)

    # Keys that name a file okuru must read when it loads the configuration.
    def set_file(self, account, values, *files):
        """Writes values (e.g. ca_file and system_trust) when okuru will find every
        file they need, files being (path, where, what) triples; otherwise writes
        them as comments, with a warning, since okuru refuses a configuration
        naming a missing file. Returns whether they were written."""
        for path, where, what in files:
            full = os.path.expanduser(path) if path.startswith("~/") else path
            if not os.path.isabs(full):
                reason = ("is relative: the source program read it from its working "
                          "directory, okuru from the directory of its configuration file")
            elif not os.path.exists(full):
                reason = "does not exist here"
            else:
                continue
            account.commented.update(values)
            self.warn(where, f'{what} "{path}" {reason}: left as a comment in the account '
                             "(okuru refuses to load a missing file); put the file in place "
                             "and uncomment it" +
                      ("; until then okuru verifies the server against the system CAs"
                       if "ca_file" in values else ""), account)
            return False
        account.values.update(values)
        return True

    # Top-level keys: one value for the whole file.
    def set_top(self, key, value, where, why=""):
        if key not in self.top:
            self.top[key] = value
            self.top_where[key] = where
        elif self.top[key] != value:
            self.warn(where, f'{key} "{value}" not used{why}: okuru has one {key} for the '
                             f'whole file, and keeps "{self.top[key]}" '
                             f"(from {self.top_where[key]})")

    # [aliases]. Targets are checked again in finish(), once the domain is known.
    def add_alias(self, name, targets, where):
        if name != "*" and not valid_local(name):
            self.warn(where, f'alias "{name}" not converted: okuru aliases are local names '
                             'such as root, or "*"')
            return
        good = self._alias_targets(name, targets, where)
        if not good:
            return
        key = name.lower()
        if key in self.aliases:
            if self.aliases[key][1] != good:
                self.warn(where, f"alias {name} given again with other targets: okuru keeps "
                                 f"the first one (from {self.aliases[key][2]})")
            return
        self.aliases[key] = (name, good, where)

    def _alias_targets(self, name, targets, where):
        good = []
        for target in targets:
            target = target.strip()
            if target.startswith("<") and target.endswith(">"):
                target = target[1:-1]
            if not target:
                continue
            if "@" in target and not valid_address(target):
                self.warn(where, f'alias {name}: "{target}" is not an address okuru accepts: '
                                 "left out")
            elif "@" not in target and not valid_local(target):
                self.warn(where, f'alias {name}: "{target}" is neither an address nor a local '
                                 "name: left out")
            elif target not in good:
                good.append(target)
        return good

    def bare_senders_qualified(self):
        """Whether okuru never sends from a bare name (root, the caller's login
        name): domain or the alias "*" qualifies it, or every account replaces the
        envelope sender (envelope_from)."""
        return "domain" in self.top or "*" in self.aliases or \
            all("envelope_from" in a.values for a in self.accounts)

    # Checks that need the whole picture.
    def finish(self):
        """Leaves out values okuru would refuse, and bare alias targets without a domain."""
        for a in self.accounts:
            self._drop_refused_values(a)
        self._drop_unqualifiable_aliases()
        if not self.accounts:
            raise Failure(EX_DATAERR, f"{self.source}: nothing to convert: no relay or account "
                                      "found")

    def _drop_refused_values(self, a):
        for key, value in list(a.values.items()):
            items = value if isinstance(value, list) else [value]
            strings = [v for v in items if isinstance(v, str)]
            if any(re.search(r"[\x00-\x1f\x7f]", v) for v in strings):
                del a.values[key]
                self.warn(self.source, f"{key} of account {a.name} holds control characters, "
                                       "which okuru refuses in its configuration: left out" +
                          (" (put the password in a password_file)"
                           if key == "password" else ""), a)
            elif "" in strings and key not in ("password_command", "oauth_token_command"):
                del a.values[key]
                self.warn(self.source, f"{key} of account {a.name} is empty, which okuru "
                                       "refuses: left out", a)
        sources = [k for k in ("password", "password_command") if k in a.values]
        if sources and "user" not in a.values:
            for k in sources:
                del a.values[k]
            self.warn(self.source, f"account {a.name} has a password but no user: the "
                                   "password is left out too", a)

    def _drop_unqualifiable_aliases(self):
        domain = self.top.get("domain")
        for key in list(self.aliases):
            name, targets, where = self.aliases[key]
            kept = []
            for t in targets:
                if "@" in t or domain:
                    kept.append(t)
                else:
                    self.warn(where, f'alias {name}: target "{t}" has no domain and no domain '
                                     "is known to add to it: left out (set domain = ... and "
                                     f'add it as "{t}")')
            if kept:
                self.aliases[key] = (name, kept, where)
            else:
                del self.aliases[key]
