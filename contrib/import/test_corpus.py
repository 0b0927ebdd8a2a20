#!/usr/bin/python3
"""The okuru-import corpus (corpus/README.md): for each pattern found in real
configurations, an input of our own is converted, loaded by the okuru just
built, compared account by account with `msmtp --pretend` (msmtp inputs), and
a message without -f and without a From: address is sent through okuru and
through msmtp to the scripted SMTP peer of the integration tests, to compare
the envelope sender on the wire.

usage: /usr/bin/python3 test_corpus.py OKURU OKURU_IMPORT SOURCE_ROOT

Needs msmtp and certtool (gnutls-bin), both in tests/run-all's package list;
exits 0 or 1 itself (never 77: it runs as root in CI and skips nothing)."""

import sys
sys.dont_write_bytecode = True

import contextlib
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import tomllib
import unittest
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
OKURU = IMPORT = SOURCE_ROOT = None  # from argv, in __main__
peer = pki = None                    # tests/integration modules, imported in __main__

sys.path.insert(0, HERE)
from okuru_import.toml_writer import toml_key, toml_value  # noqa: E402

LOGIN = pwd.getpwuid(os.getuid()).pw_name
PEER_PASSWORD = "corpus-peer-pw"
HEADERLESS = b"Subject: no sender\n\nhello\n"
RCPT = "rcpt@example.test"

# Every msmtp input: {file: expectations}. "accounts" maps each msmtp account
# name to the okuru account it became ("default : NAME" to NAME); "values" are
# keys an okuru account (or the top of the file, under "") must have, "absent"
# keys it must not have, "lines" lines the output must hold (comments);
# "warnings" start the warning lines (FILE:LINE: ...); "tls" the documented
# cases where okuru's TLS mode differs from msmtp's; "sender" the envelope
# sender okuru must use where msmtp sent none (it refused) or no address.
MSMTP = {
    # Issue 15 row 1: "from ADDRESS" is what msmtp sent without -f.
    "msmtp-from-single": dict(
        accounts={"gmail": "gmail", "default": "gmail"},
        values={"": {"aliases": {"*": "jo.example.1984@gmail.com"}}},
        warnings=[":13: from jo.example.1984@gmail.com: a message without -f and without a "
                  "From: address (cron, at) leaves from jo.example.1984@gmail.com"]),
    # Row 1 with an alias that gives root another address: envelope_from instead.
    "msmtp-from-multi": dict(
        accounts={"personal": "personal", "work": "work", "default": "personal"},
        values={"personal": {"envelope_from": "me@fastmail.example"},
                "work": {"envelope_from": "me@corp.example"},
                "": {"aliases": {"root": "admin@fastmail.example"}}},
        warnings=[":13: from me@fastmail.example: msmtp sent every message through this "
                  "account from me@fastmail.example unless -f said otherwise",
                  ":20: from me@corp.example: msmtp sent every message"]),
    # Row 1, %U: USER@domain, the same for okuru through domain.
    "msmtp-from-user": dict(
        accounts={"default": "default"},
        values={"": {"domain": "corp.example"}}),
    # Row 1, no from at all: msmtp refuses; okuru must still qualify the sender.
    "msmtp-no-from": dict(
        accounts={"isp": "isp", "default": "isp"},
        values={"": {"aliases": {"*": "someone@isp.example"}}},
        sender={acc: "someone@isp.example" for acc in (None, "isp", "default")}),
    # Row 6: port 465 with msmtp's default STARTTLS becomes implicit TLS.
    "msmtp-465-starttls": dict(
        accounts={"mailbox": "mailbox", "default": "mailbox"},
        tls={"mailbox": "implicit", "default": "implicit"},
        warnings=[":10: msmtp spoke STARTTLS on port 465"]),
    # Row 7: syslog for one account: okuru's covers the file, with a warning.
    "msmtp-syslog-one-account": dict(
        accounts={"work": "work", "home": "home", "default": "home"},
        values={"": {"syslog": "user"}},
        warnings=[":18: syslog is set for account home only, and okuru's syslog covers the "
                  "whole file: submissions through work are logged there too"]),
    # Row 2: another system's CA bundle is the system trust store; a private CA
    # missing here is left as a comment, never a file okuru refuses.
    "msmtp-trust-files": dict(
        accounts={"mac": "mac", "fedora": "fedora", "certspem": "certspem", "corp": "corp",
                  "default": "mac"},
        lines=['# ca_file = "~/.config/msmtp/corp-ca.pem"', "# system_trust = false"],
        absent={acc: ["ca_file", "system_trust"]
                for acc in ("mac", "fedora", "certspem", "corp")},
        warnings=[':39: tls_trust_file "~/.config/msmtp/corp-ca.pem" does not exist here: '
                  "left as a comment in the account"]),
    # Row 3: a bridge on the loopback interface keeps its plain SMTP login.
    "msmtp-bridges": dict(
        accounts={"proton": "proton", "davmail": "davmail", "default": "proton"},
        tls={"proton": "none", "davmail": "none", "default": "none"},
        values={acc: {"tls": "none", "insecure_allow_plaintext_auth": True}
                for acc in ("proton", "davmail")},
        warnings=[":5: msmtp logged in without TLS to 127.0.0.1, on this machine",
                  ":5: msmtp logged in without TLS to localhost"]),
    # A byte order mark and a Latin-1 comment: the first account is still "home".
    "msmtp-bom-latin1": dict(
        accounts={"home": "home", "default": "home"},
        values={"home": {"host": "smtp.home.example", "user": "rene@home.example"}}),
}

