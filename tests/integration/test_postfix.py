"""End-to-end tests: okuru submits to a real Postfix (Cyrus SASL, throwaway CA) on
127.0.0.1, and the tests read back Postfix's Maildir and log.

usage: /usr/bin/python3 test_postfix.py OKURU_BINARY [--client okuru|msmtp] [--only SUBSTR]

Exit 0 when every test passes, 1 otherwise, 77 only when Postfix cannot run here and
CI is unset (okuru's own exit codes are compared here, never passed through).
`--client msmtp` runs the same tests with Debian's msmtp (validates the harness; the
okuru-only features are then expected to fail).
"""

import email
import email.policy
import hashlib
import os
import re
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common  # noqa: E402
from common import check, lf, split_message, header, strip_trace, mask_generated  # noqa: E402
import peer as peer_mod  # noqa: E402
import postfix_harness  # noqa: E402

MECHS = ["PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"]

# Each one, if it ended the data, would start a second transaction (SMTP smuggling).
SMUGGLING = [b"\n.\n", b"\r.\r", b"\r.\n", b"\n.\r", b"\n.\r\n", b"\r\n.\n", b"\r.\r\n",
             b"\r\n.\r", b"\r\n.\r\r\n", b"\r\n.\r\n"]
SMUGGLED = (b"MAIL FROM:<evil@example.test>\r\nRCPT TO:<victim@example.test>\r\nDATA\r\n"
            b"From: ceo@example.test\r\nSubject: smuggled\r\n\r\nsmuggled body\r\n")


class Env:
    def __init__(self, pf, client):
        self.pf = pf
        self.client = client
        self.bad_password_file = common.write_file(os.path.join(pf.dir, "bad-password"),
                                                   "not the password\n")

    def account(self, label, **kw):
        svc = self.pf.services[label]
        kw.setdefault("ca_file", self.pf.pki.ca.cert)
        kw.setdefault("password_file", self.pf.password_file)
        kw.setdefault("port", svc.port)
        kw.setdefault("tls", svc.tls)
        return self.client.account(**kw)

    def submit(self, label, msg, args=("rcpt@example.test",), account=None, top=None,
               timeout=120, wait_for_log=True, **kw):
        """Runs one submission; returns (Result, log chunk of this session)."""
        acc = account or self.account(label, **kw)
        cfg = self.client.config(acc, **(top or {}))
        off = self.pf.log_size()
        r = self.client.run(cfg, list(args), msg, timeout=timeout)
        # The session is over for Postfix once smtpd logs its disconnect line.
        if wait_for_log:
            self.pf.wait_for_log(r"postfix/%s/smtpd\[\d+\]: disconnect from" % re.escape(label),
                                 off, timeout=10)
        log = self.pf.log_since(off)
        if r.rc == -1:  # timed out: show what Postfix saw
            r.err += b"\n--- maillog of this session ---\n" + log[-3000:].encode()
        return r, log

    def capture(self, msg, args=("rcpt@example.test",), top=None):
        """What okuru puts on the wire for this input (scripted peer, same CA)."""
        with peer_mod.Peer(cert=self.pf.pki.server) as p:
            acc = self.client.account(port=p.port, tls="starttls", ca_file=self.pf.pki.ca.cert,
                                      password_file=self.pf.password_file)
            r = self.client.run(self.client.config(acc, **(top or {})), list(args), msg)
        check(r.rc == 0 and len(p.messages) == 1, "capture through the peer failed", r)
        return p.messages[0]


def session_stats(log, label):
    """The counters of smtpd's disconnect line, e.g. {"ehlo": "2", "auth": "1", ...}."""
    m = re.findall(r"postfix/%s/smtpd\[\d+\]: disconnect from \S+ (.*)" % re.escape(label), log)
    check(m, "no disconnect line for %s in the log" % label, log[-2000:])
    return dict(kv.split("=", 1) for kv in m[-1].split())


def queued_ids(log, label):
    return re.findall(r"postfix/%s/smtpd\[\d+\]: ([0-9A-F]+): client=" % re.escape(label), log)


def delivered(env, count, log_offset=0):
    msgs = env.pf.wait_for_messages(count)
    check(len(msgs) == count, "expected %d delivered message(s), found %d" % (count, len(msgs)),
          env.pf.log_since(log_offset)[-3000:])
    out = []
    for path in msgs:
        with open(path, "rb") as f:
            out.append(f.read())
    return out


