#!/usr/bin/python3
"""Test helper for doc/meson.build: what a user can type must be in the manual.

  check_documented.py options PROGRAM PAGE [MINIMUM]
      every option that `PROGRAM --help` names appears in the man page PAGE;
      a help naming fewer than MINIMUM options (default 20, okuru's) is
      taken for a broken one
  check_documented.py keys CONFIG_VALUES_CPP PAGE
      every configuration key okuru accepts (the key lists in
      src/config/config_values.cpp) is described in the man page PAGE

PAGE is the generated roff; it is rendered with man -l first, so that font
changes and escapes do not hide a word. Exits 1 naming what is missing.
"""
import os
import re
import subprocess
import sys


def rendered(page):
    env = dict(os.environ, LC_ALL="C", MANWIDTH="200", MANPAGER="cat", PAGER="cat")
    return subprocess.run(["man", "-l", page], env=env, check=True,
                          capture_output=True, text=True).stdout


def flattened(text):
    # Words broken at a line end, and runs of spaces, must not hide a match.
    text = re.sub(r"-\n\s+", "-", text)
    return re.sub(r"\s+", " ", text)


def help_options(program, minimum):
    out = subprocess.run([program, "--help"], check=True, capture_output=True,
                         text=True).stdout
    # "-oe*" in the help stands for a family (-oem, -oep, ...): a prefix.
    options = set()
    for word, star in re.findall(r"(?<![\w-])(--?[A-Za-z0-9][\w-]*)(\*?)", out):
        options.add(word.rstrip("-") + star)
    if len(options) < minimum:
        sys.exit(f"{program} --help names only {sorted(options)}: cannot be the real help")
    return options


def config_keys(source):
    with open(source, encoding="utf-8") as f:
        text = f.read()
    keys = set()
    for name in ("top_key_list", "account_key_list", "pop_key_list"):
        m = re.search(name + r"\{(.*?)\};", text, re.S)
        if not m:
            sys.exit(f"{source}: no {name} found (has the key list moved?)")
        keys.update(re.findall(r'"([a-z_0-9]+)"', m.group(1)))
    if len(keys) < 25:
        sys.exit(f"{source}: only {sorted(keys)} found: cannot be the real key list")
    return keys


def main():
    if len(sys.argv) not in (4, 5) or sys.argv[1] not in ("options", "keys") or \
            (len(sys.argv) == 5 and (sys.argv[1] != "options" or not sys.argv[4].isdigit())):
        sys.exit(__doc__)
    mode, source, page = sys.argv[1:4]
    text = rendered(page)
    if mode == "options":
        wanted = help_options(source, int(sys.argv[4]) if len(sys.argv) == 5 else 20)
        flat = flattened(text)
        # An option is documented when it appears as a word of its own (a
        # family such as -oe* when some member or the prefix itself does).
        def found(o):
            if o.endswith("*"):
                return re.search(r"(?<![\w-])" + re.escape(o[:-1]), flat)
            return re.search(r"(?<![\w-])" + re.escape(o) + r"(?![\w-])", flat)
        missing = [o for o in sorted(wanted) if not found(o)]
    else:
        wanted = config_keys(source)
        # A key is documented when it heads an entry of a term list: a line
        # indented like a term (7 columns) that starts with the key (or with
        # [key or [key.NAME] for a table), not a mere mention in the text.
        missing = [k for k in sorted(wanted)
                   if not re.search(r"^ {7}\[?" + re.escape(k) + r"(?![\w-])", text, re.M)]
    if missing:
        print(f"{page}: not documented: {' '.join(missing)}")
        return 1
    print(f"{page}: all {len(wanted)} {mode} documented")
    return 0


if __name__ == "__main__":
    sys.exit(main())
