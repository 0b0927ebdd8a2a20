"""Reading source files, and small helpers the readers share: the home
directory in paths, /etc/mailname, short account names from host names."""

import os

from .model import EX_DATAERR, EX_NOINPUT, Failure
from .validate import is_ip_address


def read_text(path, what):
    """The whole file as text (UTF-8). Raises Failure: 66 unreadable, 65 not UTF-8."""
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
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise Failure(EX_DATAERR, f"{path}:{line}: not UTF-8 text; convert the file "
                                  "(e.g. with iconv) and run again")


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