# What ssmtp sent for a message without -f from the caller in
# ssmtp-root-two-servers: root's revaliases address, else USER@rewriteDomain.
ROOT_SENDER = "alerts@corp.example" if LOGIN == "root" else f"{LOGIN}@corp.example"

# ssmtp and Postfix inputs (no program to compare with here): {path: expectations},
# "sender" being the envelope sender ssmtp or Postfix used for a message without
# -f from the caller (LOGIN), through each okuru account (None: without -a).
OTHERS = {
    # Row 4: a static: map holds the login for every next hop; rows 2 and 3 too.
    "postfix-static/main.cf": dict(
        accounts=["relay"],
        values={"relay": {"user": "someone@proton.example", "password": "corpus-static-pw",
                          "tls": "none", "insecure_allow_plaintext_auth": True}},
        absent={"relay": ["ca_file", "system_trust"]},
        lines=['# ca_file = "/etc/postfix/bridge-ca.pem"'],
        sender={None: f"{LOGIN}@corpus.example", "relay": f"{LOGIN}@corpus.example"}),
    # Row 4: inline: maps, braces around a value with blanks.
    "postfix-inline/main.cf": dict(
        accounts=["isp", "other"],
        values={"isp": {"user": "me@isp.example", "password": "corpus-inline-pw"},
                "other": {"user": "other@isp.example", "password": "corpus inline pw 2",
                          "from": ["other@corpus.example"]}},
        sender={None: f"{LOGIN}@corpus.example", "isp": f"{LOGIN}@corpus.example",
                "other": f"{LOGIN}@corpus.example"}),
    # Row 5: revaliases is root's sender; root= (a bare name, no domain) cannot win.
    "ssmtp-root-revaliases/ssmtp.conf": dict(
        accounts=["gmail"],
        values={"": {"aliases": {"root": "box.alerts@gmail.example",
                                 "*": "box.alerts@gmail.example"}}},
        absent={"gmail": ["ca_file", "system_trust"]},
        warnings=[":3: root=postmaster not converted"],
        sender={None: "box.alerts@gmail.example", "gmail": "box.alerts@gmail.example"}),
    # Row 5 with a qualified root= and root's own server: both in the alias, the
    # revaliases address first (the sender), routed to that server.
    "ssmtp-root-two-servers/ssmtp.conf": dict(
        accounts=["isp", "corp"],
        values={"": {"domain": "corp.example",
                     "aliases": {"root": ["alerts@corp.example", "postmaster@corp.example"]}},
                "corp": {"from": ["alerts@corp.example"], "port": 465, "tls": "implicit"}},
        warnings=[":4: alias root = [alerts@corp.example, postmaster@corp.example]"],
        sender={None: ROOT_SENDER, "isp": ROOT_SENDER, "corp": ROOT_SENDER},
        via={None: "corp" if LOGIN == "root" else "isp"}),
}

