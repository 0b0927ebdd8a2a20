"""End-to-end tests of what a message carries (issue 10, parts 4 and 5), against the
real Postfix of postfix_harness.py:

- a message split over two accounts by [routes] reaches both recipients with one
  generated Message-ID and one Date;
- cron output with NUL bytes is delivered as okuru(8) documents (dropped from a
  header field, a space in the body), and when the submission fails the dead
  letter keeps the original bytes, which a retry (-q) then delivers the same way.

usage: /usr/bin/python3 test_postfix_content.py OKURU_BINARY [--only SUBSTR]

Exit 0 when every test passes, 1 otherwise, 77 only when Postfix cannot run here and
CI is unset (okuru's own exit codes are compared here, never passed through).
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common  # noqa: E402
from common import check, split_message, header, strip_trace  # noqa: E402
import postfix_harness  # noqa: E402


class Env:
    def __init__(self, pf, client):
        self.pf = pf
        self.client = client

    def account(self, label, **kw):
        svc = self.pf.services[label]
        return self.client.account(port=svc.port, tls=svc.tls, ca_file=self.pf.pki.ca.cert,
                                   password_file=self.pf.password_file, **kw)

    def delivered(self, count, off):
        msgs = self.pf.wait_for_messages(count)
        check(len(msgs) == count, "expected %d delivered message(s), found %d"
              % (count, len(msgs)), self.pf.log_since(off)[-3000:])
        self.pf.wait_for_log(r"(?s)(status=sent.*){%d}" % count, off)
        out = []
        for path in msgs:
            with open(path, "rb") as f:
                out.append(f.read())
        return out


def queued_by(log, label):
    return re.findall(r"postfix/%s/smtpd\[\d+\]: ([0-9A-F]+): client=" % re.escape(label), log)


def t_split_one_identity(env):
    """Two recipients, two accounts (two Postfix services): one Message-ID, one Date."""
    env.pf.clear_mail()
    one = env.account("sub")
    two = env.account("smtps", default=False)
    cfg = env.client.config(one)
    cfg["accounts"] = {"one": one, "two": two}
    cfg["routes"] = {"other.test": "two"}
    msg = (b"From: Sender <sender@example.test>\nTo: a@example.test, b@other.test\n"
           b"Subject: split over routes\n\none message, two parts\n")
    off = env.pf.log_size()
    r = env.client.run(cfg, ["-i", "a@example.test", "b@other.test"], msg)
    check(r.rc == 0, "okuru failed", r)
    msgs = env.delivered(2, off)
    log = env.pf.log_since(off)
    check(len(queued_by(log, "sub")) == 1 and len(queued_by(log, "smtps")) == 1,
          "expected one part through each account", log[-3000:])
    heads = [split_message(strip_trace(raw))[0] for raw in msgs]
    ids = [header(h, "Message-ID") for h in heads]
    dates = [header(h, "Date") for h in heads]
    check(all(len(x) == 1 for x in ids + dates), "each part has one Message-ID and one Date",
          heads)
    check(ids[0] == ids[1], "the parts carry different Message-IDs", ids)
    check(dates[0] == dates[1], "the parts carry different Dates", dates)
    delivered_to = sorted(header(split_message(raw)[0], "Delivered-To")[0] for raw in msgs)
    check(delivered_to == [b"a@example.test", b"b@other.test"], "recipients", delivered_to)


CRON_NUL = (b"From: root (Cron Daemon)\nTo: rcpt@example.test\n"
            b"Subject: Cron <root@box> dump\x00ed\n\n"
            b"before\x00after\n\x00\x00\nend\n")
# As okuru(8) says: the NUL in the header field dropped, those in the body spaces.
CRON_NUL_BODY_SENT = b"before after\n  \nend\n"


def check_nul_delivery(raw):
    headers, body = split_message(strip_trace(raw))
    check(header(headers, "Subject") == [b"Cron <root@box> dumped"],
          "Subject: the NUL is not dropped", headers)
    check(body == CRON_NUL_BODY_SENT, "body: NUL bytes not delivered as spaces", body)
    check(b"\x00" not in raw, "a NUL reached the mailbox", raw)


def t_nul_delivered(env):
    env.pf.clear_mail()
    off = env.pf.log_size()
    r = env.client.run(env.client.config(env.account("sub")), ["-i", "rcpt@example.test"],
                       CRON_NUL)
    check(r.rc == 0, "okuru refused cron output with NUL bytes", r)
    check(b"1 dropped from header fields, 3 in the body go out as spaces" in r.err,
          "no warning with the counts on stderr", r)
    (raw,) = env.delivered(1, off)
    check_nul_delivery(raw)


def t_nul_kept_then_resent(env):
    """Relay down: 75 and the original bytes in the dead letter; then resent as documented."""
    env.pf.clear_mail()
    failed = os.path.join(env.pf.dir, "failed-nul")
    down = env.client.account(port=postfix_harness.free_port(), tls="starttls",
                              ca_file=env.pf.pki.ca.cert, password_file=env.pf.password_file)
    r = env.client.run(env.client.config(down, dead_letter=failed),
                       ["-i", "rcpt@example.test"], CRON_NUL)
    check(r.rc == 75, "relay down: expected 75", r)
    new = os.path.join(failed, "new")
    names = os.listdir(new) if os.path.isdir(new) else []
    check(len(names) == 1, "the message is not kept", names)
    with open(os.path.join(new, names[0]), "rb") as f:
        saved = f.read()
    check(saved.endswith(b"\n\nbefore\x00after\n\x00\x00\nend\n"),
          "the dead letter lacks the original body bytes", saved)
    off = env.pf.log_size()
    r = env.client.run(env.client.config(env.account("sub"), dead_letter=failed),
                       ["-q"], b"")
    check(r.rc == 0, "-q (retry every kept message now) failed", r)
    (raw,) = env.delivered(1, off)
    check_nul_delivery(raw)
    check(not os.listdir(new), "the dead letter is still there after the resend",
          os.listdir(new))


def main(argv):
    pos = common.positional(argv[1:])
    only = common.arg_value(argv, "--only")
    binary = pos[0] if pos else None
    if not binary or not os.access(binary, os.X_OK):
        common.die("usage: test_postfix_content.py OKURU_BINARY [--only S]")
    postfix_harness.require_environment()
    runner = common.Runner()
    with postfix_harness.Postfix() as pf:
        env = Env(pf, common.Client("okuru", os.path.abspath(binary), pf.dir))
        runner.run_all([
            ("a message split over two accounts carries one Message-ID and Date",
             t_split_one_identity, env),
            ("cron output with NUL bytes is delivered as documented", t_nul_delivered, env),
            ("NUL bytes: the dead letter keeps them, the resend delivers as documented",
             t_nul_kept_then_resent, env),
        ], only)
    return runner.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
