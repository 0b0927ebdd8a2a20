"""The command line: which file to read and in which format, where the result
goes (a new private file, or standard output), the summary on standard error,
and the exit status."""

import argparse
import datetime
import os
import re
import sys
import tempfile

from .model import EX_CANTCREAT, EX_NOINPUT, EX_USAGE, Failure
from .msmtp import convert_msmtp
from .postfix import convert_postfix
from .ssmtp import convert_ssmtp
from .toml_writer import PROG, render, self_check

CONVERTERS = {"msmtp": convert_msmtp, "ssmtp": convert_ssmtp, "postfix": convert_postfix}


def default_locations():
    home = os.path.expanduser("~")
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    return [(os.path.join(home, ".msmtprc"), "msmtp"),
            (os.path.join(xdg, "msmtp", "config"), "msmtp"),
            ("/etc/msmtprc", "msmtp"),
            ("/etc/ssmtp/ssmtp.conf", "ssmtp"),
            ("/etc/postfix/main.cf", "postfix")]


def detect(path):
    base = os.path.basename(path).lower()
    if base == "main.cf":
        return "postfix"
    if base == "ssmtp.conf":
        return "ssmtp"
    if "msmtp" in path.lower():
        return "msmtp"
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read(1 << 20)
    except OSError as e:
        raise Failure(EX_NOINPUT, f"cannot read {path}: {e.strerror}")
    if re.search(r"(?mi)^\s*(mailhub|authuser|rewritedomain|fromlineoverride)\s*=", text):
        return "ssmtp"
    if re.search(r"(?m)^(relayhost|smtpd?_\w+|myhostname|mydestination|inet_interfaces)\s*=", text):
        return "postfix"
    if re.search(r"(?m)^\s*(account|defaults|host)(\s|$)", text):
        return "msmtp"
    raise Failure(EX_USAGE, f"{path}: cannot tell whether this is an msmtp, ssmtp or Postfix "
                            "file: say which with --from")


def locate(args):
    """(path, kind) of the file to convert."""
    if args.postfix_dir:
        if args.kind not in (None, "postfix"):
            raise Failure(EX_USAGE, "--postfix-dir goes with --from postfix only")
        if args.file:
            raise Failure(EX_USAGE, "give either FILE or --postfix-dir, not both")
        return os.path.join(args.postfix_dir, "main.cf"), "postfix"
    if args.file:
        if os.path.isdir(args.file):
            main_cf = os.path.join(args.file, "main.cf")
            if args.kind in (None, "postfix") and os.path.exists(main_cf):
                return main_cf, "postfix"
            raise Failure(EX_USAGE, f"{args.file} is a directory: give the file to convert")
        if not os.path.exists(args.file):
            raise Failure(EX_NOINPUT, f"{args.file}: no such file")
        return args.file, args.kind or detect(args.file)
    tried = []
    for path, kind in default_locations():
        if args.kind and kind != args.kind:
            continue
        tried.append(path)
        if os.path.exists(path):
            return path, kind
    raise Failure(EX_NOINPUT, "nothing to convert: none of " + ", ".join(tried) +
                              " exists (give the file to convert)")


def write_output(text, path, force):
    if path is None or path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        if force:
            _replace_private(text, path)
        else:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                os.fchmod(f.fileno(), 0o600)
                f.write(text)
    except FileExistsError:
        raise Failure(EX_CANTCREAT, f"{path} exists: not overwritten (--force replaces it)")
    except OSError as e:
        raise Failure(EX_CANTCREAT, f"cannot write {path}: {e.strerror}")


def _replace_private(text, path):
    """A new private file renamed over the old one: never a moment when the
    passwords are in a file others may read."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".okuru-import-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EX_USAGE, f"{self.prog}: {message}\n")


def parse_args(argv):
    p = ArgumentParser(
        prog=PROG,
        description="Convert an msmtp, ssmtp or Postfix (relayhost) configuration into an "
                    "okuru configuration file (okuru.toml(5)). Without FILE, the first that "
                    "exists of ~/.msmtprc, $XDG_CONFIG_HOME/msmtp/config, /etc/msmtprc, "
                    "/etc/ssmtp/ssmtp.conf and /etc/postfix/main.cf is read. Whatever cannot "
                    "be converted is reported on standard error (FILE:LINE: ...) and as a "
                    "comment in the output.",
        epilog="Exit status: 0 converted (warnings or not), 64 usage, 65 the input cannot "
               "be converted, 66 the input cannot be read, 73 OUT exists or cannot be "
               "written, 70 internal error.")
    p.add_argument("--from", dest="kind", choices=sorted(CONVERTERS),
                   help="the format of FILE (default: guessed from its name and contents)")
    p.add_argument("--postfix-dir", metavar="DIR",
                   help="read DIR/main.cf, and the tables under /etc/postfix from DIR")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="write to OUT, created with mode 0600 (default: standard output)")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    p.add_argument("file", nargs="?", metavar="FILE", help="the file to convert")
    return p.parse_args(argv)


def print_warnings(conv):
    if conv is not None:
        for w in conv.warnings:
            print(f"{PROG}: warning: {w}", file=sys.stderr)


def summary(conv, path, kind, output):
    names = ", ".join(a.name for a in conv.accounts)
    target = output if output and output != "-" else "standard output"
    n, w = len(conv.accounts), len(conv.warnings)
    print(f"{PROG}: converted {path} ({kind}) to {target}: {n} "
          f"account{'s' if n != 1 else ''} ({names}), "
          f"{w} warning{'s' if w != 1 else ''}", file=sys.stderr)
    if any("password" in a.values for a in conv.accounts) and target == "standard output":
        print(f"{PROG}: the output holds a password: okuru reads it only from a private file "
              "(chmod 600); -o FILE creates one", file=sys.stderr)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    conv = None
    try:
        path, kind = locate(args)
        conv = CONVERTERS[kind](path)
        conv.finish()
        text = render(conv, datetime.date.today().isoformat())
        self_check(text)
    except Failure as e:
        print_warnings(conv)
        print(f"{PROG}: {e}", file=sys.stderr)
        return e.status
    print_warnings(conv)
    try:
        write_output(text, args.output, args.force)
    except Failure as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return e.status
    summary(conv, path, kind, args.output)
    return 0
