"""Partial delivery and failure notices against a real Postfix (issue 10, part 3).

A recipient access table makes Postfix refuse one recipient (550) and defer
another (450) while it accepts a third. okuru must deliver to the accepted one
exactly once, send the sender an RFC 3464 notice for the refused one, keep the
message for the deferred one only, and deliver it to that one alone after the
table changes and `okuru -q` retries. partial_delivery = false keeps
the all-or-nothing behaviour; a null-sender message or a notice gets no notice.

usage: /usr/bin/python3 test_partial.py OKURU_BINARY [--only SUBSTR]
Exit 0 when every test passes, 1 otherwise (77 only outside CI without Postfix).
"""

import email
import email.policy
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common  # noqa: E402
from common import check  # noqa: E402
import postfix_harness  # noqa: E402

SENDER = "me@example.test"
OK, REJECT, DEFER = "ok@example.test", "reject@example.test", "defer@example.test"
BOTH = ("%s 550 5.1.1 no such user here\n%s 450 4.2.0 mailbox busy, try later\n"
        % (REJECT, DEFER))
ONLY_REJECT = "%s 550 5.1.1 no such user here\n" % REJECT


class Env:
    def __init__(self, pf, binary):
        self.pf = pf
        self.client = common.Client("okuru", binary, pf.dir)
        self.failed = os.path.join(pf.dir, "failed")

    def config(self, label="sub", **top):
        svc = self.pf.services[label]
        acc = self.client.account(port=svc.port, tls=svc.tls, ca_file=self.pf.pki.ca.cert,
                                  password_file=self.pf.password_file)
        return self.client.config(acc, **top)

    def run(self, args, msg=b"", label="sub", **top):
        return self.client.run(self.config(label, **top), list(args), msg)

    def reset(self, table, settle=True):
        """A new table, an empty Maildir and no kept message. settle=False after a
        transaction okuru abandoned: Postfix logged a queue id for it that it
        never removes, so waiting for the queue to empty would time out."""
        self.pf.set_recipient_access(table)
        if settle:
            self.pf.clear_mail()
        else:
            for p in self.pf.messages():
                os.unlink(p)
        shutil.rmtree(self.failed, ignore_errors=True)

    def mail(self, count):
        """The delivered messages (exactly `count`), keyed by Delivered-To."""
        msgs = self.pf.wait_for_messages(count)
        check(self.pf.settle(), "Postfix did not empty its queue")
        msgs = self.pf.messages()
        check(len(msgs) == count, "expected %d delivered message(s), found %d"
              % (count, len(msgs)), self.pf.log_text()[-3000:])
        out = {}
        for path in msgs:
            with open(path, "rb") as f:
                m = email.message_from_bytes(f.read(), policy=email.policy.default)
            out.setdefault(str(m["Delivered-To"]), []).append(m)
        return out

    def kept(self, folder=""):
        """The envelope recipients of each kept message (of `folder`, e.g. the
        given-up one)."""
        out = []
        for sub in ("new", "cur"):
            d = os.path.join(self.failed, folder, sub)
            for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                with open(os.path.join(d, name), "rb") as f:
                    text = f.read().decode("utf-8", "replace")
                out.append([line.split(":", 1)[1].strip() for line in text.splitlines()
                            if line.startswith("X-Okuru-Envelope-To:")])
        return out


def message(tag, extra=b""):
    return (b"From: Me <me@example.test>\nTo: ok@example.test, reject@example.test,\n"
            b" defer@example.test\nSubject: partial " + tag + b"\n"
            b"Message-ID: <" + tag.replace(b" ", b"-") + b"@example.test>\n" + extra
            + b"\nHello, everyone.\n")


def check_notice(notice, subject):
    check(notice.get_content_type() == "multipart/report", "not a multipart/report",
          notice.get_content_type())
    check(notice.get_param("report-type") == "delivery-status", "report-type",
          notice["Content-Type"])
    check(str(notice["Auto-Submitted"]) == "auto-replied", "Auto-Submitted", notice)
    check(subject in str(notice["Subject"]), "subject", notice["Subject"])
    parts = list(notice.iter_parts())
    check([p.get_content_type() for p in parts]
          == ["text/plain", "message/delivery-status", "text/rfc822-headers"],
          "the three parts of RFC 3464", [p.get_content_type() for p in parts])
    text = parts[0].get_content()
    check(REJECT in text and "550 5.1.1" in text and "no such user here" in text,
          "the text part names the refused recipient and the reply", text)
    check(DEFER not in text and OK not in text, "the text part names only the failed one", text)
    # message/delivery-status: a list of field blocks, per message then per recipient.
    blocks = parts[1].get_payload()
    check(len(blocks) == 2, "one per-message and one per-recipient block", blocks)
    per_msg, per_rcpt = blocks
    check(str(per_msg["Reporting-MTA"]).startswith("dns;"), "Reporting-MTA", per_msg)
    check(per_msg["Arrival-Date"] is not None, "Arrival-Date", per_msg)
    check(str(per_rcpt["Final-Recipient"]).replace(" ", "") == "rfc822;" + REJECT,
          "Final-Recipient", per_rcpt)
    check(str(per_rcpt["Action"]) == "failed", "Action", per_rcpt)
    check(str(per_rcpt["Status"]) == "5.1.1", "Status", per_rcpt)
    check(str(per_rcpt["Remote-MTA"]).replace(" ", "") == "dns;localhost", "Remote-MTA",
          per_rcpt)
    diag = str(per_rcpt["Diagnostic-Code"])
    check(diag.startswith("smtp;") and "550 5.1.1" in diag and "no such user here" in diag,
          "Diagnostic-Code", diag)
    headers = parts[2].get_payload()
    headers = headers if isinstance(headers, str) else parts[2].get_content()
    check(subject in headers, "the original headers", headers)


