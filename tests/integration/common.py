"""Shared helpers for okuru's integration tests: writing configs, running the client,
comparing messages, and a tiny test runner that exits 0/1 itself (okuru's own exit 77,
EX_NOPERM, must never reach meson, which would read it as "skipped").

`Client` runs okuru, or Debian's msmtp with an equivalent configuration (used to
validate the harness itself: `--client msmtp`). `SoftChecks` and the helpers after it
serve the scripts in tests/callers, tests/contrib and tests/completions, which put
this directory on sys.path. Standard library only.
"""

import base64
import email
import email.policy
import json
import os
import re
import subprocess
import sys
import time
import traceback

SYSEXITS = {0: "ok", 64: "usage", 65: "dataerr", 67: "nouser", 69: "unavailable",
            75: "tempfail", 76: "protocol", 77: "noperm", 78: "config"}


# ---- TOML (just what okuru's config needs) -----------------------------------------------
def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)  # JSON string escapes are valid TOML basic-string escapes
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(v)


def to_toml(cfg):
    """cfg: top-level scalars, plus dicts of scalars ([table]) or dicts of dicts
    ([table.sub], e.g. accounts)."""
    out = []
    for k, v in cfg.items():
        if not isinstance(v, dict):
            out.append("%s = %s" % (k, _toml_value(v)))
    for k, v in cfg.items():
        if not isinstance(v, dict):
            continue
        if v and all(isinstance(x, dict) for x in v.values()):
            for name, table in v.items():
                out.append("\n[%s.%s]" % (k, json.dumps(name) if not name.isalnum() else name))
                out += ["%s = %s" % (json.dumps(a) if not a.replace("_", "").isalnum() else a,
                                     _toml_value(b)) for a, b in table.items()]
        else:
            out.append("\n[%s]" % k)
            out += ["%s = %s" % (json.dumps(a), _toml_value(b)) for a, b in v.items()]
    return "\n".join(out) + "\n"


def write_file(path, data, mode=0o600):
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    os.chmod(path, mode)
    return path


# ---- running the client -----------------------------------------------------------------
class Result:
    def __init__(self, rc, out, err, seconds):
        self.rc, self.out, self.err, self.seconds = rc, out, err, seconds

    def __repr__(self):
        return "exit %d (%s) in %.2fs\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
            self.rc, SYSEXITS.get(self.rc, "?"), self.seconds,
            self.out.decode(errors="replace")[-3000:], self.err.decode(errors="replace")[-3000:])


class Client:
    def __init__(self, kind, binary, workdir):
        self.kind = kind  # "okuru" or "msmtp"
        self.binary = binary
        self.workdir = workdir
        self.n = 0

    def account(self, host="localhost", port=587, tls="starttls", user="okuru",
                password_file=None, auth=None, ca_file=None, **extra):
        acc = {"default": True, "host": host, "port": port, "tls": tls, "user": user,
               "password_file": password_file, "ca_file": ca_file, "system_trust": False,
               "connect_timeout": 10, "timeout": 60}
        if auth is not None:
            acc["auth"] = auth
        acc.update(extra)
        return {k: v for k, v in acc.items() if v is not None}

    def config(self, account, **top):
        cfg = {"domain": "example.test",
               "dead_letter": os.path.join(self.workdir, "failed"),
               "save_failed": True}
        cfg.update(top)
        cfg["accounts"] = {"test": account}
        return cfg

    def _msmtp_config(self, cfg):
        acc = cfg["accounts"]["test"]
        lines = ["account default", "host %s" % acc["host"], "port %d" % acc["port"],
                 "tls %s" % ("off" if acc["tls"] == "none" else "on"),
                 "tls_starttls %s" % ("on" if acc["tls"] == "starttls" else "off"),
                 "user %s" % acc["user"], "passwordeval cat %s" % acc["password_file"],
                 "auth %s" % (acc["auth"][0].lower() if "auth" in acc else "on")]
        if "ca_file" in acc:
            lines.append("tls_trust_file %s" % acc["ca_file"])
        lines.append("from sender@example.test")
        return "\n".join(lines) + "\n"

    def run(self, cfg, args, stdin, timeout=120, extra_env=None, wrap=None):
        """Writes cfg (a dict) to a fresh -C file, runs the client, returns a Result.
        cfg None: no configuration at all. wrap(argv) may prefix the command line."""
        self.n += 1
        env = dict(os.environ)
        env["HOME"] = self.workdir
        env["XDG_STATE_HOME"] = os.path.join(self.workdir, "state")
        env["XDG_CONFIG_HOME"] = os.path.join(self.workdir, "config")
        env.pop("OKURU_CONFIG", None)
        env.update(extra_env or {})
        if self.kind == "msmtp":
            path = write_file(os.path.join(self.workdir, "msmtprc-%d" % self.n),
                              self._msmtp_config(cfg))
            # msmtp has no aliases/domain; give it a sender so it can build From.
            argv = ["msmtp", "-C", path] + [a for a in args if a not in ("--pretend",)]
        elif cfg is None:
            argv = [self.binary] + list(args)
        else:
            path = write_file(os.path.join(self.workdir, "okuru-%d.toml" % self.n),
                              to_toml(cfg))
            argv = [self.binary, "-C", path] + list(args)
        if wrap:
            argv = wrap(argv)
        t0 = time.monotonic()
        try:
            r = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=timeout, env=env)
        except subprocess.TimeoutExpired as e:
            return Result(-1, e.stdout or b"", (e.stderr or b"") + b"\n[timed out]",
                          time.monotonic() - t0)
        return Result(r.returncode, r.stdout, r.stderr, time.monotonic() - t0)


    def run_bare(self, args, timeout=120):
        """The client without any configuration file."""
        return self.run(None, args, b"", timeout=timeout)


