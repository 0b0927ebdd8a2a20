#!/usr/bin/python3
"""No secret printed: every input of samples/ and corpus/ whose passwords are
known is converted, to standard output and with -o, and none of its
passwords may appear on standard output or standard error, nor in any line of
the result other than a `password = ...` line. A few broken inputs check the
error paths the same way.

usage: /usr/bin/python3 test_no_secret.py OKURU_IMPORT"""

import sys
sys.dont_write_bytecode = True

import os
import re
import shutil
import subprocess
import tempfile
import tomllib
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
IMPORT = None  # from argv

# Every input with a password, and its passwords (as the source writes them,
# and as the converter reads them where that differs: ssmtp cuts at '#').
PASSWORDS = {
    "samples/msmtprc-inherit": ['s3cret \\"quoted\\" #1'],
    "samples/msmtprc-oddities": ["hunter2"],
    "samples/ssmtp/ssmtp.conf": ["app-password-1234"],
    "samples/ssmtp-implicit/ssmtp.conf": ["pa=ss#word", "pa=ss"],
    "samples/postfix/main.cf": ["isp-secret", "work:secret", "gmail app password", "lanpass"],
    "corpus/msmtp-from-single": ["corpus-gmail-app-pw"],
    "corpus/msmtp-from-multi": ["corpus-fastmail-pw", "corpus-work-pw"],
    "corpus/msmtp-from-user": ["corpus-relay-pw"],
    "corpus/msmtp-no-from": ["corpus-isp-pw"],
    "corpus/msmtp-465-starttls": ["corpus-mailbox-pw"],
    "corpus/msmtp-syslog-one-account": ["corpus-work-kim-pw", "corpus-home-kim-pw"],
    "corpus/msmtp-trust-files": ["corpus-mac-pw", "corpus-fedora-pw", "corpus-certs-pw",
                                 "corpus-corp-pw"],
    "corpus/msmtp-bridges": ["corpus-bridge-pw", "corpus-davmail-pw"],
    "corpus/postfix-static/main.cf": ["corpus-static-pw"],
    "corpus/postfix-inline/main.cf": ["corpus-inline-pw", "corpus inline pw 2"],
    "corpus/ssmtp-root-revaliases/ssmtp.conf": ["corpus-ssmtp-pw"],
    "corpus/msmtp-bom-latin1": ["corpus-latin1-pw"],
    "corpus/ssmtp-root-two-servers/ssmtp.conf": ["corpus-corp-box-pw"],
}

# Inputs that cannot be converted, or lose their password, for a reason that
# involves it: (name, file contents {relative path: text}, the file to convert,
# expected status, passwords).
BROKEN = [
    ("msmtp password with a control character",
     {"msmtprc": "account a\nhost a.example\nauth on\nuser u\npassword ctl\x01secret-1\n"},
     "msmtprc", 0, ["ctl\x01secret-1", "secret-1"]),
    ("Postfix sasl_passwd entry without a user",
     {"main.cf": "relayhost = [r.example]:587\nsmtp_sasl_auth_enable = yes\n"
                 "smtp_sasl_password_maps = hash:$config_directory/pw\nalias_maps =\n",
      "pw": "[r.example]:587 only-a-secret-2\n"},
     "main.cf", 65, ["only-a-secret-2"]),
    ("Postfix static: value without a user",
     {"main.cf": "relayhost = [r.example]:587\nsmtp_sasl_auth_enable = yes\n"
                 "smtp_sasl_password_maps = static:{:static secret 3}\nalias_maps =\n"},
     "main.cf", 65, ["static secret 3"]),
    ("Postfix tables it cannot read",
     {"main.cf": "relayhost = [r.example]:587\nsmtp_sasl_auth_enable = yes\n"
                 "smtp_sasl_password_maps = pipemap:{inline:{r=u:pipe-secret-4}, static:x},"
                 " randmap:{u:rand-secret-5}\n"
                 "sender_dependent_relayhost_maps = static:u:relay-secret-6\nalias_maps =\n"},
     "main.cf", 0, ["pipe-secret-4", "rand-secret-5", "relay-secret-6"]),
    ("inline: entry that is not key=value",
     {"main.cf": "relayhost = [r.example]:587\nsmtp_sasl_auth_enable = yes\n"
                 "smtp_sasl_password_maps = inline:{ no-equals-secret-7 }\nalias_maps =\n"},
     "main.cf", 0, ["no-equals-secret-7"]),
]