def sample(tag, extra_headers=b""):
    return (b"To: Rcpt <rcpt@example.test>\nSubject: okuru test " + tag + b"\n" + extra_headers
            + b"Bcc: hidden@example.test\n"
            + b"\nHello,\n.leading dot line\n..two dots\nnon-ascii: \xc3\xa9t\xc3\xa9\n"
            + b"trailing spaces   \n\ttab line\n" + b"x" * 900 + b"\n-- \nokuru\n")


# ---- tests ------------------------------------------------------------------------------
def t_mechanism(env, label, mech):
    env.pf.clear_mail()
    tag = ("%s %s" % (label, mech or "auto")).encode()
    msg = sample(tag)
    off = env.pf.log_size()
    xlog = os.path.join(env.pf.dir, "okuru-X.log")
    if os.path.exists(xlog):
        os.unlink(xlog)
    r, log = env.submit(label, msg, args=["-vv", "-X", xlog, "rcpt@example.test"],
                        auth=[mech] if mech else None)
    check(r.rc == 0, "okuru failed", r)
    with open(xlog, "rb") as f:
        xtext = f.read()
    check(b"AUTH " in xtext and b"235" in xtext, "-X log lacks the AUTH dialogue", xtext[-2000:])
    # -vv and -X show the dialogue: never the password, plain or in an AUTH response.
    check(not common.leaks(env.pf.PASSWORD, r.out, r.err, xtext), "password in -v or -X output", r)
    stats = session_stats(log, label)
    check(stats.get("auth") == "1", "expected one successful AUTH", stats)
    m = re.search(r"sasl_method=([\w-]+)", log)
    check(m, "Postfix logged no sasl_method", log)
    check(m.group(1) == (mech or "SCRAM-SHA-256"),
          "authenticated with %s, expected %s" % (m.group(1), mech or "SCRAM-SHA-256 (strongest)"))
    check(len(queued_ids(log, label)) == 1, "expected exactly one queued message", log)
    (raw,) = delivered(env, 1, off)
    headers, body = split_message(raw)
    _, in_body = split_message(msg)
    check(body == lf(in_body), "body differs from the input", (body[:300], lf(in_body)[:300]))
    for name in ("Date", "Message-ID", "From"):
        check(len(header(headers, name)) == 1, "expected one %s header" % name, headers)
    check(not header(headers, "Bcc"), "Bcc header delivered")
    check(header(headers, "Subject") == [b"okuru test " + tag], "Subject changed", headers)
    # Compared with what okuru put on the wire for the same input: Postfix kept it all.
    wire = env.capture(msg)
    check(mask_generated(strip_trace(raw)) == mask_generated(lf(wire["data"])),
          "delivered message differs from okuru's prepared message",
          (mask_generated(strip_trace(raw))[:600], mask_generated(lf(wire["data"]))[:600]))


def t_wrong_password(env, label):
    r, log = env.submit(label, sample(b"wrong password"), auth=["PLAIN"],
                        password_file=env.bad_password_file)
    check(r.rc == 77, "wrong password must exit 77 (EX_NOPERM)", r)
    check("authentication failed" in log, "Postfix saw no failed AUTH", log)
    check(not queued_ids(log, label), "a message was queued", log)
    check(not common.leaks("not the password", r.out, r.err), "password in okuru's output", r)


def t_bad_certificate(env, label, case):
    """The server's certificate is not acceptable: exit 69 before AUTH."""
    ca = env.pf.pki.other_ca.cert if case == "unknown CA" else env.pf.pki.ca.cert
    r, log = env.submit(label, sample(case.encode()), ca_file=ca, auth=["PLAIN"])
    check(r.rc == 69, "%s must exit 69 (EX_UNAVAILABLE)" % case, r)
    stats = session_stats(log, label)
    check("auth" not in stats and "mail" not in stats, "AUTH or MAIL reached Postfix", stats)
    check("sasl_method" not in log and "authentication failed" not in log,
          "Postfix logged an AUTH attempt", log)
    check(not common.leaks(env.pf.PASSWORD, r.out, r.err), "password in okuru's output", r)


def t_data_path(env, label, verb):
    env.pf.clear_mail()
    off = env.pf.log_size()
    r, log = env.submit(label, sample(verb.encode()))
    check(r.rc == 0, "okuru failed", r)
    stats = session_stats(log, label)
    check(verb in stats and stats[verb] == "1", "expected %s=1 in the session" % verb, stats)
    other = "data" if verb == "bdat" else "bdat"
    check(other not in stats, "unexpected %s in the session" % other, stats)
    delivered(env, 1, off)