def secret_forms(password):
    """The password and the encodings it could leak in (AUTH PLAIN/LOGIN responses)."""
    pw = password.encode()
    forms = [pw, base64.b64encode(pw)]
    for user in (b"okuru", b"u", b"okuru@example.test"):
        forms.append(base64.b64encode(b"\0" + user + b"\0" + pw))
        forms.append(base64.b64encode(user + b"\0" + user + b"\0" + pw))
    return forms


def leaks(password, *blobs):
    """Which output blobs contain the password in any of its forms."""
    found = []
    for i, blob in enumerate(blobs):
        for form in secret_forms(password):
            if form in blob:
                found.append((i, form))
    return found


# ---- messages ---------------------------------------------------------------------------
def split_message(raw):
    """(header lines unfolded as [(name, value)], body) of an LF or CRLF message."""
    raw = raw.replace(b"\r\n", b"\n")
    head, sep, body = raw.partition(b"\n\n")
    headers = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and headers:
            headers[-1] = (headers[-1][0], headers[-1][1] + b"\n" + line)
        elif line:
            name, _, value = line.partition(b":")
            headers.append((name.decode("ascii", "replace"), value.strip()))
    return headers, body


def header(headers, name):
    vals = [v for n, v in headers if n.lower() == name.lower()]
    return vals


def strip_trace(raw):
    """The delivered message without the trace headers Postfix's delivery prepends
    (Return-Path, X-Original-To, Delivered-To, Received): what okuru sent, as Postfix stored it."""
    lines = raw.split(b"\n")
    i = 0
    trace = (b"return-path:", b"x-original-to:", b"delivered-to:", b"received:")
    while i < len(lines) and (lines[i].lower().startswith(trace)
                              or (i > 0 and lines[i][:1] in (b" ", b"\t"))):
        i += 1
    return b"\n".join(lines[i:])


def lf(data):
    """Line endings as a Maildir stores them: CRLF, bare CR and bare LF all become LF."""
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def mask_generated(raw):
    """Replaces generated Date and Message-ID values so two submissions compare equal."""
    raw = re.sub(rb"(?im)^(date:)[^\n]*(\n[ \t][^\n]*)*", rb"\1 <date>", raw)
    return re.sub(rb"(?im)^(message-id:)[^\n]*(\n[ \t][^\n]*)*", rb"\1 <message-id>", raw)


# ---- runner -----------------------------------------------------------------------------
class Check(Exception):
    pass


def check(cond, what, detail=""):
    if not cond:
        raise Check(what + ("\n" + str(detail) if detail else ""))


