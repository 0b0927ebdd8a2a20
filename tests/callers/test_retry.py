#!/usr/bin/python3
"""Retries by the timer's command (issue 10, part 2) against the real Postfix of
tests/integration: a message kept while the relay is down is not retried by
`okuru --resend-failed` before its backoff has passed, is sent by `okuru -q`
(and by --resend-failed once its recorded next attempt is past); a message
whose recorded first attempt is 6 days old is moved aside, not delivered; a
message Postfix refuses with 550 on retry is moved aside at once. Real time,
with the fields recorded in the kept file edited where a test needs the past.

usage: /usr/bin/python3 test_retry.py OKURU_BINARY     exit 0 when all pass, 1 otherwise
"""
import email
import email.policy
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import common  # noqa: E402
import postfix_harness  # noqa: E402

OKURU = os.path.abspath(sys.argv[1])
check = common.SoftChecks()


class RefusingPostfix(postfix_harness.Postfix):
    """The harness's Postfix, refusing refused@example.test with 550 before the
    SASL login would permit it."""

    def _configure(self):
        super()._configure()
        access = os.path.join(self.conf, "refuse")
        self._write(access, "/^refused(-first|-never)?@/ 550 5.1.1 no such user here\n")
        main = os.path.join(self.conf, "main.cf")
        with open(main) as f:
            text = f.read()
        old = "smtpd_recipient_restrictions = permit_sasl_authenticated, reject"
        assert old in text
        text = text.replace(old, "smtpd_recipient_restrictions = check_recipient_access "
                            "regexp:%s, permit_sasl_authenticated, reject" % access)
        self._write(main, text)


class Setup:
    def __init__(self, pf, d):
        self.pf = pf
        self.d = d
        self.failed = os.path.join(d, "failed")
        self.cfg = os.path.join(d, "okuru.toml")
        self.log = os.path.join(d, "okuru.log")
        self.down = postfix_harness.free_port()  # nothing listens there

    def config(self, up):
        svc = self.pf.services["sub"]
        with open(self.cfg, "w") as f:
            f.write('dead_letter = "%s"\nmax_age = "5d"\nlog_file = "%s"\n'
                    '[accounts.relay]\nhost = "localhost"\n'
                    'port = %d\ntls = "starttls"\nca_file = "%s"\nuser = "%s"\n'
                    'password_file = "%s"\nconnect_timeout = 5\n'
                    % (self.failed, self.log, svc.port if up else self.down, self.pf.pki.ca.cert,
                       self.pf.USER, self.pf.password_file))

    def okuru(self, *args, stdin=b""):
        return subprocess.run([OKURU, "-C", self.cfg, *args], input=stdin, capture_output=True,
                              timeout=120)

    def keep(self, rcpt, marker, *args):
        """Submits with the relay down (and `args`); returns the kept file's path."""
        self.config(up=False)
        before = set(self.kept())
        msg = b"Subject: retry test\n\n" + marker + b"\n"
        r = self.okuru("-i", "-f", "sender@example.test", *args, rcpt, stdin=msg)
        check(r.returncode == 75, "relay down: exit 75 (got %d)" % r.returncode, r.stderr)
        new = [p for p in self.kept() if p not in before]
        check(len(new) == 1, "relay down: the message is kept once")
        self.config(up=True)
        return new[0] if new else ""

    def kept(self, sub=""):
        out = []
        for part in ("new", "cur"):
            d = os.path.join(self.failed, sub, part)
            if os.path.isdir(d):
                out += [os.path.join(d, n) for n in sorted(os.listdir(d))]
        return out

    def delivered_with(self, marker):
        self.pf.settle()
        return [p for p in self.pf.messages() if marker in open(p, "rb").read()]


def field(path, name):
    with open(path, "rb") as f:
        m = re.search(rb"^" + name.encode() + rb": (.*)$", f.read(), re.M)
    return m.group(1).decode() if m else None


def set_field(path, name, value):
    with open(path, "rb") as f:
        text = f.read()
    text = re.sub(rb"^" + name.encode() + rb": .*$", name.encode() + b": " + value.encode(),
                  text, count=1, flags=re.M)
    with open(path, "wb") as f:
        f.write(text)


def notices_for(s, rcpt):
    """The failure notices (RFC 3464) Postfix delivered that name `rcpt`, parsed
    with Python's email package."""
    s.pf.settle()
    out = []
    for p in s.pf.messages():
        with open(p, "rb") as f:
            m = email.message_from_binary_file(f, policy=email.policy.default)
        if m.get_content_type() != "multipart/report":
            continue
        status = [part for part in m.walk() if part.get_content_type() == "message/delivery-status"]
        if status and ("rfc822;" + rcpt).lower() in status[0].as_string().replace(" ", "").lower():
            out.append(m)
    return out