def big_body(size):
    """Deterministic text lines, some starting with dots, about `size` bytes, LF endings."""
    out = bytearray()
    i = 0
    seed = hashlib.sha256(b"okuru").digest()
    while len(out) < size:
        seed = hashlib.sha256(seed).digest()
        line = seed.hex().encode() * 2
        if i % 97 == 0:
            line = b"." + line
        elif i % 101 == 0:
            line = b"."
        out += line + b"\n"
        i += 1
    return bytes(out)


def t_large(env, label, size):
    env.pf.clear_mail()
    body = big_body(size)
    msg = b"To: rcpt@example.test\nSubject: large\n\n" + body
    off = env.pf.log_size()
    # -i: the body has lone-dot lines, which would otherwise end the input (sendmail).
    r, log = env.submit(label, msg, args=["-i", "rcpt@example.test"], timeout=600)
    check(r.rc == 0, "okuru failed on a %d byte message" % len(msg), r)
    (raw,) = delivered(env, 1, off)
    _, got = split_message(raw)
    check(hashlib.sha256(got).hexdigest() == hashlib.sha256(body).hexdigest(),
          "body of %d bytes arrived as %d bytes with another sha256" % (len(body), len(got)))


def t_smuggling(env, label):
    """Every sequence in one message: Postfix must queue exactly one message, text intact."""
    env.pf.clear_mail()
    body = b"start\n"
    for i, seq in enumerate(SMUGGLING):
        body += b"case %d" % i + seq + SMUGGLED
    body += b"end\n"
    msg = b"To: rcpt@example.test\nSubject: smuggling\n\n" + body
    off = env.pf.log_size()
    r, log = env.submit(label, msg, args=["-i", "rcpt@example.test"])
    check(r.rc == 0, "okuru failed", r)
    check(len(queued_ids(log, label)) == 1, "Postfix queued %d messages"
          % len(queued_ids(log, label)), log)
    stats = session_stats(log, label)
    check(stats.get("mail") == "1" and stats.get("rcpt") == "1", "extra commands", stats)
    (raw,) = delivered(env, 1, off)
    _, got = split_message(raw)
    check(got == lf(body), "body not intact", (got[:400], lf(body)[:400]))
    check(b"evil" not in env.pf.log_since(off).encode(), "smuggled envelope reached Postfix")


def rcpts_logged(log):
    return sorted(set(re.findall(r"to=<([^>]*)>.*status=sent", log)))


def t_alias_root(env):
    env.pf.clear_mail()
    off = env.pf.log_size()
    r, _ = env.submit("sub", b"Subject: to root\n\nfor root\n", args=["root"],
                      top={"aliases": {"root": "admin@example.test"}})
    check(r.rc == 0, "okuru failed", r)
    delivered(env, 1, off)
    env.pf.wait_for_log(r"status=sent", off)
    check(rcpts_logged(env.pf.log_since(off)) == ["admin@example.test"],
          "root not delivered to its alias", env.pf.log_since(off))


def t_bcc_t(env):
    env.pf.clear_mail()
    msg = (b"From: Sender <sender@example.test>\nTo: a@example.test\nCc: b@example.test\n"
           b"Bcc: hidden@example.test\nSubject: -t with Bcc\n\nbody\n")
    off = env.pf.log_size()
    r, _ = env.submit("sub", msg, args=["-t"])
    check(r.rc == 0, "okuru failed", r)
    msgs = delivered(env, 3, off)
    env.pf.wait_for_log(r"(?s)(status=sent.*){3}", off)
    check(rcpts_logged(env.pf.log_since(off)) ==
          ["a@example.test", "b@example.test", "hidden@example.test"],
          "recipients", env.pf.log_since(off))
    for raw in msgs:
        check(b"hidden" not in strip_trace(raw).split(b"\n\n")[0], "Bcc visible", raw)
    wire = env.capture(msg, args=["-t"])
    check(b"hidden@example.test" not in wire["data"], "Bcc on the wire", wire["data"])
    check(any(b"hidden@example.test" in x for x in wire["rcpts"]), "Bcc not a recipient", wire)