SYSLOG = {"LOG_USER": "user", "LOG_MAIL": "mail",
          **{f"LOG_LOCAL{i}": f"local{i}" for i in range(8)}}

# Files the msmtp inputs name in the user's home: {corpus file: path under HOME}.
HOME_FILES = {"msmtp-from-multi.aliases": ".msmtp-aliases"}


def run(argv, env, stdin=b"", timeout=60):
    return subprocess.run(argv, input=stdin, capture_output=True, env=env, timeout=timeout)


def msmtp_accounts(path):
    """The account names of an msmtp file, in order (the settings before any
    account line make one called default)."""
    names = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"\s*account\s+([^\s:]+)", line.lstrip("\ufeff"))
            if m:
                names.append(m.group(1))
    return names


def msmtp_pretend(path, account, env):
    """What msmtp --pretend says about the account: {key: value}."""
    r = run(["msmtp", "-C", path, "-a", account, "--pretend"], env)
    if r.returncode != 0:
        raise AssertionError(f"msmtp --pretend -a {account}: {r.stderr.decode()}")
    return dict(line.split(" = ", 1) for line in r.stdout.decode().splitlines()
                if " = " in line)


def msmtp_mode(m):
    if m["tls"] == "off":
        return "none"
    return "starttls" if m["tls_starttls"] == "on" else "implicit"


def wire_sender(p, before):
    """The MAIL FROM address of the message the peer received last, or None."""
    if len(p.messages) == before:
        return None
    return re.fullmatch(rb"FROM:<([^>]*)>.*", p.messages[-1]["from"]).group(1).decode()


def dump_toml(cfg):
    """The okuru configuration as TOML (top-level values, then tables), with the
    converter's own writer."""
    out = [f"{toml_key(k)} = {toml_value(v)}" for k, v in cfg.items() if not isinstance(v, dict)]
    for name, table in cfg.get("accounts", {}).items():
        out.append(f"[accounts.{toml_key(name)}]")
        out += [f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items()]
    for section in ("routes", "aliases"):
        if section in cfg:
            out.append(f"[{section}]")
            out += [f"{toml_key(k)} = {toml_value(v)}" for k, v in cfg[section].items()]
    return "\n".join(out) + "\n"