def check_notice(s, rcpt, reply_text):
    """The sender got exactly one well-formed notice for `rcpt`, quoting `reply_text`."""
    found = notices_for(s, rcpt)
    check(len(found) == 1, "the sender got one failure notice for %s (got %d)" % (rcpt, len(found)))
    if not found:
        return
    m = found[0]
    check(m.get_param("report-type") == "delivery-status", "report-type=delivery-status")
    check("sender@example.test" in m["To"], "the notice goes to the envelope sender", m["To"])
    check(m["Auto-Submitted"] == "auto-replied", "it is marked Auto-Submitted: auto-replied")
    parts = [p.get_content_type() for p in m.walk()][1:]
    check(parts[:1] == ["text/plain"] and "message/delivery-status" in parts
          and "text/rfc822-headers" in parts, "three parts: text, delivery-status, headers", parts)
    text = m.get_body(("plain",)).get_content()
    check(rcpt in text and reply_text in text, "the text names %s and the reply" % rcpt, text)
    check("Action: failed" in m.as_string(), "Action: failed")
    check("Subject: retry test" in m.as_string(), "the original headers are enclosed")


def t_backoff(s):
    path = s.keep("rcpt@example.test", b"marker-backoff")
    now = int(time.time())
    first = int(field(path, "X-Okuru-First-Attempt") or 0)
    nxt = int(field(path, "X-Okuru-Next-Attempt") or 0)
    check(abs(first - now) < 60 and nxt - first == 300 and field(path, "X-Okuru-Attempts") == "1",
          "the kept file records the first attempt, 1 attempt, the next 5 minutes later")

    off = s.pf.log_size()
    r = s.okuru("--resend-failed")
    check(r.returncode == 0, "--resend-failed with nothing due exits 0 (got %d)" % r.returncode,
          r.stderr)
    check(b"not due" in r.stderr, "--resend-failed says a message is not due yet", r.stderr)
    check(os.path.exists(path), "a message not due stays kept")
    time.sleep(1)
    check("smtpd" not in s.pf.log_since(off) and not s.delivered_with(b"marker-backoff"),
          "--resend-failed did not connect to the relay for a message not due")

    r = subprocess.run([OKURU, "-C", s.cfg, "-bp"], capture_output=True, timeout=60)
    check(b"next attempt" in r.stdout, "mailq shows the next attempt", r.stdout)

    r = s.okuru("-q")
    check(r.returncode == 0, "-q exits 0 (got %d)" % r.returncode, r.stderr)
    check(len(s.delivered_with(b"marker-backoff")) == 1, "-q delivered it, once")
    check(s.kept() == [], "-q removed it from the dead letters")


def t_due(s):
    path = s.keep("rcpt@example.test", b"marker-due")
    set_field(path, "X-Okuru-Next-Attempt", str(int(time.time()) - 1))
    r = s.okuru("--resend-failed")
    check(r.returncode == 0, "--resend-failed of a due message exits 0 (got %d)" % r.returncode,
          r.stderr)
    check(len(s.delivered_with(b"marker-due")) == 1, "a due message is sent by --resend-failed")
    check(s.kept() == [], "and removed from the dead letters")


def t_backoff_grows(s):
    path = s.keep("rcpt@example.test", b"marker-grows")
    s.config(up=False)
    r = s.okuru("-q")
    check(r.returncode == 75, "-q with the relay still down exits 75 (got %d)" % r.returncode)
    check(os.path.exists(path) and field(path, "X-Okuru-Attempts") == "2",
          "a failed retry is recorded: 2 attempts")
    first = int(field(path, "X-Okuru-First-Attempt") or 0)
    nxt = int(field(path, "X-Okuru-Next-Attempt") or 0)
    check(nxt - int(time.time()) in range(590, 601), "the next wait doubled to 10 minutes")
    check(first <= int(time.time()), "the first attempt is kept")
    s.config(up=True)
    s.okuru("-q")
    check(len(s.delivered_with(b"marker-grows")) == 1 and s.kept() == [],
          "the relay back, -q delivers it once")


def t_expired(s):
    path = s.keep("rcpt@example.test", b"marker-expired")
    six_days_ago = int(time.time()) - 6 * 86400
    set_field(path, "X-Okuru-First-Attempt", str(six_days_ago))
    set_field(path, "X-Okuru-Next-Attempt", str(six_days_ago + 300))
    r = s.okuru("--resend-failed")
    check(r.returncode == 0, "--resend-failed giving a message up exits 0 (got %d)"
          % r.returncode, r.stderr)
    check(s.kept() == [], "the expired message left the dead letters")
    aside = s.kept(".given-up")
    check(len(aside) == 1, "the expired message is in the given-up Maildir", aside)
    if aside:
        body = open(aside[0], "rb").read()
        check(b"marker-expired" in body and b"X-Okuru-Given-Up: not delivered for 5 days" in body,
              "it is kept whole, with why it was given up", body[:600])
    check(b"given up" in r.stderr, "stderr says it was given up", r.stderr)
    check(not s.delivered_with(b"marker-expired"), "the expired message was not delivered")
    logged = open(s.log).read() if os.path.exists(s.log) else ""
    check(re.search(r' status=given-up error="not delivered for 5 days: [^"]*" exit=69 saved="[^"]*'
                    r'\.given-up/new/', logged) is not None,
          "the log records it as given up, with where it went", logged[-800:])
    r = subprocess.run([OKURU, "-C", s.cfg, "-bp"], capture_output=True, timeout=60)
    check(b"given up" in r.stdout and b".given-up" in r.stdout,
          "mailq lists the given-up message separately", r.stdout)
    check_notice(s, "rcpt@example.test", "not delivered for 5 days")


