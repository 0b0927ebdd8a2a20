"""The model as TOML text. A small writer: basic strings with escapes,
integers, booleans, arrays of strings; keys bare when TOML allows it, quoted
otherwise; notes as '#' comments. The key order comes from keys.py."""

import re
import textwrap

from .keys import ACCOUNT_KEY_ORDER, TOP_KEY_ORDER
from .model import EX_SOFTWARE, Failure

PROG = "okuru-import"

BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n",
            "\f": "\\f", "\r": "\\r"}


def toml_string(s):
    out = []
    for c in s:
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def toml_key(key):
    return key if BARE_KEY.fullmatch(key) else toml_string(key)


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return toml_string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(e) for e in v) + "]"
    raise TypeError(f"no TOML form for {type(v).__name__}")


def comment_lines(text):
    """A note as '# ...' lines: one line of text, wrapped, without control characters."""
    text = "".join(c if c.isprintable() else " " for c in text)
    lines = textwrap.wrap(text, 76, break_long_words=False, break_on_hyphens=False) or [""]
    return ["# " + lines[0]] + ["#   " + line for line in lines[1:]]


def _header(conv, today):
    out = [f"# okuru configuration written by {PROG} from {conv.source} ({conv.kind})",
           f"# on {today}. See okuru.toml(5); check it with: okuru -C THIS_FILE --check"]
    if conv.notes:
        out.append("#")
        for n in conv.notes:
            out += comment_lines(n)
    out.append("")
    return out


def _top_keys(conv):
    unknown = [k for k in conv.top if k not in TOP_KEY_ORDER]
    if unknown:
        raise ValueError(f"keys not in keys.WRITTEN: {unknown}")
    top = [k for k in TOP_KEY_ORDER if k in conv.top]
    out = [f"{k} = {toml_value(conv.top[k])}" for k in top]
    return out + [""] if top else out


def _account(conv, a):
    out = []
    for n in a.notes:
        out += comment_lines(n)
    out.append(f"[accounts.{toml_key(a.name)}]")
    values = dict(a.values)
    if conv.default == a.name and len(conv.accounts) > 1:
        values["default"] = True
    unknown = [k for k in values if k not in ACCOUNT_KEY_ORDER]
    if unknown:  # keys.py is the one list of what may be written
        raise ValueError(f"keys not in keys.WRITTEN: {unknown}")
    keys = [k for k in ACCOUNT_KEY_ORDER if k in values]
    for k in keys:
        out.append(f"{toml_key(k)} = {toml_value(values[k])}")
    for k in [k for k in ACCOUNT_KEY_ORDER if k in a.commented]:
        out.append(f"# {toml_key(k)} = {toml_value(a.commented[k])}")
    out.append("")
    return out


def _routes_and_aliases(conv):
    out = []
    if conv.routes:
        out.append("[routes]")
        for domain, account in conv.routes.items():
            out.append(f"{toml_key(domain)} = {toml_value(account)}")
        out.append("")
    if conv.aliases:
        out.append("[aliases]")
        for name, targets, _ in conv.aliases.values():
            value = targets[0] if len(targets) == 1 else targets
            out.append(f"{toml_key(name)} = {toml_value(value)}")
        out.append("")
    return out


def render(conv, today):
    out = _header(conv, today)
    out += _top_keys(conv)
    for a in conv.accounts:
        out += _account(conv, a)
    out += _routes_and_aliases(conv)
    return "\n".join(out).rstrip("\n") + "\n"


def self_check(text):
    """Re-reads the output; a failure here is a bug in this program."""
    try:
        import tomllib
    except ImportError:  # Python < 3.11: okuru itself will be the judge
        return
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise Failure(EX_SOFTWARE, f"internal error: the TOML written is not valid ({e}); "
                                   "please report this with the input file (without its passwords)")
