#!/usr/bin/python3
"""Tests for okuru-import. Each sample in samples/ is converted by running the
program, the TOML is read back with tomllib and compared whole, the warnings
are checked by FILE:LINE, and the real okuru loads the result (--list-accounts)
and routes test messages through it (--pretend). msmtp conversions are also
compared with what msmtp itself makes of the same file (msmtp --pretend).

Run: /usr/bin/python3 test_okuru_import.py PATH/TO/okuru [PATH/TO/okuru-import]
(meson passes the okuru-import it built; by default the one in this directory)."""

import sys
sys.dont_write_bytecode = True  # keep the source tree clean

import datetime
import os
import re
import shutil
import stat
import subprocess
import tempfile
import tomllib
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "okuru-import")  # or the one given in argv (see __main__)
OKURU = None  # set from argv in __main__

sys.path.insert(0, HERE)
from okuru_import import keys, model, toml_writer  # noqa: E402 (after the path is set)

# Every password in the samples: none may ever show up in a message.
SAMPLE_PASSWORDS = ['s3cret \\"quoted\\" #1', "hunter2", "app-password-1234", "pa=ss",
                    "isp-secret", "work:secret", "gmail app password", "lanpass"]

FINGERPRINT = ":".join(["0A", "1B", "2C", "3D", "4E", "5F", "60", "71",
                        "82", "93", "A4", "B5", "C6", "D7", "E8", "F9"] * 2)


def comments(text):
    """The comments of a converted file as one line of text (notes are wrapped)."""
    return " ".join(line.lstrip("# ") for line in text.splitlines() if line.startswith("#"))


class Result:
    def __init__(self, proc, out_path):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.path = out_path
        self.text = None
        self.toml = None
        if proc.returncode == 0 and out_path and os.path.exists(out_path):
            with open(out_path, encoding="utf-8") as f:
                self.text = f.read()
            self.toml = tomllib.loads(self.text)

    @property
    def warnings(self):
        prefix = "okuru-import: warning: "
        return [line[len(prefix):] for line in self.stderr.splitlines() if line.startswith(prefix)]


class ImportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.home = os.path.join(self.tmp.name, "home")
        os.makedirs(self.home)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home,
            "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
            "XDG_STATE_HOME": os.path.join(self.home, ".local", "state"),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",  # the source tree's launcher: no __pycache__
        }
        # What the msmtp samples point at in the user's home.
        shutil.copy(os.path.join(HERE, "samples", "msmtp-aliases"),
                    os.path.join(self.home, ".msmtp-aliases"))
        with open(os.path.join(self.home, "work-ca.pem"), "w") as f:
            f.write("")
        self.n = 0

    def tearDown(self):
        self.tmp.cleanup()

    # Running things.
    def convert(self, *args, output=True):
        self.n += 1
        out = os.path.join(self.tmp.name, f"out{self.n}.toml") if output else None
        argv = [SCRIPT, *args] + (["-o", out] if output else [])
        proc = subprocess.run(argv, cwd=HERE, env=self.env, capture_output=True, text=True,
                              timeout=60)
        return Result(proc, out)

    def converted(self, *args):
        r = self.convert(*args)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        for password in SAMPLE_PASSWORDS:
            self.assertNotIn(password, r.stderr)
        return r

    def okuru(self, config, *args, stdin="Subject: test\n\nhello\n"):
        return subprocess.run([OKURU, "-C", config, *args], env=self.env, input=stdin,
                              capture_output=True, text=True, timeout=60)

    def list_accounts(self, config):
        proc = self.okuru(config, "--list-accounts", stdin="")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout.split()

    def pretend(self, config, *args):
        """okuru --pretend: one dict per submission (account, relay, auth, from, to)."""
        proc = self.okuru(config, "--pretend", *args)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        subs = []
        for line in proc.stdout.splitlines():
            if line.startswith("account:"):
                subs.append({"account": line.split()[1], "to": []})
            elif line.startswith("relay:"):
                subs[-1]["relay"] = line.split(None, 1)[1]
            elif line.startswith("auth:"):
                subs[-1]["auth"] = line.split(None, 1)[1]
            elif "MAIL FROM:<" in line:
                subs[-1]["from"] = re.search(r"MAIL FROM:<([^>]*)>", line).group(1)
            elif "RCPT TO:<" in line:
                subs[-1]["to"].append(re.search(r"RCPT TO:<([^>]*)>", line).group(1))
        self.assertTrue(subs, proc.stdout)
        return subs

    def assertWarned(self, result, *fragments):
        """Each fragment (e.g. 'file:12: proxy_host') starts one warning line."""
        for fragment in fragments:
            self.assertTrue(any(w.startswith(fragment) for w in result.warnings),
                            f"no warning starting {fragment!r} in:\n" + "\n".join(result.warnings))


