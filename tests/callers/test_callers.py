#!/usr/bin/python3
"""okuru --pretend for every caller invocation of issue 2: each command line is
taken exactly as the real program writes it, and the chosen account, envelope
and final headers are asserted. Exits 0 when all pass, 1 otherwise."""
import os
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import common  # noqa: E402

OKURU = sys.argv[1]

CONFIG = """
domain = "host.example"

[aliases]
root = "admin@example.org"

[defaults]
password_command = ["/bin/false"]

[accounts.isp]
default = true
host = "smtp.isp.example"
user = "admin@example.org"
from = ["*@example.org", "*@x.example"]

[accounts.lan]
host = "mail.lan.example"
port = 25
tls = "starttls"
from = ["*@lan.example"]

[routes]
"y.example" = "lan"
"""

CRON_MSG = b"From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@box> run-parts\n\nline 1\n.\nline 3\n"
PHP_MSG = b"To: a@x.example\r\nCc: bob\nBcc: secret@x.example\r\nSubject: php\r\n\r\nhello\n"
MUTT_MSG = b"From: Me <me@x.example>\nTo: a@x.example, b@y.example\nBcc: hidden@x.example\nSubject: m\n\nbody\n"

# (name, argv, stdin, expected substrings in stdout, forbidden substrings)
CASES = [
    ("debian cron", ["-i", "-FCronDaemon", "-B8BITMIME", "-oem", "root"], CRON_MSG,
     ["account:   isp", "MAIL FROM:<admin@example.org>", "RCPT TO:<admin@example.org>",
      "From: Cron Daemon <admin@example.org>",
      "To: admin@example.org", "Date: ", "Message-ID: <"], []),
    # cron's MAILTO="a@x.example,b@y.example" reaches sendmail as ONE argument.
    ("debian cron, MAILTO list", ["-i", "-FCronDaemon", "-B8BITMIME", "-oem",
                                  "a@x.example,b@y.example, Bob <bob@lan.example>"], CRON_MSG,
     ["RCPT TO:<a@x.example>", "RCPT TO:<b@y.example>", "RCPT TO:<bob@lan.example>"],
     ["RCPT TO:<a@x.example,"]),
    ("cronie", ["-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f", "user"], CRON_MSG,
     ["MAIL FROM:<user@host.example>", "RCPT TO:<admin@example.org>"], []),
    ("anacron (no -i: a lone dot ends input)", ["-FAnacron", "-odi", "root"], CRON_MSG,
     ["RCPT TO:<admin@example.org>", "body:      8 bytes"], []),
    ("systemd-cron", ["-i", "-B", "8BITMIME", "root"], CRON_MSG,
     ["RCPT TO:<admin@example.org>", "body:      19 bytes"], []),
    ("php mail()", ["-t", "-i"], PHP_MSG,
     ["RCPT TO:<a@x.example>", "RCPT TO:<bob@host.example>", "RCPT TO:<secret@x.example>",
      "Cc: bob@host.example", "To: a@x.example"], ["Bcc", "secret@x.example>\n  "]),
    ("php mail() with -f", ["-t", "-i", "-fapp@example.org"], PHP_MSG,
     ["account:   isp", "MAIL FROM:<app@example.org>", "From: app@example.org"], ["Bcc:"]),
    ("mutt", ["-oem", "-oi", "-B8BITMIME", "-f", "me@x.example", "-N", "failure,delay", "-R", "hdrs",
              "--", "a@x.example", "b@y.example"], MUTT_MSG,
     ["account:   isp (sender me@x.example", "RCPT TO:<a@x.example>", "RCPT TO:<b@y.example>",
      "From: Me <me@x.example>"], ["Bcc:", "hidden", "account:   lan"]),
    ("split by recipient domain when no from pattern matches",
     ["-i", "-f", "other@z.example", "a@x.example", "b@y.example"], MUTT_MSG,
     ["account:   isp (default", "RCPT TO:<a@x.example>", "account:   lan (recipient domain y.example",
      "RCPT TO:<b@y.example>"], []),
    ("git send-email", ["-i", "-f", "me@x.example", "a@x.example", "b@y.example"], MUTT_MSG,
     ["MAIL FROM:<me@x.example>", "RCPT TO:<a@x.example>", "RCPT TO:<b@y.example>"], ["Bcc:"]),
    ("mailx", ["-i", "--", "a@x.example"], b"Subject: s\nBcc: hidden@x.example\n\nhi\n",
     ["RCPT TO:<a@x.example>"], ["Bcc:", "hidden"]),
    ("bsd-mailx with full name", ["-i", "-F", "Doe, John", "-f", "me@x.example", "--", "a@x.example"],
     b"Subject: s\nBcc: hidden@x.example\n\nhi\n",
     ['From: "Doe, John" <me@x.example>'], ["Bcc:"]),
    ("logwatch", ["-t"], b"From: Logwatch\nTo: root\nSubject: Logwatch\n\nreport\n",
     ["RCPT TO:<admin@example.org>", "From: Logwatch@host.example"], []),
    ("unattended-upgrades", ["-oi", "-t"], b"To: root\nSubject: u\n\nx\n",
     ["RCPT TO:<admin@example.org>"], []),
    ("mdadm", ["-t", "-froot"], b"From: mdadm monitoring <root>\nTo: root\nSubject: Fail\n\nx\n",
     ["MAIL FROM:<admin@example.org>", "From: mdadm monitoring <admin@example.org>"], []),
    ("fail2ban", ["-f", "root@host.example", "root@localhost"], b"Subject: banned\n\nx\n",
     ["MAIL FROM:<root@host.example>", "RCPT TO:<admin@example.org>"], ["RCPT TO:<root@localhost>"]),
    ("at", ["-i", "user"], b"Subject: Output from your job\n\nx\n",
     ["RCPT TO:<user@host.example>"], []),
    ("-a forces the account", ["-a", "lan", "-i", "a@x.example"], b"Subject: s\n\nx\n",
     ["account:   lan (-a", "RCPT TO:<a@x.example>"], []),
]