CALLERS = [
    # (name, argv, stdin, expected recipients)
    ("cron (Debian)", ["-i", "-FCronDaemon", "-B8BITMIME", "-oem", "root"],
     b"Subject: Cron <root@host> run-parts\nContent-Type: text/plain; charset=UTF-8\n\n"
     b"job output\n.\nstill output\n", ["admin@example.test"]),
    ("PHP mail()", ["-t", "-i"],
     b"To: a@example.test\r\nSubject: from PHP\r\nX-PHP-Originating-Script: 0:x.php\n"
     b"\r\nmixed\r\nline\nendings\n", ["a@example.test"]),
    ("mutt", ["-oem", "-oi", "-B8BITMIME", "-f", "me@example.test", "-N", "failure,delay",
              "-R", "hdrs", "--", "a@example.test", "b@example.test"],
     b"From: Me <me@example.test>\nTo: a@example.test\nCc: b@example.test\n"
     b"Subject: mutt\nMIME-Version: 1.0\n\nhi\n", ["a@example.test", "b@example.test"]),
    ("git send-email", ["-i", "-f", "me@example.test", "a@example.test", "b@example.test"],
     b"From: Me <me@example.test>\nTo: a@example.test\nCc: b@example.test\n"
     b"Subject: [PATCH] fix\n\n---\n file | 1 +\n", ["a@example.test", "b@example.test"]),
]


def t_caller(env, argv, stdin, expect):
    env.pf.clear_mail()
    off = env.pf.log_size()
    r, _ = env.submit("sub", stdin, args=argv, top={"aliases": {"root": "admin@example.test"}})
    check(r.rc == 0, "okuru failed", r)
    delivered(env, len(expect), off)
    env.pf.wait_for_log(r"(?s)(status=sent.*){%d}" % len(expect), off)
    check(rcpts_logged(env.pf.log_since(off)) == expect, "recipients",
          env.pf.log_since(off)[-2000:])


def parsed(raw):
    """A delivered message as a recipient's program reads it (Python's email)."""
    return email.message_from_bytes(raw, policy=email.policy.default)


def t_long_lines(env):
    """Issue 11 parts 4 and 5: a 1,600-octet To: line (PHP mail() with 50
    recipients) and a body written as one long UTF-8 line arrive intact."""
    env.pf.clear_mail()
    addrs = ["recipient-number-%d@example.test" % i for i in range(50)]
    text = ("\u65e5\u672c\u8a9e\u306e\u6587\u7ae0 " * 400).strip()  # ~7,600 octets
    msg = (b"From: Me <me@example.test>\nTo: " + ",".join(addrs).encode()
           + b"\nSubject: " + b" ".join(b"word%d" % i for i in range(300))
           + b"\n\nfirst line\n" + text.encode() + b"\nlast line\n")
    off = env.pf.log_size()
    r, _ = env.submit("sub", msg, args=["rcpt@example.test"])
    check(r.rc == 0, "okuru failed", r)
    raw = delivered(env, 1, off)[0]
    for line in raw.split(b"\n"):
        check(len(line.rstrip(b"\r")) <= 998, "a line over 998 octets", line[:200])
    m = parsed(raw)
    check([a.addr_spec for a in m["To"].addresses] == addrs, "To: addresses changed", m["To"])
    check(str(m["Subject"]) == " ".join("word%d" % i for i in range(300)), "Subject changed",
          m["Subject"])
    check(m.get_content_type() == "text/plain", "content type", m["Content-Type"])
    check(m["Content-Transfer-Encoding"] == "quoted-printable", "encoding", raw[:2000])
    body = m.get_content()
    check(body == "first line\n" + text + "\nlast line\n", "decoded body differs",
          body[:300])


def t_bare_from_with_catchall(env):
    """Issue 11 part 6: From: Web App <webapp> with a "*" alias: the header and
    the envelope sender are both webapp@domain, not the catch-all target."""
    env.pf.clear_mail()
    off = env.pf.log_size()
    r, _ = env.submit("sub", b"From: Web App <webapp>\nSubject: bare from\n\nbody\n",
                      args=["rcpt@example.test"],
                      top={"aliases": {"*": "catchall@example.test"}})
    check(r.rc == 0, "okuru failed", r)
    raw = delivered(env, 1, off)[0]
    env.pf.wait_for_log(r"status=sent", off)
    senders = re.findall(r"from=<([^>]*)>", env.pf.log_since(off))
    check(senders and set(senders) == {"webapp@example.test"}, "envelope sender", senders)
    m = parsed(raw)
    check([a.addr_spec for a in m["From"].addresses] == ["webapp@example.test"],
          "From: differs from the envelope sender", m["From"])
    check(m["From"].addresses[0].display_name == "Web App", "display name", m["From"])