class Msmtp(ImportTest):
    def test_basic(self):
        r = self.converted("samples/msmtprc-basic")
        self.assertEqual(r.toml, {
            "log_file": "~/.msmtp.log",
            "accounts": {
                "freemail": {
                    "host": "smtp.freemail.example", "port": 587, "tls": "starttls",
                    "user": "joe.smith",
                    "password_command": ["sh", "-c", "gpg --no-tty -q -d ~/.msmtp-password.gpg"],
                    "from": ["joe.smith@freemail.example"],
                },
            },
            # msmtp sent a message without -f from "from": so does okuru, for bare senders.
            "aliases": {"*": "joe.smith@freemail.example"},
        })
        self.assertEqual(len(r.warnings), 1, r.warnings)
        self.assertWarned(r, "samples/msmtprc-basic:12: from joe.smith@freemail.example: a "
                             "message without -f and without a From: address")
        self.assertEqual(self.list_accounts(r.path), ["freemail"])
        [sub] = self.pretend(r.path, "-f", "joe.smith@freemail.example", "a@b.example")
        self.assertEqual(sub["account"], "freemail")
        self.assertEqual(sub["relay"], "smtp.freemail.example:587 tls=starttls")
        self.assertEqual(sub["auth"], "user joe.smith, mechanisms automatic")
        [sub] = self.pretend(r.path, "a@b.example")
        self.assertEqual(sub["from"], "joe.smith@freemail.example")

    def test_inheritance_implicit_tls_aliases(self):
        r = self.converted("samples/msmtprc-inherit")
        work = {
            "host": "mail.work.example", "port": 587, "tls": "starttls",
            "user": "me@work.example", "password": 's3cret \\"quoted\\" #1',
            "from": ["me@work.example"], "envelope_from": "me@work.example",
            "connect_timeout": 20, "timeout": 20,
            "ca_file": "~/work-ca.pem", "system_trust": False,
        }
        isp = {
            "host": "smtp.isp.example", "port": 465, "tls": "implicit",
            "user": "me@isp.example",
            "password_command": ["sh", "-c", "pass show mail/isp | head -n 1"],
            "from": ["*@home.example"], "connect_timeout": 20, "timeout": 20,
            "fingerprint": FINGERPRINT,
        }
        self.assertEqual(r.toml, {
            "syslog": "mail",
            "accounts": {
                "work": work,
                "work-lists": dict(work, envelope_from="lists@work.example",
                                   **{"from": ["lists@work.example"]}),
                "isp": isp,
                "default": dict(isp, default=True, ehlo="box.home.example"),
            },
            "aliases": {
                "root": "me@home.example",
                "postmaster": ["me@home.example", "ops@work.example"],
                "*": "me@home.example",
            },
        })
        self.assertWarned(r, "samples/msmtprc-inherit:15: the password is written inline",
                          "samples/msmtprc-inherit:13: from me@work.example: msmtp sent every "
                          "message through this account from me@work.example unless -f",
                          "samples/msmtprc-inherit:20: from lists@work.example: msmtp sent")
        self.assertEqual(len(r.warnings), 3, r.warnings)
        # The inline password needs a private file, which -o made.
        self.assertEqual(stat.S_IMODE(os.stat(r.path).st_mode), 0o600)
        self.assertEqual(self.list_accounts(r.path), ["work", "work-lists", "isp", "default"])
        by_sender = {s: self.pretend(r.path, "-f", s, "x@y.example")[0]["account"]
                     for s in ("me@work.example", "lists@work.example", "a@home.example",
                               "a@elsewhere.example")}
        self.assertEqual(by_sender, {"me@work.example": "work",
                                     "lists@work.example": "work-lists",
                                     "a@home.example": "isp",
                                     "a@elsewhere.example": "default"})
        [sub] = self.pretend(r.path, "-f", "me@work.example", "root", "postmaster", "nobody")
        # root, postmaster and (through "*") nobody; okuru sends to each address once.
        self.assertEqual(sub["to"], ["me@home.example", "ops@work.example"])
        self.assertEqual(sub["relay"], "mail.work.example:587 tls=starttls")

    def test_unmapped_settings_are_reported(self):
        r = self.converted("samples/msmtprc-oddities")
        self.assertEqual(r.toml, {
            "domain": "legacy.example",
            "accounts": {
                "lan": {"host": "192.0.2.25", "port": 25, "tls": "none",
                        "from": ["cron@lan.example"], "envelope_from": "cron@lan.example"},
                "legacy": {
                    "host": "mail.legacy.example", "port": 587, "tls": "starttls",
                    "user": "legacy",
                    "password_command": ["secret-tool", "lookup", "host", "mail.legacy.example",
                                         "service", "smtp", "user", "legacy"],
                    "auth": ["PLAIN"], "from": ["*@legacy.example"],
                },
                "selfsigned": {
                    "host": "mail.self.example", "port": 465, "tls": "implicit",
                    "user": "me", "password": "hunter2", "from": ["me@self.example"],
                    "envelope_from": "me@self.example", "from_header": "me@self.example",
                },
            },
        })
        f = "samples/msmtprc-oddities"
        self.assertWarned(
            r,
            f"{f}:10: msmtp used no TLS here, but the account logs in",
            f"{f}:7: no password or passwordeval",
            f"{f}:14: allow_from_override off not converted",
            f"{f}:15: proxy_host not converted",
            f"{f}:16: proxy_port not converted",
            f"{f}:17: tls_min_dh_prime_bits not converted",
            f"{f}:18: dsn_notify failure not converted",
            f'{f}:19: unknown msmtp command "frobnicate"',
            f"{f}:26: tls_certcheck off not converted: okuru always verifies",
            f"{f}:33: tls_fingerprint is not a SHA-256 fingerprint",
            f"{f}:29: the password is written inline",
            f"{f}:34: eval not converted",
            f"{f}: no account is called default",
            f"{f}:5: from cron@lan.example: msmtp sent every message through this account",
        )
        self.assertEqual(len(r.warnings), 14, r.warnings)
        # The refusal to disable certificate checks is in the file too.
        self.assertIn(f"{f}:26: tls_certcheck off not converted: okuru always verifies the "
                      "server certificate", comments(r.text))
        self.assertEqual(self.list_accounts(r.path), ["lan", "legacy", "selfsigned"])
        [lan] = self.pretend(r.path, "-f", "cron@lan.example", "a@b.example")
        self.assertEqual((lan["account"], lan["relay"], lan["auth"]),
                         ("lan", "192.0.2.25:25 tls=none", "none"))
        [legacy] = self.pretend(r.path, "-f", "root", "a@b.example")
        self.assertEqual((legacy["account"], legacy["from"], legacy["auth"]),
                         ("legacy", "root@legacy.example", "user legacy, mechanisms PLAIN"))
        # No default account, as in msmtp: a message nothing claims is refused.
        self.assertEqual(self.okuru(r.path, "--pretend", "-f", "a@x.example", "b@y.example")
                         .returncode, 78)

    def test_agrees_with_msmtp(self):
        """What msmtp --pretend says about each account is what the okuru file says."""
        msmtp = shutil.which("msmtp")
        self.assertIsNotNone(msmtp, "msmtp is in the test package list")
        fakebin = os.path.join(self.tmp.name, "bin")
        os.makedirs(fakebin)
        for name in ("pass", "gpg"):  # msmtp runs passwordeval even with --pretend
            path = os.path.join(fakebin, name)
            with open(path, "w") as f:
                f.write("#!/bin/sh\necho stand-in\n")
            os.chmod(path, 0o755)
        env = dict(self.env, PATH=fakebin + ":" + self.env["PATH"])
        cases = {"msmtprc-basic": {"freemail": "freemail", "default": "freemail"},
                 "msmtprc-inherit": {"work": "work", "work-lists": "work-lists", "isp": "isp",
                                     "default": "default"}}
        for sample, accounts in cases.items():
            r = self.converted(f"samples/{sample}")
            copy = os.path.join(self.tmp.name, sample)
            shutil.copy(os.path.join(HERE, "samples", sample), copy)
            os.chmod(copy, 0o600)  # msmtp insists when the file holds a password
            for msmtp_name, okuru_name in accounts.items():
                with self.subTest(sample=sample, account=msmtp_name):
                    proc = subprocess.run([msmtp, "-C", copy, "-a", msmtp_name, "--pretend"],
                                          env=env, capture_output=True, text=True, timeout=60)
                    self.assertEqual(proc.returncode, 0, proc.stderr)
                    m = dict(line.split(" = ", 1) for line in proc.stdout.splitlines()
                             if " = " in line)
                    a = r.toml["accounts"][okuru_name]
                    self.assertEqual(a["host"], m["host"])
                    self.assertEqual(a["port"], int(m["port"]))
                    self.assertEqual(m["tls"], "on")
                    self.assertEqual(a["tls"], "starttls" if m["tls_starttls"] == "on"
                                     else "implicit")
                    self.assertEqual(a["user"], m["user"])
                    if m.get("passwordeval", "(not set)") != "(not set)":
                        self.assertEqual(a["password_command"], ["sh", "-c", m["passwordeval"]])
                    self.assertIn(m["from"], a["from"])
                    if m["timeout"] != "off":
                        self.assertEqual(a["timeout"], int(m["timeout"].split()[0]))
                    if m["domain"] != "localhost":
                        self.assertEqual(a["ehlo"], m["domain"])
                    if m["tls_fingerprint"] != "(not set)":
                        self.assertEqual(a["fingerprint"], m["tls_fingerprint"])
                    if m["tls_trust_file"] in ("system", "/etc/ssl/certs/ca-certificates.crt"):
                        self.assertNotIn("ca_file", a)
                    else:
                        self.assertEqual(os.path.expanduser(a["ca_file"].replace(
                            "~", self.home, 1)), m["tls_trust_file"])
                    syslog = {"LOG_MAIL": "mail", "(not set)": None}[m.get("syslog", "(not set)")]
                    self.assertEqual(r.toml.get("syslog"), syslog)

    def test_settings_before_any_account_form_default(self):
        path = os.path.join(self.tmp.name, "msmtprc")
        with open(path, "w") as f:
            f.write("host relay.example\nport 587\ntls\nfrom me@example.org\n")
        r = self.converted("--from", "msmtp", path)
        self.assertEqual(r.toml["accounts"], {"default": {
            "host": "relay.example", "port": 587, "tls": "starttls", "from": ["me@example.org"]}})

    def test_defaults_apply_to_the_accounts_after_them(self):
        path = os.path.join(self.tmp.name, "msmtprc")
        with open(path, "w") as f:
            f.write("defaults\nport 587\ntls on\naccount early\nhost early.example\n"
                    "defaults\nport 465\ntls_starttls off\naccount late\nhost late.example\n"
                    "account child : early\nhost child.example\n")
        r = self.converted(path)
        self.assertEqual(r.toml["accounts"], {
            "early": {"host": "early.example", "port": 587, "tls": "starttls"},
            "late": {"host": "late.example", "port": 465, "tls": "implicit"},
            # The child starts from the defaults in force, then takes what early set itself.
            "child": {"host": "child.example", "port": 465, "tls": "implicit"},
        })
        os.chmod(path, 0o600)
        for name, port, starttls in (("early", "587", "on"), ("late", "465", "off"),
                                     ("child", "465", "off")):
            proc = subprocess.run(["msmtp", "-C", path, "-a", name, "--pretend"], env=self.env,
                                  capture_output=True, text=True, timeout=60)
            m = dict(line.split(" = ", 1) for line in proc.stdout.splitlines() if " = " in line)
            self.assertEqual((m["port"], m["tls_starttls"]), (port, starttls), name)

    def test_values_okuru_would_refuse_are_left_out(self):
        path = os.path.join(self.tmp.name, "msmtprc")
        with open(path, "w") as f:
            f.write("account a\nhost a.example\nport 587\ntls on\nauth on\nuser me\n"
                    "password tab\there\n")
        r = self.converted(path)
        self.assertEqual(r.toml["accounts"]["a"], {"host": "a.example", "port": 587,
                                                    "tls": "starttls", "user": "me"})
        self.assertWarned(r, f"{path}: password of account a holds control characters")
        self.assertNotIn("tab", r.stderr)
        self.assertEqual(self.list_accounts(r.path), ["a"])
        with open(path, "w") as f:
            f.write("account a\nhost bad host\n")
        r = self.convert(path)
        self.assertEqual(r.returncode, 65)
        self.assertIn(f'{path}:2: host "bad host" is not a host name okuru accepts', r.stderr)

    def test_account_names_okuru_cannot_take(self):
        path = os.path.join(self.tmp.name, "msmtprc")
        with open(path, "w") as f:
            f.write("account me@gmail.com\nhost smtp.gmail.com\nport 587\ntls on\n"
                    "account me gmail\nhost smtp.gmail.com\nport 465\ntls on\ntls_starttls off\n")
        r = self.converted(path)
        self.assertEqual(list(r.toml["accounts"]), ["me-gmail.com", "me-gmail"])
        self.assertWarned(r, f'{path}:1: account "me@gmail.com" is called "me-gmail.com"',
                          f'{path}:5: account "me gmail" is called "me-gmail"')
        self.assertEqual(self.list_accounts(r.path), ["me-gmail.com", "me-gmail"])

    def test_protocol_other_than_smtp_or_lmtp(self):
        path = os.path.join(self.tmp.name, "msmtprc")
        with open(path, "w") as f:
            f.write("account a\nhost a.example\nport 465\ntls on\ntls_starttls off\n"
                    "protocol smtps\n")
        r = self.converted(path)
        self.assertWarned(r, f'{path}:6: protocol "smtps" not converted: msmtp knows smtp and '
                             "lmtp only")
        self.assertNotIn("LMTP", r.stderr)
        self.assertEqual(r.toml["accounts"]["a"]["tls"], "implicit")

    def test_bytes_that_are_not_utf8(self):
        """In a comment (msmtp skips them) they do not matter; in a value they do."""
        path = os.path.join(self.tmp.name, "msmtprc")
        with open(path, "wb") as f:
            f.write(b"\xef\xbb\xbf# caf\xe9\naccount a\nhost a.example\n  # \xff\xfe\n"
                    b"port 587\n")
        r = self.converted(path)
        self.assertEqual(r.toml["accounts"], {"a": {"host": "a.example", "port": 587,
                                                    "tls": "none"}})
        with open(path, "wb") as f:
            f.write(b"account a\nhost a.example\nuser ren\xe9\n")
        r = self.convert(path)
        self.assertEqual(r.returncode, 65)
        self.assertIn(f"{path}:3: not UTF-8 text", r.stderr)
        conf = os.path.join(self.tmp.name, "ssmtp.conf")
        with open(conf, "wb") as f:
            f.write(b"mailhub=mail.example.org # h\xf4te\nhostname=box.example.org\n")
        r = self.converted(conf)
        self.assertEqual(r.toml["accounts"]["example"]["host"], "mail.example.org")

    def test_broken_inheritance_is_refused(self):
        path = os.path.join(self.tmp.name, "msmtprc")
        with open(path, "w") as f:
            f.write("account a : nowhere\nhost h.example\n")
        r = self.convert(path)
        self.assertEqual(r.returncode, 65)
        self.assertIn(f"{path}:1: account a inherits from nowhere", r.stderr)
        self.assertFalse(os.path.exists(r.path))


