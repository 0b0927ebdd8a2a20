"""Reading a Postfix configuration: main.cf parameters (with $name expansion),
next-hop destinations, and the text files behind lookup tables (what postmap
reads: sasl_passwd, sender-dependent relays, transport, aliases).

main.cf lines are "name = value"; a line starting with blanks continues the
previous one; '#' starts a comment only as the first non-blank character.
$name, ${name} and $(name) expand other parameters."""

import os
import re
import socket

from .inputs import read_text
from .model import EX_DATAERR, Failure
from .validate import valid_host


class PostfixParams:
    def __init__(self, path):
        self.path = path
        self.config_directory = os.path.dirname(path) or "."
        self.raw = {}      # name -> (value, line)
        self.used = set()
        self.bad_lines = []
        text = read_text(path, "Postfix main.cf")
        current = None
        for no, line in enumerate(text.split("\n"), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line[0] in " \t":
                if current is not None:
                    value, first = self.raw[current]
                    self.raw[current] = ((value + " " + line.strip()).strip(), first)
                continue
            name, eq, value = line.partition("=")
            if not eq:
                self.bad_lines.append(no)
                current = None
                continue
            current = name.strip()
            self.raw[current] = (value.strip(), no)
        self._hostname = None

    def where(self, name):
        return f"{self.path}:{self.raw[name][1]}" if name in self.raw else self.path

    def has(self, name):
        return name in self.raw

    def hostname(self):
        if self._hostname is None:
            self._hostname = socket.getfqdn()
        return self._hostname

    def builtin(self, name):
        if name == "myhostname":
            return self.hostname()
        if name == "mydomain":
            host = self.lookup("myhostname")
            return host.split(".", 1)[1] if "." in host else host
        if name == "config_directory":
            return self.config_directory
        return {"mail_name": "Postfix", "data_directory": "/var/lib/postfix",
                "queue_directory": "/var/spool/postfix"}.get(name, "")

    def lookup(self, name, depth=0):
        if name in self.raw:
            self.used.add(name)
            return self.expand(self.raw[name][0], depth + 1)
        return self.builtin(name)

    def expand(self, text, depth=0):
        if depth > 20:
            raise Failure(EX_DATAERR, f"{self.path}: parameters refer to each other in a loop")

        def one(m):
            if m.group(1):
                name, op, arg = m.group(1), m.group(2), m.group(3) or ""
                value = self.lookup(name, depth)
                if arg.startswith("{") and arg.endswith("}"):
                    arg = arg[1:-1]
                if op == "?":
                    return self.expand(arg, depth + 1) if value else ""
                if op == ":":
                    return "" if value else self.expand(arg, depth + 1)
                return value
            return self.lookup(m.group(4) or m.group(5), depth)

        return re.sub(r"\$(?:\{(\w+)(?:([?:])(\{[^}]*\}|[^}]*))?\}|\((\w+)\)|(\w+))", one, text)

    def get(self, name, default=""):
        """The expanded value, or the (expanded) default when the file does not set it."""
        if name in self.raw:
            return self.lookup(name)
        return self.expand(default)

    def yes(self, name, default="no"):
        return self.get(name, default).strip().lower() == "yes"


POSTFIX_SERVICES = {"smtp": 25, "submission": 587, "submissions": 465, "smtps": 465}


class Nexthop:
    """One Postfix next-hop destination: [host]:port, host:port, [host], host."""

    def __init__(self, text, where):
        self.text = text
        text = text.strip()
        m = re.fullmatch(r"\[([^\]]+)\](?::(\S+))?", text)
        if m:
            host, port, self.mx = m.group(1), m.group(2), False
            if host.lower().startswith("ipv6:"):
                host = host[5:]
        elif text.count(":") == 1:
            host, port = text.split(":")
            self.mx = True
        else:
            host, port, self.mx = text, None, True
        if not valid_host(host):
            raise Failure(EX_DATAERR, f'{where}: "{self.text}": "{host}" is not a host name')
        self.host = host
        self.explicit_port = port is not None
        if port is None:
            self.port = 25
        elif port.isdigit() and 0 < int(port) < 65536:
            self.port = int(port)
        elif port in POSTFIX_SERVICES:
            self.port = POSTFIX_SERVICES[port]
        else:
            raise Failure(EX_DATAERR, f'{where}: "{self.text}": unknown port "{port}"')

    def lookup_keys(self):
        """sasl_passwd keys for this next hop: as written first, then the other spellings."""
        keys = [self.text.strip(), f"[{self.host}]:{self.port}", f"[{self.host}]",
                f"{self.host}:{self.port}", self.host]
        return list(dict.fromkeys(k.lower() for k in keys))

    def okuru_form(self):
        """For okuru's fallback list: host, host:port, [v6]:port."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def split_list(value):
    """A Postfix list: items separated by blanks and commas, where {braces} group
    an item that holds either (Postfix 3.0 and later); the braces are kept."""
    items, current, depth = [], "", 0
    for c in value:
        if c == "{":
            depth += 1
        elif c == "}" and depth:
            depth -= 1
        elif depth == 0 and (c.isspace() or c == ","):
            if current:
                items.append(current)
            current = ""
            continue
        current += c
    if current:
        items.append(current)
    return items


def unbrace(text):
    """'{ text }' -> 'text' (Postfix's grouping); anything else unchanged."""
    text = text.strip()
    return text[1:-1].strip() if text.startswith("{") and text.endswith("}") else text


def postfix_duration(text):
    m = re.fullmatch(r"(\d+)([smhdw]?)", text.strip())
    if not m:
        return None
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[m.group(2)]
    return int(m.group(1)) * unit


class PostfixTables:
    """Postfix lookup tables, in order: the text forms of file tables (what postmap
    reads), and the tables written in main.cf itself (inline:, static:). Their
    contents never appear in a message: they may hold passwords."""

    TEXT_TYPES = {"hash", "btree", "lmdb", "cdb", "dbm", "sdbm", "texthash"}

    def __init__(self, conv, params):
        self.conv = conv
        self.params = params
        self.relocated = set()
        self.fallbacks = {}  # param -> (value, where) of its static: table

    def local_path(self, path):
        # Converting a copy of another machine's /etc/postfix: read the tables
        # from the directory main.cf came from.
        cfg = self.params.config_directory
        if os.path.abspath(cfg) != "/etc/postfix" and path.startswith("/etc/postfix/"):
            if not self.relocated:
                self.relocated.add(path)
                self.conv.note(f"tables named under /etc/postfix were read from {cfg} "
                               "instead (the directory of main.cf)")
            return os.path.join(cfg, path[len("/etc/postfix/"):])
        return path

    def load(self, param, default="", aliases=False, static_ok=False):
        """Entries (key, value, where) of every table the parameter names; the first
        table with a key wins. A static: table answers every key: with static_ok
        its value is kept in fallbacks[param] (else it is reported), and the
        tables after it are never consulted."""
        entries = {}
        where = self.params.where(param)
        for spec in split_list(self.params.get(param, default)):
            kind, colon, name = spec.partition(":")
            if kind == "proxy":
                kind, colon, name = name.partition(":")
            if kind == "static" and colon:
                if static_ok:
                    self.fallbacks[param] = (unbrace(name), where)
                else:
                    self.conv.warn(where, f"{param}: a static: table (one answer for every "
                                          "key) not converted: okuru has no counterpart")
                break
            if kind == "inline" and colon:
                rows = self.inline_entries(param, name, where)
            elif colon and kind in self.TEXT_TYPES:
                rows = self.file_entries(param, spec, name, where, aliases)
            else:
                shown = f"{kind}:{name}" if name.startswith("/") else f"{kind}:"
                self.conv.warn(where, f'{param}: table "{shown}" not read (only inline:, '
                                      "static: and the text files behind hash:, lmdb:, btree:, "
                                      "cdb: ... tables can be converted)")
                continue
            for key, value, here in rows:
                entries.setdefault(key.lower(), (key, value, here))
        return list(entries.values())

    def file_entries(self, param, spec, name, where, aliases):
        path = self.local_path(name)
        if not self.params.has(param) and not os.path.exists(path):
            # Postfix's built-in default (e.g. /etc/aliases) on a machine, or in a
            # copied directory, that has no such file: nothing to convert.
            self.conv.warn(where, f'{param}: default table "{spec}" not found; skipped')
            return []
        text = read_text(path, f"the table named by {param}")
        return list(parse_aliases(text, path) if aliases else parse_table(text, path))

    def inline_entries(self, param, text, where):
        """inline:{ key=value, { key = value with blanks } } (Postfix 3.0)."""
        rows = []
        for n, item in enumerate(split_list(unbrace(text)), 1):
            key, eq, value = unbrace(item).partition("=")
            if not eq or not key.strip():
                self.conv.warn(where, f"{param}: entry {n} of the inline: table is not "
                                      "key=value: left out")
                continue
            rows.append((key.strip(), value.strip(), where))
        return rows


def logical_lines(text, path):
    """Postfix table lines: blank and '#' lines skipped, indented lines continue."""
    current = None
    for no, line in enumerate(text.split("\n"), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t" and current is not None:
            current = (current[0] + " " + line.strip(), current[1])
            continue
        if current is not None:
            yield current
        current = (line.strip(), f"{path}:{no}")
    if current is not None:
        yield current


def parse_table(text, path):
    for line, where in logical_lines(text, path):
        key, value = (re.split(r"\s+", line, maxsplit=1) + [""])[:2]
        yield key, value.strip(), where


def parse_aliases(text, path):
    for line, where in logical_lines(text, path):
        key, colon, value = line.partition(":")
        if colon:
            yield key.strip(), value.strip(), where