def forms(password):
    """The password, and how a TOML string or a Python repr would write it."""
    toml = password.replace("\\", "\\\\").replace('"', '\\"')
    return {password, toml, repr(password)[1:-1]} - {""}


class NoSecret(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="okuru-no-secret-")
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home)
        # What the inputs name in the user's home (so that the conversions go
        # through the paths that print most).
        shutil.copy(os.path.join(HERE, "samples", "msmtp-aliases"),
                    os.path.join(self.home, ".msmtp-aliases"))
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
                    "LANG": "C.UTF-8", "HOSTNAME": "box.corpus.example"}

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def convert(self, path, *args, cwd=HERE):
        return subprocess.run([IMPORT, path, *args], cwd=cwd, env=self.env,
                              capture_output=True, text=True, timeout=60)

    def assert_hidden(self, passwords, where, text):
        for password in passwords:
            for form in forms(password):
                self.assertNotIn(form, text, f"a password ({password!r}) in {where}")

    def assert_output_clean(self, passwords, text):
        """Only `password = ...` lines may hold a password; every password written
        there is a known one (so this table misses none)."""
        for no, line in enumerate(text.splitlines(), 1):
            if not line.startswith("password = "):
                self.assert_hidden(passwords, f"line {no} of the result", line)
        for account in tomllib.loads(text).get("accounts", {}).values():
            if "password" in account:
                self.assertIn(account["password"], passwords)

    def test_every_input_with_a_password(self):
        for name, passwords in PASSWORDS.items():
            with self.subTest(input=name):
                r = self.convert(name)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assert_hidden(passwords, "standard error", r.stderr)
                self.assert_output_clean(passwords, r.stdout)
                out = os.path.join(self.tmp, "out.toml")
                r = self.convert(name, "-o", out, "--force")
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(r.stdout, "")
                self.assert_hidden(passwords, "standard error", r.stderr)
                with open(out, encoding="utf-8") as f:
                    self.assert_output_clean(passwords, f.read())

    def test_every_input_is_listed(self):
        """An input holding a password line that this table does not list fails."""
        found = set()
        for base in ("samples", "corpus"):
            for root, _, files in os.walk(os.path.join(HERE, base)):
                for f in files:
                    rel = os.path.relpath(os.path.join(root, f), HERE)
                    with open(os.path.join(HERE, rel), encoding="utf-8",
                              errors="replace") as fh:
                        text = fh.read()
                    if re.search(r"(?im)^\s*(password\s|authpass\s*=|smtp_sasl_password_maps)",
                                 text):
                        found.add(rel)
        self.assertEqual(sorted(found - set(PASSWORDS)), [])

    def test_broken_inputs(self):
        for what, files, main, status, passwords in BROKEN:
            with self.subTest(input=what):
                d = tempfile.mkdtemp(dir=self.tmp)
                for rel, text in files.items():
                    with open(os.path.join(d, rel), "w", encoding="utf-8") as f:
                        f.write(text)
                r = self.convert(os.path.join(d, main), "--from",
                                 "postfix" if main == "main.cf" else "msmtp", cwd=d)
                self.assertEqual(r.returncode, status, r.stderr)
                self.assertNotIn("Traceback", r.stderr)
                self.assert_hidden(passwords, "standard error", r.stderr)
                if r.returncode == 0:
                    self.assert_output_clean([], r.stdout)
                    self.assert_hidden(passwords, "the result", r.stdout)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: test_no_secret.py OKURU_IMPORT")
    IMPORT = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