class Ssmtp(ImportTest):
    def test_ssmtp_with_revaliases(self):
        r = self.converted("samples/ssmtp/ssmtp.conf")
        login = {"user": "admin@example.org", "password": "app-password-1234",
                 "auth": ["LOGIN"], "ehlo": "box.example.org"}
        self.assertEqual(r.toml, {
            "domain": "example.org",
            "accounts": {
                "gmail": dict(login, default=True, host="smtp.gmail.com", port=587,
                              tls="starttls"),
                "corp": dict(login, host="mail.corp.example", port=465, tls="implicit",
                             **{"from": ["backup@corp.example"]}),
            },
            "aliases": {"root": "admin@example.org", "backup": "backup@corp.example",
                        "www-data": "web@example.org"},
        })
        self.assertWarned(r, "samples/ssmtp/ssmtp.conf:24: Debug not converted",
                          "samples/ssmtp/ssmtp.conf:22: the password is written inline",
                          "samples/ssmtp/revaliases:5: ssmtp spoke STARTTLS on port 465")
        self.assertIn("(ssmtp)", r.text.splitlines()[0] + r.text.splitlines()[1])
        self.assertIn("samples/ssmtp/revaliases", r.text.split("\n\n")[0])
        self.assertEqual(self.list_accounts(r.path), ["gmail", "corp"])
        # revaliases: backup's mail leaves as backup@corp.example through its own server.
        [sub] = self.pretend(r.path, "-f", "backup", "x@y.example")
        self.assertEqual((sub["account"], sub["from"], sub["relay"]),
                         ("corp", "backup@corp.example", "mail.corp.example:465 tls=implicit"))
        [sub] = self.pretend(r.path, "-f", "root", "root", "someone")
        self.assertEqual((sub["account"], sub["from"], sub["to"]),
                         ("gmail", "admin@example.org", ["admin@example.org",
                                                         "someone@example.org"]))

    def test_implicit_tls_and_comment_cut(self):
        r = self.converted("samples/ssmtp-implicit/ssmtp.conf")
        self.assertEqual(r.toml, {
            "domain": "host.isp.example",
            "accounts": {"isp": {
                "host": "mail.isp.example", "port": 465, "tls": "implicit", "user": "user42",
                "password": "pa=ss", "auth": ["CRAM-MD5"], "ehlo": "host.isp.example"}},
        })
        f = "samples/ssmtp-implicit/ssmtp.conf"
        self.assertWarned(r, f"{f}:5: AuthPass: '#' starts a comment for ssmtp",
                          f"{f}:9: AddHeader not converted", f"{f}:5: the password is written")
        self.assertEqual(len(r.warnings), 3, r.warnings)
        self.assertIn("FromLineOverride not YES", comments(r.text))
        [sub] = self.pretend(r.path, "-f", "root", "x@y.example")
        self.assertEqual((sub["relay"], sub["auth"], sub["from"]),
                         ("mail.isp.example:465 tls=implicit", "user user42, mechanisms CRAM-MD5",
                          "root@host.isp.example"))