def t_this_host_names(env):
    """Issue 11 part 6: mdadm/smartd write From: <root@HOSTNAME>, To: root@HOSTNAME;
    the headers are rewritten through [aliases] exactly as the envelope is."""
    env.pf.clear_mail()
    host = socket.gethostname()
    off = env.pf.log_size()
    msg = ("From: <root@%s>\nTo: root@%s\nCc: root@localhost\nSubject: mdadm\n\nalert\n"
           % (host, host)).encode()
    r, _ = env.submit("sub", msg, args=["root@" + host],
                      top={"aliases": {"root": "admin@example.test"}})
    check(r.rc == 0, "okuru failed", r)
    raw = delivered(env, 1, off)[0]
    env.pf.wait_for_log(r"status=sent", off)
    log = env.pf.log_since(off)
    check(set(re.findall(r"from=<([^>]*)>", log)) == {"admin@example.test"}, "sender", log)
    check(rcpts_logged(log) == ["admin@example.test"], "recipient", log)
    m = parsed(raw)
    for name in ("From", "To", "Cc"):
        check([a.addr_spec for a in m[name].addresses] == ["admin@example.test"],
              "%s: not rewritten like the envelope" % name, m[name])


def t_refused_before_connecting(env):
    """Issue 11 part 9: what the envelope check would refuse after connecting is
    refused by the address validator first: 65, and Postfix sees no connection."""
    for bad in ['"a b"@example.test', "j\udcf6rg@example.test", "a\u0085b@example.test"]:
        off = env.pf.log_size()
        arg = bad.encode("utf-8", "surrogateescape")
        r, log = env.submit("sub", b"Subject: bad\n\nbody\n", args=[arg],
                            wait_for_log=False)
        check(r.rc == 65, "%r: expected 65, got %d" % (bad, r.rc), r)
        check("connect from" not in env.pf.log_since(off), "%r: connected first" % bad,
              env.pf.log_since(off))


def main(argv):
    pos = common.positional(argv[1:])
    client_kind = common.arg_value(argv, "--client", "okuru")
    only = common.arg_value(argv, "--only")
    binary = pos[0] if pos else None
    if client_kind == "okuru" and (not binary or not os.access(binary, os.X_OK)):
        common.die("usage: test_postfix.py OKURU_BINARY [--client okuru|msmtp] [--only S]")
    postfix_harness.require_environment()
    runner = common.Runner()
    with postfix_harness.Postfix() as pf:
        env = Env(pf, common.Client(client_kind, binary and os.path.abspath(binary), pf.dir))
        tests = []
        for label in ("sub", "smtps"):
            for mech in MECHS + [None]:
                tests.append(("auth %s over %s" % (mech or "automatic", label),
                              t_mechanism, env, label, mech))
        for label in ("sub", "smtps"):
            tests.append(("wrong password over %s -> 77" % label, t_wrong_password, env, label))
        for base in ("sub", "smtps"):
            for case, label in (("unknown CA", base), ("wrong host name", base + "-wronghost"),
                                ("expired certificate", base + "-expired")):
                tests.append(("%s over %s -> 69 before AUTH" % (case, base),
                              t_bad_certificate, env, label, case))
        for label, verb in (("sub", "bdat"), ("smtps", "bdat"), ("sub-data", "data"),
                            ("smtps-data", "data")):
            tests.append(("%s path via %s" % (verb.upper(), label), t_data_path, env, label, verb))
        for label in ("sub", "sub-data"):
            tests.append(("smuggling sequences via %s: one message" % label,
                          t_smuggling, env, label))
        tests.append(("unqualified root with [aliases]", t_alias_root, env))
        tests.append(("-t with Bcc", t_bcc_t, env))
        for name, a, stdin, expect in CALLERS:
            tests.append(("caller: %s" % name, t_caller, env, a, stdin, expect))
        tests.append(("long header and body lines arrive intact", t_long_lines, env))
        tests.append(("bare From: name with a \"*\" alias", t_bare_from_with_catchall, env))
        tests.append(("root@HOSTNAME in headers as in the envelope", t_this_host_names, env))
        tests.append(("bad addresses refused before connecting", t_refused_before_connecting,
                      env))
        for label in ("sub", "smtps-data"):
            tests.append(("50 MiB message via %s intact" % label,
                          t_large, env, label, 50 * 1024 * 1024))
        runner.run_all(tests, only)
    return runner.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