class Corpus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="okuru-corpus-")
        cls.pki = pki.make_pki(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.dir = tempfile.mkdtemp(dir=self.tmp)
        self.home = os.path.join(self.dir, "home")
        os.makedirs(self.home)
        for name, rel in HOME_FILES.items():
            shutil.copy(os.path.join(CORPUS, name), os.path.join(self.home, rel))
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
                    "USER": LOGIN, "LOGNAME": LOGIN, "LANG": "C.UTF-8",
                    "HOSTNAME": "box.corpus.example",
                    "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
                    "XDG_STATE_HOME": os.path.join(self.home, ".local", "state")}

    # Converting and loading.
    def convert(self, name, *args):
        out = os.path.join(self.dir, "okuru.toml")
        r = run([IMPORT, os.path.join(CORPUS, name), *args, "-o", out], self.env)
        err = r.stderr.decode()
        self.assertEqual(r.returncode, 0, err)
        self.assertNotIn("Traceback", err)
        prefix = "okuru-import: warning: " + os.path.join(CORPUS, name)
        warnings = [line[len(prefix):] for line in err.splitlines() if line.startswith(prefix)]
        with open(out, "rb") as f:
            return out, tomllib.load(f), warnings

    def okuru(self, config, *args, stdin=HEADERLESS):
        return run([OKURU, "-C", config, *args], self.env, stdin)

    def assert_loads(self, config, cfg):
        r = self.okuru(config, "--list-accounts", stdin=b"")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(r.stdout.decode().split(), list(cfg["accounts"]))
        for name in cfg["accounts"]:
            r = self.okuru(config, "--pretend", "-a", name, RCPT)
            self.assertEqual(r.returncode, 0, r.stderr.decode())
            sender = re.search(r"MAIL FROM:<([^>]*)>", r.stdout.decode()).group(1)
            self.assertIn("@", sender, f"okuru -a {name}: unqualified envelope sender")

    def assert_expected(self, case, cfg, warnings):
        for fragment in case.get("warnings", []):
            self.assertTrue(any(w.startswith(fragment) for w in warnings),
                            f"no warning starting {fragment!r} in:\n" + "\n".join(warnings))
        for account, keys in case.get("absent", {}).items():
            for key in keys:
                self.assertNotIn(key, cfg["accounts"][account], f"{account}: {key}")
        for account, values in case.get("values", {}).items():
            table = cfg if account == "" else cfg["accounts"][account]
            for key, value in values.items():
                self.assertEqual(table.get(key), value, f"{account or 'top'}: {key}")

    # msmtp --pretend, account by account.
    def compare_with_msmtp(self, m, a, cfg, warnings, tls_differs):
        """One account: what msmtp says, and what okuru was given. tls_differs: the
        TLS mode okuru must use where it departs from msmtp's on purpose."""
        self.assertEqual(a["host"], m["host"])
        self.assertEqual(a["port"], int(m["port"]))
        logs_in = m["auth"] != "off" and m["user"] != "(not set)"
        mode = msmtp_mode(m)
        self.assertEqual(a["tls"], tls_differs or ("starttls" if mode == "none" and logs_in
                                                   else mode))
        if logs_in:
            self.assertEqual(a["user"], m["user"])
            if m["auth"] != "choose":
                self.assertEqual(a["auth"], [m["auth"].upper()])
        else:
            self.assertNotIn("user", a)
        if m["from"] != "(not set)" and not re.search(r"[*?\[]", m["from"]):
            domain = m["from"].rpartition("@")[2]
            self.assertTrue(m["from"] in a["from"] or f"*@{domain}" in a["from"], a["from"])
        if m["timeout"] != "off":
            self.assertEqual(a["timeout"], int(m["timeout"].split()[0]))
        if m["domain"] != "localhost":
            self.assertEqual(a["ehlo"], m["domain"])
        if m["tls_fingerprint"] != "(not set)":
            self.assertEqual(a["fingerprint"], m["tls_fingerprint"])
        trust = m["tls_trust_file"]
        if "ca_file" in a:
            self.assertEqual(os.path.expanduser(a["ca_file"].replace("~", self.home, 1)), trust)
            self.assertIs(a["system_trust"], False)
        syslog = m.get("syslog", "(not set)")
        if syslog != "(not set)":
            self.assertEqual(cfg.get("syslog"), SYSLOG[syslog])
        elif "syslog" in cfg:  # set for another account: widened, and said so
            self.assertTrue(any(re.match(r":\d+: syslog is set for account", w)
                                for w in warnings), warnings)
        logfile = m.get("logfile", "(not set)")
        if logfile != "(not set)":
            self.assertEqual(os.path.expanduser(cfg["log_file"].replace("~", self.home, 1)),
                             logfile)

    # The wire: the scripted peer, one per TLS mode.
    def msmtp_for_peer(self, path, modes, peers):
        """The msmtp file, every account pointed at the peer of its TLS mode: the
        overrides close each account section (msmtp takes the last value, and an
        account inheriting from another copies them)."""
        out, current, seen = [], "default", False
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().lstrip("\ufeff").splitlines()

        def close():
            if current is not None and seen and current in modes:
                out.extend(["host localhost", f"port {peers[modes[current]].port}",
                            f"tls_trust_file {self.pki.ca.cert}", "tls_fingerprint",
                            "tls_certcheck on", "tls_cert_file", "tls_key_file",
                            f"password {PEER_PASSWORD}", "logfile", "aliases"])

        for line in lines:
            m = re.match(r"\s*(account|defaults)(?:\s+([^\s:]+))?", line)
            if m:
                close()
                current, seen = (m.group(2) if m.group(1) == "account" else None), True
            elif line.strip() and not line.lstrip().startswith("#"):
                seen = True
            out.append(line)
        close()
        copy = os.path.join(self.dir, "msmtprc-peer")
        with open(copy, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write("\n".join(out) + "\n")
        os.chmod(copy, 0o600)
        return copy

    def okuru_for_peer(self, cfg, peers):
        """The converted file, every account pointed at the peer of its TLS mode
        (server, trust and password replaced; senders, aliases and domain kept)."""
        cfg = dict(cfg, dead_letter=os.path.join(self.dir, "failed"))
        cfg.pop("log_file", None)
        accounts = {}
        for name, a in cfg["accounts"].items():
            a = dict(a, host="localhost", port=peers[a["tls"]].port)
            for key in ("fingerprint", "client_cert", "client_key", "fallback", "ca_file",
                        "system_trust", "password", "password_command", "password_file",
                        "oauth_token_command", "auth", "insecure_allow_plaintext_auth"):
                a.pop(key, None)
            if a["tls"] != "none":
                a.update(ca_file=self.pki.ca.cert, system_trust=False)
            if "user" in a:
                a.update(password=PEER_PASSWORD, auth=["PLAIN"])
                if a["tls"] == "none":
                    a["insecure_allow_plaintext_auth"] = True
            accounts[name] = a
        cfg["accounts"] = accounts
        path = os.path.join(self.dir, "okuru-peer.toml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(dump_toml(cfg))
        os.chmod(path, 0o600)
        return path

    def send(self, p, argv, message):
        before = len(p.messages)
        r = run(argv + [RCPT], self.env, message)
        return r, wire_sender(p, before)

    def compare_on_the_wire(self, case, path, cfg, modes):
        """msmtp -a NAME and okuru -a NAME (and both without -a), a message without
        -f: the same MAIL FROM, or the one the case expects where msmtp had none."""
        cron = b"From: %s (Cron Daemon)\nSubject: Cron <%s@box> job\n\nhello\n" % (
            LOGIN.encode(), LOGIN.encode())
        runs = [None] + list(case["accounts"]) if "default" in case["accounts"] else \
            list(case["accounts"])
        with contextlib.ExitStack() as stack:
            peers = {"starttls": peer.Peer(cert=self.pki.server, tls="starttls"),
                     "implicit": peer.Peer(cert=self.pki.server, tls="implicit"),
                     "none": peer.Peer(tls="none")}
            for p in peers.values():
                stack.enter_context(p)
            rc = self.msmtp_for_peer(path, modes, peers)
            conf = self.okuru_for_peer(cfg, peers)
            for acc in runs:
                okuru_name = case["accounts"][acc or "default"]
                for message in (HEADERLESS, cron):
                    with self.subTest(account=acc, message=message[:20], check="wire"):
                        r_o, s_o = self.send(peers[cfg["accounts"][okuru_name]["tls"]],
                                             [OKURU, "-C", conf] +
                                             (["-a", okuru_name] if acc else []), message)
                        self.assertEqual(r_o.returncode, 0, r_o.stderr.decode())
                        expected = case.get("sender", {}).get(acc)
                        if expected is None:
                            r_m, expected = self.send(peers[modes[acc or "default"]],
                                                      ["msmtp", "-C", rc] +
                                                      (["-a", acc] if acc else []), message)
                            self.assertEqual(r_m.returncode, 0, r_m.stderr.decode())
                        self.assertEqual(s_o, expected)

    def check_msmtp(self, name):
        case = MSMTP[name]
        path = os.path.join(self.dir, name)
        with open(os.path.join(CORPUS, name), "rb") as src, open(path, "wb") as dst:
            # msmtp stops at a byte order mark ("unknown command"): it reads the file
            # without one, to compare the rest.
            dst.write(src.read().removeprefix(b"\xef\xbb\xbf"))
        os.chmod(path, 0o600)  # msmtp insists when the file holds a password
        out, cfg, warnings = self.convert(name)
        self.assert_expected(case, cfg, warnings)
        with open(out, encoding="utf-8") as f:
            text = f.read().splitlines()
        for line in case.get("lines", []):
            self.assertIn(line, text)
        self.assert_loads(out, cfg)
        self.assertEqual(sorted(msmtp_accounts(path)), sorted(case["accounts"]))
        pretend = {acc: msmtp_pretend(path, acc, self.env) for acc in case["accounts"]}
        for acc, m in pretend.items():
            with self.subTest(account=acc, check="msmtp --pretend"):
                self.compare_with_msmtp(m, cfg["accounts"][case["accounts"][acc]], cfg,
                                        warnings, case.get("tls", {}).get(acc))
        self.compare_on_the_wire(case, path, cfg,
                                 {acc: msmtp_mode(m) for acc, m in pretend.items()})


    def check_other(self, name):
        """An ssmtp or Postfix input: converted, loaded, and okuru's envelope sender
        on the wire for a message without -f is the one the source program used."""
        case = OTHERS[name]
        out, cfg, warnings = self.convert(name)
        self.assert_expected(case, cfg, warnings)
        with open(out, encoding="utf-8") as f:
            text = f.read().splitlines()
        for line in case.get("lines", []):
            self.assertIn(line, text)
        self.assertEqual(list(cfg["accounts"]), case["accounts"])
        self.assert_loads(out, cfg)
        with contextlib.ExitStack() as stack:
            peers = {"starttls": peer.Peer(cert=self.pki.server, tls="starttls"),
                     "implicit": peer.Peer(cert=self.pki.server, tls="implicit"),
                     "none": peer.Peer(tls="none")}
            for p in peers.values():
                stack.enter_context(p)
            conf = self.okuru_for_peer(cfg, peers)
            default = next((n for n, a in cfg["accounts"].items() if a.get("default")),
                           case["accounts"][0])
            for acc, expected in case["sender"].items():
                with self.subTest(account=acc, check="wire"):
                    via = case.get("via", {}).get(acc) or acc or default
                    tls = cfg["accounts"][via]["tls"]
                    r, sender = self.send(peers[tls], [OKURU, "-C", conf] +
                                          (["-a", acc] if acc else []), HEADERLESS)
                    self.assertEqual(r.returncode, 0, r.stderr.decode())
                    self.assertEqual(sender, expected)


def _other_test(name):
    return lambda self: self.check_other(name)


def _msmtp_test(name):
    return lambda self: self.check_msmtp(name)


for _name in MSMTP:
    setattr(Corpus, "test_" + _name.replace("-", "_"), _msmtp_test(_name))
for _name in OTHERS:
    setattr(Corpus, "test_" + re.sub(r"\W", "_", _name), _other_test(_name))


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit("usage: test_corpus.py OKURU OKURU_IMPORT SOURCE_ROOT")
    OKURU, IMPORT, SOURCE_ROOT = (os.path.abspath(a) for a in sys.argv[1:4])
    del sys.argv[1:4]
    sys.path.insert(0, os.path.join(SOURCE_ROOT, "tests", "integration"))
    import peer  # noqa: E402,F811
    import pki   # noqa: E402,F811
    # The peer's threads leave TLS sockets to the garbage collector: not ours to report.
    warnings.simplefilter("ignore", ResourceWarning)
    unittest.main(verbosity=2, warnings=False)