class Postfix(ImportTest):
    EXPECTED = {
        "domain": "example.org",
        "accounts": {
            "isp": {"default": True, "host": "smtp.isp.example", "port": 587, "tls": "starttls",
                    "user": "me@isp.example", "password": "isp-secret",
                    "auth": ["PLAIN", "LOGIN"], "from": ["alice@work.example"]},
            "work": {"host": "mail.work.example", "port": 465, "tls": "implicit",
                     "user": "me@work.example", "password": "work:secret",
                     "auth": ["PLAIN", "LOGIN"], "from": ["*@work.example"]},
            "gmail": {"host": "smtp.gmail.example", "port": 587, "tls": "starttls",
                      "user": "boss@gmail.example", "password": "gmail app password",
                      "auth": ["PLAIN", "LOGIN"], "from": ["boss@example.org"]},
            "lan-relay": {"host": "lan-relay.example", "port": 25, "tls": "starttls",
                          "user": "lanuser", "password": "lanpass", "auth": ["PLAIN", "LOGIN"]},
        },
        "routes": {"lan.example": "lan-relay", "*.lan.example": "lan-relay"},
        "aliases": {"postmaster": "admin@example.org", "root": "admin@example.org"},
    }

    def test_relayhost_sender_dependent_transport_aliases(self):
        r = self.converted("samples/postfix/main.cf")
        self.assertEqual(r.toml, self.EXPECTED)
        d = "samples/postfix"
        self.assertWarned(
            r,
            f"{d}/main.cf:14: smtp_tls_security_level = may became tls = \"starttls\": okuru "
            "never falls back to plain text",
            f"{d}/sender_relay:2: [mail.work.example]:465: Postfix spoke STARTTLS on port 465",
            f"{d}/transport:4: transport \"old.example error:this domain is gone\" not converted",
            f"{d}/sasl_passwd: passwords are written inline",
            f"{d}/aliases:3: alias root: root (a copy kept in the local mailbox) not converted",
            f"{d}/aliases:4: alias logs: |/usr/local/bin/log-mail",
            f"{d}/aliases:5: alias nobody: /dev/null",
            f"{d}/main.cf:15: smtp_tls_session_cache_database not converted",
            f"{d}/main.cf:37: both transport_maps and sender-dependent relays",
            f"{d}/main.cf: not converted, as they are about receiving or delivering mail",
        )
        grouped = next(w for w in r.warnings if "about receiving or delivering" in w)
        for name in ("smtpd_banner (line 3)", "mydestination (line 22)",
                     "inet_protocols (line 28)"):
            self.assertIn(name, grouped)
        self.assertNotIn("relayhost", grouped)
        self.assertEqual(len(r.warnings), 10, r.warnings)
        self.assertEqual(self.list_accounts(r.path), ["isp", "work", "gmail", "lan-relay"])

        def route(sender, *rcpts):
            return [(s["account"], s["from"], s["to"]) for s in self.pretend(r.path, "-f", sender,
                                                                             *rcpts)]
        self.assertEqual(route("boss@example.org", "x@y.example"),
                         [("gmail", "boss@example.org", ["x@y.example"])])
        self.assertEqual(route("someone@work.example", "x@y.example"),
                         [("work", "someone@work.example", ["x@y.example"])])
        self.assertEqual(route("alice@work.example", "x@y.example"),
                         [("isp", "alice@work.example", ["x@y.example"])])
        self.assertEqual(route("root", "a@lan.example", "b@host.lan.example", "c@y.example",
                               "postmaster"),
                         [("lan-relay", "admin@example.org", ["a@lan.example",
                                                              "b@host.lan.example"]),
                          ("isp", "admin@example.org", ["c@y.example", "admin@example.org"])])
        [sub] = self.pretend(r.path, "-f", "someone@work.example", "x@y.example")
        self.assertEqual((sub["relay"], sub["auth"]),
                         ("mail.work.example:465 tls=implicit",
                          "user me@work.example, mechanisms PLAIN LOGIN"))

    def test_postfix_dir_option(self):
        r = self.converted("--postfix-dir", "samples/postfix")
        self.assertEqual(r.toml, self.EXPECTED)
        self.assertEqual(self.convert("--postfix-dir", "samples/postfix",
                                      "samples/postfix/main.cf").returncode, 64)
        self.assertEqual(self.convert("--postfix-dir", "samples/postfix", "--from",
                                      "msmtp").returncode, 64)

    def test_mx_lookup_port_25_encrypt(self):
        r = self.converted("samples/postfix-mx/main.cf")
        self.assertEqual(r.toml, {
            "domain": "example.net",
            "accounts": {"example": {"host": "mail.example.net", "port": 25, "tls": "starttls",
                                     "ehlo": "box.example.net", "connect_timeout": 60}},
        })
        f = "samples/postfix-mx/main.cf"
        self.assertWarned(r, f"{f}:3: smtp_tls_security_level = encrypt did not verify",
                          f"{f}:2: mail.example.net: without [brackets] Postfix looked up the MX",
                          f"{f}:2: mail.example.net: no port, so Postfix used 25",
                          f"{f}:8: smtp_tls_loglevel not converted")
        self.assertIn("OP25B", next(w for w in r.warnings if "no port" in w))
        self.assertIn("587", next(w for w in r.warnings if "no port" in w))
        self.assertEqual(len(r.warnings), 4, r.warnings)
        self.assertEqual(self.list_accounts(r.path), ["example"])

    def test_direct_delivery_cannot_be_converted(self):
        r = self.convert("samples/postfix-direct/main.cf")
        self.assertEqual(r.returncode, 65)
        self.assertIn("relayhost is empty", r.stderr)
        self.assertFalse(os.path.exists(r.path))

    def test_missing_password_table(self):
        d = os.path.join(self.tmp.name, "postfix")
        shutil.copytree(os.path.join(HERE, "samples", "postfix"), d)
        os.unlink(os.path.join(d, "sasl_passwd"))
        r = self.convert(os.path.join(d, "main.cf"))
        self.assertEqual(r.returncode, 66)
        self.assertIn(f"{d}/sasl_passwd: no such file", r.stderr)

    def test_empty_tls_level_with_login_and_fallback(self):
        d = os.path.join(self.tmp.name, "pf")
        os.makedirs(d)
        with open(os.path.join(d, "main.cf"), "w") as f:
            f.write("relayhost = [a.example]:submission, [b.example]:2525\n"
                    "smtp_fallback_relay = [2001:db8::1]:587\n"
                    "smtp_sasl_auth_enable = yes\n"
                    "smtp_sasl_password_maps = texthash:$config_directory/pw\n"
                    "myorigin = example.com\nalias_maps =\n")
        with open(os.path.join(d, "pw"), "w") as f:
            f.write("a.example u:p\n")
        r = self.converted(os.path.join(d, "main.cf"))
        self.assertEqual(r.toml["accounts"], {"a": {
            "host": "a.example", "port": 587, "tls": "starttls", "user": "u", "password": "p",
            "fallback": ["b.example:2525", "[2001:db8::1]:587"]}})
        self.assertWarned(r, f"{d}/main.cf: Postfix used no TLS (smtp_tls_security_level none "
                             "or unset), but logs in")
        self.assertEqual(self.list_accounts(r.path), ["a"])


