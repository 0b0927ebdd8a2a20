"""Reading source files, and small helpers the readers share: the home
directory in paths, /etc/mailname, short account names from host names."""

import os

from .model import EX_DATAERR, EX_NOINPUT, Failure
from .validate import is_ip_address


def comment_at_start(line):
    """The part of a line that is read, where '#' starts a comment only as the
    first non-blank character (msmtp, Postfix)."""
    return "" if line.lstrip(" \t").startswith("#") else line


def comment_anywhere(line):
    """The part of a line that is read, where '#' starts a comment anywhere
    (ssmtp.conf, revaliases, msmtp's aliases file)."""
    return line.split("#", 1)[0]


def read_text(path, what, read_part=comment_at_start):
    """The whole file as text, without a leading byte order mark. It must be
    UTF-8 wherever it is read (read_part gives the part of a line that is);
    other bytes in comments, which the programs themselves skip, become U+FFFD.
    Raises Failure: 66 unreadable, 65 not UTF-8 where it matters."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise Failure(EX_NOINPUT, f"{path}: no such file ({what})")
    except PermissionError:
        raise Failure(EX_NOINPUT, f"cannot read {path} ({what}): permission denied; "
                                  "run as a user who may read it (often root)")
    except IsADirectoryError:
        raise Failure(EX_NOINPUT, f"{path} is a directory, not the {what}")
    except OSError as e:
        raise Failure(EX_NOINPUT, f"cannot read {path} ({what}): {e.strerror}")
    lines = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "surrogateescape").split("\n")
    for no, line in enumerate(lines, 1):
        if _undecoded(read_part(line)):
            raise Failure(EX_DATAERR, f"{path}:{no}: not UTF-8 text; convert the file "
                                      "(e.g. with iconv) and run again")
        if _undecoded(line):
            lines[no - 1] = "".join("\ufffd" if _undecoded(c) else c for c in line)
    return "\n".join(lines)


def _undecoded(text):
    return any("\udc80" <= c <= "\udcff" for c in text)


def expand_home(path):
    return os.path.expanduser(path) if path.startswith("~") else path


def mailname():
    try:
        with open("/etc/mailname", encoding="utf-8") as f:
            return f.readline().strip()
    except OSError:
        return ""


GENERIC_HOST_LABELS = {"smtp", "smtps", "mail", "mx", "relay", "submission", "out", "outgoing",
                       "email", "send", "smtp-relay", "smtpout", "mailout", "asmtp", "mailhub",
                       "securesmtp", "smtp-mail"}


def name_from_host(host):
    """smtp.gmail.com -> gmail, mail.isp.example -> isp: short names for -a."""
    if is_ip_address(host):
        return "relay"
    labels = host.lower().split(".")
    while len(labels) > 2 and labels[0] in GENERIC_HOST_LABELS:
        labels.pop(0)
    return labels[0] if len(labels) >= 2 else host.lower()