# (name, argv, stdin, expected exit code, expected words in stderr)
FAILURES = [
    ("sender that is an option (CVE-2016-10033)", ["-f", "-X/tmp/log", "a@x.example"], b"x\n", 64, ["-X/tmp/log"]),
    ("recipient with CR LF", ["--", "a@x.example\r\nRCPT TO:<evil@x.example>"], b"x\n", 65, ["recipient"]),
    ("recipient with space", ["--", "a b@x.example"], b"x\n", 65, ["recipient"]),
    ("sender with >", ["-f", "a@x>", "b@x.example"], b"x\n", 65, ["sender"]),
    ("unknown option", ["-Z", "a@x.example"], b"x\n", 64, ["-Z"]),
    ("no recipients", ["-i"], b"Subject: s\n\nx\n", 64, ["recipient"]),
    ("empty message", ["a@x.example"], b"", 65, ["empty"]),
    ("-bd has no daemon mode", ["-bd"], b"", 64, ["daemon"]),
]


def run(argv, stdin, cfg):
    return subprocess.run([OKURU, "-C", cfg, "--pretend"] + argv, input=stdin,
                          capture_output=True, timeout=30)


def main():
    check = common.SoftChecks()
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "config.toml")
        with open(cfg, "w") as f:
            f.write(CONFIG)
        os.chmod(cfg, 0o600)
        for name, argv, stdin, want, forbid in CASES:
            p = run(argv, stdin, cfg)
            out = p.stdout.decode(errors="replace")
            problems = []
            if p.returncode != 0:
                problems.append("exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace").strip()))
            for w in want:
                if not any(alt in out for alt in w.split("|")):
                    problems.append("missing %r" % w)
            for w in forbid:
                if w in out:
                    problems.append("unexpected %r" % w)
            check(not problems, name, "; ".join(problems) + "\n--- output ---\n" + out)
        for name, argv, stdin, code, words in FAILURES:
            p = run(argv, stdin, cfg)
            err = p.stderr.decode(errors="replace")
            problems = []
            if p.returncode != code:
                problems.append("exit %d, want %d" % (p.returncode, code))
            for w in words:
                if w not in err:
                    problems.append("stderr lacks %r" % w)
            if p.stdout:
                problems.append("printed a plan: %r" % p.stdout[:200])
            check(not problems, "%s (exit %d)" % (name, code),
                  "; ".join(problems) + "\n--- stderr ---\n" + err)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