class CommandLine(ImportTest):
    def test_output_file_is_private_and_never_overwritten(self):
        out = os.path.join(self.tmp.name, "config.toml")
        with open(out, "w") as f:
            f.write("old\n")
        os.chmod(out, 0o644)
        proc = subprocess.run([SCRIPT, "samples/msmtprc-inherit", "-o", out], cwd=HERE,
                              env=self.env, capture_output=True, text=True)
        self.assertEqual(proc.returncode, 73)
        self.assertIn(f"{out} exists: not overwritten (--force replaces it)", proc.stderr)
        with open(out) as f:
            self.assertEqual(f.read(), "old\n")
        proc = subprocess.run([SCRIPT, "samples/msmtprc-inherit", "-o", out, "--force"],
                              cwd=HERE, env=self.env, capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(stat.S_IMODE(os.stat(out).st_mode), 0o600)
        self.assertEqual(os.listdir(self.tmp.name).count("config.toml"), 1)
        self.assertFalse([n for n in os.listdir(self.tmp.name) if n.startswith(".okuru-import")])
        self.assertEqual(self.list_accounts(out), ["work", "work-lists", "isp", "default"])

    def test_new_file_mode_ignores_a_loose_umask(self):
        out = os.path.join(self.tmp.name, "new.toml")
        proc = subprocess.run([SCRIPT, "samples/ssmtp/ssmtp.conf", "-o", out], cwd=HERE,
                              env=self.env, capture_output=True, text=True,
                              preexec_fn=lambda: os.umask(0))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(stat.S_IMODE(os.stat(out).st_mode), 0o600)

    def test_standard_output(self):
        r = self.convert("samples/msmtprc-basic", output=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(tomllib.loads(r.stdout)["accounts"]["freemail"]["host"],
                         "smtp.freemail.example")
        lines = r.stdout.splitlines()
        self.assertTrue(lines[0].startswith("# okuru configuration written by okuru-import from "
                                            "samples/msmtprc-basic (msmtp)"), lines[0])
        self.assertIn(datetime.date.today().isoformat(), lines[1])
        self.assertIn("okuru-import: converted samples/msmtprc-basic (msmtp) to standard output: "
                      "1 account (freemail), 1 warning", r.stderr)
        r = self.convert("samples/ssmtp/ssmtp.conf", output=False)
        self.assertIn("the output holds a password", r.stderr)

    def test_format_detection(self):
        for sample, kind in (("msmtprc-basic", "msmtp"), ("ssmtp/ssmtp.conf", "ssmtp"),
                             ("postfix-mx/main.cf", "postfix")):
            with self.subTest(kind=kind):
                path = os.path.join(self.tmp.name, f"renamed-{kind}")
                shutil.copy(os.path.join(HERE, "samples", sample), path)
                r = self.converted(path)
                self.assertIn(f"({kind})", r.text.splitlines()[0])
        path = os.path.join(self.tmp.name, "mystery")
        with open(path, "w") as f:
            f.write("something = else\n")
        r = self.convert(path)
        self.assertEqual(r.returncode, 64)
        self.assertIn("--from", r.stderr)

    def test_default_locations(self):
        xdg = os.path.join(self.home, ".config", "msmtp")
        os.makedirs(xdg)
        shutil.copy(os.path.join(HERE, "samples", "msmtprc-basic"), os.path.join(xdg, "config"))
        r = self.converted()
        self.assertIn(f"converted {xdg}/config (msmtp)", r.stderr)
        shutil.copy(os.path.join(HERE, "samples", "msmtprc-oddities"),
                    os.path.join(self.home, ".msmtprc"))
        r = self.converted()
        self.assertIn(f"converted {self.home}/.msmtprc (msmtp)", r.stderr)
        self.assertIn("selfsigned", r.toml["accounts"])

    def test_usage_errors(self):
        self.assertEqual(self.convert("no/such/file").returncode, 66)
        self.assertEqual(self.convert("--bogus").returncode, 64)
        self.assertEqual(self.convert("--from", "sendmail", "x").returncode, 64)


class KeyTable(unittest.TestCase):
    """keys.py, the one list of the keys written, in the shape of
    `okuru --list-config-keys` (dotted paths, documentation order)."""

    def test_order_and_comparison(self):
        self.assertEqual(keys.TOP_KEY_ORDER, ["domain", "log_file", "syslog"])
        self.assertEqual(keys.ACCOUNT_KEY_ORDER[:4], ["default", "host", "port", "tls"])
        listed = ["domain", "dead_letter", "log_file", "syslog", "accounts.*.host",
                  "accounts.*.default", "accounts.*.port", "routes.*"]
        missing = keys.not_listed(listed)
        self.assertIn("accounts.*.tls", missing)
        self.assertIn("aliases.*", missing)
        self.assertNotIn("domain", missing)
        self.assertEqual(keys.out_of_order(listed),
                         [("accounts.*.default", "accounts.*.host")])
        self.assertEqual(keys.not_listed(keys.WRITTEN), [])
        self.assertEqual(keys.out_of_order(keys.WRITTEN), [])

    def test_a_key_outside_the_table_is_a_bug(self):
        conv = model.Conversion("msmtp", "src")
        conv.add_account("a").values.update(host="a.example", colour="blue")
        with self.assertRaises(ValueError):
            toml_writer.render(conv, "2026-01-01")


class TomlWriter(unittest.TestCase):
    def test_strings_round_trip(self):
        for s in ["plain", 'quote " and \\ backslash', "tab\tnew\nline\rcr", "\x00\x01\x1f\x7f",
                  "ünïcödé ✓ 日本", "'single' and '''triple'''", "#not a comment", ""]:
            with self.subTest(s=s):
                self.assertEqual(tomllib.loads(f"k = {toml_writer.toml_string(s)}")["k"], s)

    def test_keys_and_values(self):
        text = "\n".join(f"{toml_writer.toml_key(k)} = {toml_writer.toml_value(v)}" for k, v in [
            ("bare-key_1", 1), ("*.lan.example", "x"), ("a b", True), ("ü", ["a", "\"b\""]),
            ("", False)])
        self.assertEqual(tomllib.loads(text), {"bare-key_1": 1, "*.lan.example": "x",
                                               "a b": True, "ü": ["a", '"b"'], "": False})

    def test_comments_stay_comments(self):
        lines = toml_writer.comment_lines("a note\nwith a newline\x1b[31m and " + "x" * 200)
        self.assertTrue(all(line.startswith("#") for line in lines))
        self.assertEqual(tomllib.loads("\n".join(lines) + "\nk = 1\n"), {"k": 1})

    def test_account_names_are_quoted_when_needed(self):
        conv = model.Conversion("msmtp", "src")
        a = conv.add_account("smtp.example.org")
        a.values.update(host="smtp.example.org", password='p"w\\')
        conv.aliases["*"] = ("*", ["me@example.org"], "src:1")
        parsed = tomllib.loads(toml_writer.render(conv, "2026-01-01"))
        self.assertEqual(parsed["accounts"]["smtp.example.org"]["password"], 'p"w\\')
        self.assertEqual(parsed["aliases"], {"*": "me@example.org"})


if __name__ == "__main__":
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        sys.exit("usage: test_okuru_import.py PATH/TO/okuru [PATH/TO/okuru-import]")
    OKURU = os.path.abspath(sys.argv.pop(1))
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        SCRIPT = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