def t_partial(env, label):
    env.reset(BOTH)
    subject = "partial via %s" % label
    r = env.run(["-f", SENDER, OK, REJECT, DEFER], message(subject.encode()), label)
    check(r.rc == 0, "exit 0 when one recipient was accepted", r)
    err = r.err.decode(errors="replace")
    check(REJECT in err and DEFER in err, "stderr names the refused recipients", r)
    got = env.mail(2)
    check(sorted(got) == sorted([OK, SENDER]), "delivered to the accepted one and the sender",
          list(got))
    check(len(got[OK]) == 1 and subject in str(got[OK][0]["Subject"]), "one copy", got)
    check_notice(got[SENDER][0], subject)
    check(env.kept() == [[DEFER]], "kept for the deferred recipient only", env.kept())

    # The server changes its mind: the retry goes to the deferred one alone.
    env.pf.set_recipient_access(ONLY_REJECT)
    env.pf.clear_mail()
    r = env.run(["-q"], b"", label)
    check(r.rc == 0, "-q (the retry, backoff waived)", r)
    got = env.mail(1)
    check(list(got) == [DEFER], "the retry reached only the deferred recipient", list(got))
    check(env.kept() == [], "nothing left after the retry", env.kept())


def t_routes(env):
    """A message split over two accounts by [routes]: each part on its own."""
    other_ok, other_defer = "ok@other.test", "defer@other.test"
    env.reset("%s 550 5.1.1 no such user here\n%s 450 4.2.0 mailbox busy, try later\n"
              % (REJECT, other_defer))
    cfg = env.config("sub")
    second = dict(cfg["accounts"]["test"])
    second.pop("default", None)
    second["port"] = env.pf.services["sub-data"].port
    cfg["accounts"]["other"] = second
    cfg["routes"] = {"other.test": "other"}
    r = env.client.run(cfg, ["-f", SENDER, OK, REJECT, other_ok, other_defer],
                       message(b"split by route"))
    check(r.rc == 0, "exit 0: each part reached at least one recipient", r)
    got = env.mail(3)
    check(sorted(got) == sorted([OK, other_ok, SENDER]),
          "each part delivered to its accepted recipient, and one notice", list(got))
    check(len(got[SENDER]) == 1 and REJECT in got[SENDER][0].get_body().get_content(),
          "the notice names the refused recipient of the first part", got[SENDER][0])
    check(str(got[OK][0]["Message-ID"]) == str(got[other_ok][0]["Message-ID"]),
          "both parts carry one Message-ID")
    check(env.kept() == [[other_defer]], "kept for the deferred recipient of the second part",
          env.kept())


def t_all_or_nothing(env, table, expect_rc):
    env.reset(table, settle=False)
    r = env.run(["-f", SENDER, OK, REJECT, DEFER], message(b"all or nothing"),
                partial_delivery=False)
    check(r.rc == expect_rc, "partial_delivery = false: exit %d" % expect_rc, r)
    if expect_rc == 67:
        # Refused for good: never kept for a retry, given up at once, the sender told.
        # (No settle: Postfix keeps the aborted transaction's queue file a while.)
        time.sleep(3)
        msgs = env.pf.messages()
        check(len(msgs) == 1 and b"multipart/report" in open(msgs[0], "rb").read()
              and ("Delivered-To: " + SENDER).encode() in open(msgs[0], "rb").read(),
              "only the sender's notice was delivered", msgs)
        check(env.kept() == [], "not kept for retries", env.kept())
        check(env.kept(".given-up") == [[OK, REJECT, DEFER]], "given up for every recipient",
              env.kept(".given-up"))
        return
    time.sleep(3)  # what Postfix would deliver has arrived by now
    check(env.pf.messages() == [], "nothing delivered", env.pf.messages())
    check(env.kept() == [[OK, REJECT, DEFER]], "kept for every recipient", env.kept())


def t_no_notice(env, sender, extra):
    env.reset(ONLY_REJECT)
    r = env.run(["-f", sender, OK, REJECT], message(b"no notice", extra))
    check(r.rc == 0, "exit 0 when one recipient was accepted", r)
    check(b"no failure notice" in r.err, "the refusal is only logged", r)
    got = env.mail(1)
    check(list(got) == [OK], "only the accepted recipient got mail", list(got))
    check(env.kept() == [], "nothing kept", env.kept())


def main(argv):
    pos = common.positional(argv[1:])
    only = common.arg_value(argv, "--only")
    binary = pos[0] if pos else None
    if not binary or not os.access(binary, os.X_OK):
        common.die("usage: test_partial.py OKURU_BINARY [--only S]")
    postfix_harness.require_environment()
    runner = common.Runner()
    with postfix_harness.Postfix(recipient_access="") as pf:
        env = Env(pf, os.path.abspath(binary))
        runner.run_all([
            ("partial delivery, notice and retry via sub (BDAT)", t_partial, env, "sub"),
            ("partial delivery, notice and retry via sub-data (DATA)", t_partial, env,
             "sub-data"),
            ("split over two accounts by [routes]", t_routes, env),
            ("null sender: no notice", t_no_notice, env, "<>", b""),
            ("a notice: no notice about it", t_no_notice, env, SENDER,
             b"Auto-Submitted: auto-replied\n"),
            # Last: an abandoned transaction leaves Postfix's log unsettled.
            ("partial_delivery = false, 550 and 450 -> 75", t_all_or_nothing, env, BOTH, 75),
            ("partial_delivery = false, 550 -> 67", t_all_or_nothing, env, ONLY_REJECT, 67),
        ], only)
    return runner.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
