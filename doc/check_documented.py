#!/usr/bin/python3
"""Test helper for doc/meson.build: what a user can type must be in the manual.

  check_documented.py options PROGRAM PAGE [MINIMUM]
      every option that `PROGRAM --help` names appears in the man page PAGE;
      a help naming fewer than MINIMUM options (default 20) is taken for a
      broken one (okuru-import, which has no option list of its own)
  check_documented.py list-options OKURU PAGE
      every option that `OKURU --list-options` lists appears in PAGE
  check_documented.py keys OKURU PAGE
      every part of every key that `OKURU --list-config-keys` lists (the
      "host" and "pop_before_smtp" of "accounts.*.pop_before_smtp.host") heads
      an entry of PAGE

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


def listed(program, option, minimum):
    out = subprocess.run([program, option], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    if len(out) < minimum:
        sys.exit(f"{program} {option} lists only {out}: cannot be the real list")
    return out


def listed_options(program):
    # "-f ADDR<TAB>...", "--config=FILE<TAB>...", "-q[TIME]<TAB>...": the name
    # ends at a space, "=" or "["; an optional glued value ("-oe[VALUE]") makes
    # a family, documented when some member (-oem) or the prefix itself is.
    options = set()
    for line in listed(program, "--list-options", 40):
        spelling = line.split("\t", 1)[0]
        name = re.match(r"--?[^ =\[]+", spelling)
        if not name or "\t" not in line:
            sys.exit(f"{program} --list-options: not an option line: {line!r}")
        options.add(name.group(0) + ("*" if "[" in spelling else ""))
    return options


def config_keys(program):
    keys = set()
    for path in listed(program, "--list-config-keys", 40):
        keys.update(part for part in path.split(".") if part != "*")
    return keys


def main():
    if len(sys.argv) not in (4, 5) or sys.argv[1] not in ("options", "list-options", "keys") or \
            (len(sys.argv) == 5 and (sys.argv[1] != "options" or not sys.argv[4].isdigit())):
        sys.exit(__doc__)
    mode, source, page = sys.argv[1:4]
    text = rendered(page)
    if mode in ("options", "list-options"):
        if mode == "options":
            wanted = help_options(source, int(sys.argv[4]) if len(sys.argv) == 5 else 20)
        else:
            wanted = listed_options(source)
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
