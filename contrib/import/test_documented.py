#!/usr/bin/python3
"""okuru-import(1) says what each msmtp command and each ssmtp key becomes:
every one the converter knows (okuru_import.msmtp.MSMTP_COMMANDS and
MSMTP_OLD_COMMANDS, okuru_import.ssmtp.SSMTP_KEYS) appears in its section of
the page, and the converter knows each one (none is reported as unknown).

usage: /usr/bin/python3 test_documented.py OKURU_IMPORT MAN_PAGE"""

import sys
sys.dont_write_bytecode = True

import os
import re
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from okuru_import.msmtp import MSMTP_COMMANDS, MSMTP_OLD_COMMANDS  # noqa: E402
from okuru_import.ssmtp import SSMTP_KEYS  # noqa: E402

IMPORT = PAGE = None  # from argv


def rendered(page):
    env = dict(os.environ, LC_ALL="C", MANWIDTH="200", MANPAGER="cat", PAGER="cat")
    text = subprocess.run(["man", "-l", page], env=env, check=True, capture_output=True,
                          text=True).stdout
    # A word hyphenated at a line end is whole again (no name here has a hyphen).
    return re.sub(r"\s+", " ", re.sub(r"(\w)-\n\s+(\w)", r"\1\2", text))


def section(text, title, next_title):
    start = text.index(title)
    return text[start:text.index(next_title, start)]


def words(text):
    return set(re.findall(r"\w+", text))


class Documented(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.page = rendered(PAGE)

    def test_every_msmtp_command(self):
        found = words(section(self.page, "CONVERSION FROM MSMTP", "CONVERSION FROM SSMTP"))
        self.assertGreater(len(MSMTP_COMMANDS), 40)
        self.assertEqual([c for c in MSMTP_COMMANDS + MSMTP_OLD_COMMANDS if c not in found], [])

    def test_every_ssmtp_key(self):
        found = {w.lower() for w in words(section(self.page, "CONVERSION FROM SSMTP",
                                                  "CONVERSION FROM POSTFIX"))}
        self.assertGreater(len(SSMTP_KEYS), 15)
        self.assertEqual([k for k in SSMTP_KEYS.values() if k.lower() not in found], [])
        self.assertIn("revaliases", found)

    def test_the_converter_knows_them(self):
        """A file holding every msmtp command (or every ssmtp key) converts, and
        none is called unknown."""
        with tempfile.TemporaryDirectory() as d:
            msmtprc = os.path.join(d, "msmtprc")
            with open(msmtprc, "w") as f:
                valid = {"port": "587", "tls": "on", "tls_starttls": "on"}
                f.write("account a\nhost a.example\n" + "".join(
                    f"{c} {valid.get(c, 'x')}\n" for c in MSMTP_COMMANDS + MSMTP_OLD_COMMANDS
                    if c not in ("defaults", "account", "host")))
            ssmtp = os.path.join(d, "ssmtp.conf")
            with open(ssmtp, "w") as f:
                valid = {"MailHub": "mail.example.org", "RemotePort": "587"}
                f.write("".join(f"{k}={valid.get(k, 'x')}\n" for k in SSMTP_KEYS.values()))
            for path, kind in ((msmtprc, "msmtp"), (ssmtp, "ssmtp")):
                r = subprocess.run([IMPORT, "--from", kind, path], capture_output=True,
                                   text=True, env=dict(os.environ, HOME=d), timeout=60)
                self.assertNotIn("Traceback", r.stderr)
                self.assertNotIn("unknown", r.stderr)
                self.assertTrue(r.stderr.count("warning:") > 5, r.stderr)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: test_documented.py OKURU_IMPORT MAN_PAGE")
    IMPORT, PAGE = (os.path.abspath(a) for a in sys.argv[1:3])
    del sys.argv[1:3]
    unittest.main(verbosity=2)