def t_refused(s):
    path = s.keep("refused@example.test", b"marker-refused")
    r = s.okuru("-q")
    check(r.returncode == 67, "a retry refused with 550 exits 67 (got %d)" % r.returncode,
          r.stderr)
    check(not os.path.exists(path) and s.kept() == [],
          "the refused message is not kept for another retry")
    aside = [p for p in s.kept(".given-up") if b"marker-refused" in open(p, "rb").read()]
    check(len(aside) == 1, "the refused message is moved aside at once")
    if aside:
        check(b"550 5.1.1" in open(aside[0], "rb").read(), "with the server's reply recorded")
    check_notice(s, "refused@example.test", "550 5.1.1")
    off = s.pf.log_size()
    r = s.okuru("-q")
    time.sleep(1)
    check("refused@example.test" not in s.pf.log_since(off), "it is never tried again")


def t_dsn_kept(s):
    """-N, -R and -V are the envelope's: kept with the message and sent again."""
    path = s.keep("rcpt@example.test", b"marker-dsn", "-N", "failure,delay", "-R", "hdrs",
                  "-V", "order-77")
    check(field(path, "X-Okuru-Notify") == "FAILURE,DELAY" and field(path, "X-Okuru-Ret") == "HDRS"
          and field(path, "X-Okuru-Envid") == "order-77", "the kept file records -N, -R and -V")
    r = s.okuru("-q", "-v")
    err = r.stderr.decode(errors="replace")
    check(r.returncode == 0, "-q exits 0 (got %d)" % r.returncode, err)
    check(re.search(r"MAIL FROM:<sender@example\.test>[^\n]* RET=HDRS ENVID=order-77", err)
          is not None, "the retry's MAIL FROM carries RET and ENVID again", err[-1500:])
    check(re.search(r"RCPT TO:<rcpt@example\.test> NOTIFY=FAILURE,DELAY", err) is not None,
          "the retry's RCPT TO carries NOTIFY again", err[-1500:])
    check(len(s.delivered_with(b"marker-dsn")) == 1, "and the message is delivered once")


def t_refused_never(s):
    """-N never holds for a message given up at a retry: no notice of okuru's."""
    path = s.keep("refused-never@example.test", b"marker-never", "-N", "never")
    check(field(path, "X-Okuru-Notify") == "NEVER", "the kept file records -N never")
    r = s.okuru("-q")
    check(r.returncode == 67, "the retry refused with 550 exits 67 (got %d)" % r.returncode,
          r.stderr)
    aside = [p for p in s.kept(".given-up") if b"marker-never" in open(p, "rb").read()]
    check(len(aside) == 1, "the refused message is moved aside")
    s.pf.settle()
    check(notices_for(s, "refused-never@example.test") == [],
          "the sender asked for no notice and got none")


def t_refused_first(s):
    """A 5xx at the first submission: never kept for a retry, put aside at once,
    the sender told."""
    s.config(up=True)
    msg = b"Subject: retry test\n\nmarker-refused-first\n"
    r = s.okuru("-i", "-f", "sender@example.test", "refused-first@example.test", stdin=msg)
    check(r.returncode == 67, "a first submission refused with 550 exits 67 (got %d)"
          % r.returncode, r.stderr)
    check(not [p for p in s.kept() if b"marker-refused-first" in open(p, "rb").read()],
          "it is not kept for retries")
    aside = [p for p in s.kept(".given-up") if b"marker-refused-first" in open(p, "rb").read()]
    check(len(aside) == 1, "it is in the given-up folder at once", r.stderr)
    if aside:
        check(b"X-Okuru-Given-Up: refused by the server" in open(aside[0], "rb").read(),
              "with why it was given up")
    check_notice(s, "refused-first@example.test", "550 5.1.1")


def main():
    postfix_harness.require_environment()
    with tempfile.TemporaryDirectory() as d, RefusingPostfix() as pf:
        os.chmod(d, 0o755)
        check.each((t_backoff, t_due, t_backoff_grows, t_expired, t_refused, t_dsn_kept,
                    t_refused_never, t_refused_first),
                   Setup(pf, d))
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