class Runner:
    def __init__(self):
        self.results = []

    def run(self, name, fn, *args):
        t0 = time.monotonic()
        try:
            fn(*args)
            status, msg = "ok", ""
        except Check as e:
            status, msg = "FAIL", str(e)
        except Exception:
            status, msg = "ERROR", traceback.format_exc()
        dt = time.monotonic() - t0
        self.results.append((name, status))
        print("%-5s %-60s %6.2fs" % (status, name, dt), flush=True)
        if msg:
            print("      " + msg.replace("\n", "\n      "), flush=True)

    def run_all(self, tests, only=None):
        """Runs (name, fn, *args) entries; `only` keeps those whose name contains it."""
        for name, fn, *args in tests:
            if not only or only in name:
                self.run(name, fn, *args)

    def finish(self):
        failed = [n for n, s in self.results if s != "ok"]
        print("\n%d tests, %d passed, %d failed" % (len(self.results),
                                                    len(self.results) - len(failed), len(failed)))
        for n in failed:
            print("  failed: " + n)
        return 1 if failed else 0


class SoftChecks:
    """The checks of the scripts in tests/callers, tests/contrib and tests/completions,
    which, unlike check() above, go on after a failure: `check = SoftChecks()`, then
    each `check(cond, what, detail)` prints "ok   WHAT" or "FAIL WHAT" with the detail
    indented below it, and returns cond. finish() prints "N passed, N failed" and each
    failure's name again, and gives the exit status: 1 when a check failed or none
    was made."""

    def __init__(self):
        self.made = 0
        self.failures = []

    def __call__(self, cond, what, detail=""):
        self.made += 1
        print(("ok   " if cond else "FAIL ") + what, flush=True)
        if not cond:
            self.failures.append(what)
            if detail:
                print("     " + str(detail).replace("\n", "\n     "), flush=True)
        return cond

    def each(self, tests, *args, after=None):
        """Runs each test(*args), then after(): a test that raises fails with its name
        and the error, and the tests after it still run."""
        for test in tests:
            print("--- " + test.__name__, flush=True)
            try:
                test(*args)
            except Exception as e:
                self(False, "%s raised %s: %s" % (test.__name__, type(e).__name__, e),
                     traceback.format_exc())
            if after:
                after()

    def finish(self):
        if not self.made:
            self(False, "no check was made")
        print("%d passed, %d failed" % (self.made - len(self.failures), len(self.failures)))
        for what in self.failures:
            print("  failed: " + what)
        return 1 if self.failures else 0


def maildir_new(maildir):
    """The names of the messages in a Maildir's new/, sorted; none when it does not exist."""
    new = os.path.join(maildir, "new")
    return sorted(os.listdir(new)) if os.path.isdir(new) else []


def run_combined(argv, stdin=b"", env=None, cwd=None, timeout=120):
    """Runs argv: its exit status and its standard output and error as one text."""
    r = subprocess.run(argv, input=stdin, capture_output=True, env=env, cwd=cwd, timeout=timeout)
    return r.returncode, (r.stdout + r.stderr).decode(errors="replace")


# ---- okuru against the harness's Postfix (tests/callers) --------------------------------
def submission_config(pf, okuru, workdir, name="okuru.toml", port=None, **top):
    """A -C file in workdir: one account on Postfix's submission port (or `port`),
    STARTTLS with the throwaway CA, SASL PLAIN as the harness's user; `top` adds
    top-level settings. Returns its path."""
    client = Client("okuru", okuru, workdir)
    acc = client.account(port=port or pf.services["sub"].port, tls="starttls",
                         ca_file=pf.pki.ca.cert, password_file=pf.password_file, user=pf.USER,
                         auth=["PLAIN"])
    return write_file(os.path.join(workdir, name), to_toml(client.config(acc, **top)))


def take_delivered(pf, count):
    """The `count` messages Postfix delivers (waited for), each as (raw bytes, message
    parsed by the email package), removed from the Maildir."""
    pf.wait_for_messages(count)
    pf.settle()
    msgs = []
    for p in pf.messages():
        with open(p, "rb") as f:
            raw = f.read()
        msgs.append((raw, email.message_from_bytes(raw, policy=email.policy.default)))
        os.unlink(p)
    return msgs


def arg_value(argv, name, default=None):
    for i, a in enumerate(argv):
        if a == name and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return default


def positional(argv):
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a in ("--client", "--only", "--source-dir"):
            skip = True
        elif not a.startswith("--"):
            out.append(a)
    return out


def die(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)
