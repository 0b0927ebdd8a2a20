"""--check, --serverinfo, --test-message, the per-submission log (log_file, syslog,
-X) and mailq, against the same real Postfix as test_postfix.py.

usage: /usr/bin/python3 test_diagnostics.py OKURU_BINARY [--only SUBSTR]

Exit 0 when every test passes, 1 otherwise, 77 only when Postfix cannot run here
and CI is unset.
"""

import hashlib
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common  # noqa: E402
from common import check, split_message, header  # noqa: E402
import postfix_harness  # noqa: E402
from test_postfix import Env, session_stats, queued_ids, delivered  # noqa: E402


def out(r):
    return r.out.decode(errors="replace")


def lines_of(r):
    return [l.rstrip() for l in out(r).splitlines()]


def step(r, name):
    """The text after the label of a --check step line ("  AUTH           PLAIN as x: OK")."""
    for line in lines_of(r):
        if line.startswith("  ") and line[2:17].strip() == name:
            return line[17:]
    return None


def fingerprint(pem_path):
    with open(pem_path) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return ":".join("%02x" % b for b in hashlib.sha256(der).digest())


def no_transaction(log, label):
    stats = session_stats(log, label)
    check("mail" not in stats and "rcpt" not in stats, "MAIL or RCPT reached Postfix", stats)
    check(not queued_ids(log, label), "a message was queued", log[-2000:])
    return stats


# ---- --check ------------------------------------------------------------------------------
def t_check_ok(env, label):
    r, log = env.submit(label, b"", args=["--check"])
    check(r.rc == 0, "--check failed", r)
    lines = lines_of(r)
    check(lines[-1] == "OK" and "account test: OK" in lines, "no closing OK", out(r))
    check(step(r, "config").endswith(": OK (1 account)"), "config line", out(r))
    check(step(r, "password") == "password_file %s: OK" % env.pf.password_file, "password line",
          out(r))
    check(re.fullmatch(r"localhost\[127\.0\.0\.1\]:\d+: OK", step(r, "connect") or ""),
          "connect line", out(r))
    check(step(r, "greeting") == "220 mx.example.test ESMTP Postfix: OK", "greeting line", out(r))
    check(re.fullmatch(r"TLS1\.[23], \S+, certificate verified for localhost \(.*ca\.pem\): OK",
                       step(r, "TLS handshake") or ""), "TLS line", out(r))
    check(step(r, "AUTH") == "SCRAM-SHA-256 as okuru: OK", "AUTH line", out(r))
    check(step(r, "QUIT") == "OK", "QUIT line", out(r))
    if label == "sub":
        check(step(r, "STARTTLS") == "OK", "STARTTLS line", out(r))
    stats = no_transaction(log, label)
    check(stats.get("auth") == "1" and stats.get("quit") == "1", "Postfix saw no AUTH/QUIT", stats)
    check(not common.leaks(env.pf.PASSWORD, r.out, r.err), "password in the output", r)


def t_check_wrong_password(env, label):
    r, log = env.submit(label, b"", args=["--check"], auth=["PLAIN"],
                        password_file=env.bad_password_file)
    check(r.rc == 77, "a refused login must exit 77", r)
    auth = step(r, "AUTH") or ""
    check(auth.startswith("FAILED: ") and "535" in auth, "AUTH step not failed with the reply",
          out(r))
    check("refused the user name or password" in (step(r, "hint") or ""), "no login hint", out(r))
    check(lines_of(r)[-1] == "FAILED", "no closing FAILED", out(r))
    check("authentication failed" in log, "Postfix saw no AUTH", log[-2000:])
    no_transaction(log, label)
    check(not common.leaks("not the password", r.out, r.err), "password in the output", r)


def t_check_starttls_on_implicit_port(env):
    """The msmtp users' classic: STARTTLS configured for the port 465 service."""
    r, _ = env.submit("smtps", b"", args=["--check"], tls="starttls", timeout=60)
    check(r.rc == 75, "silent server must be a temporary failure (75)", r)
    check((step(r, "greeting") or "").startswith("FAILED: timed out"), "greeting step", out(r))
    check(step(r, "hint") == 'the server spoke TLS on a STARTTLS port: use tls = "implicit"',
          "hint", out(r))


def t_check_implicit_on_starttls_port(env):
    r, _ = env.submit("sub", b"", args=["--check"], tls="implicit")
    check(r.rc not in (0, 75), "must fail permanently", r)
    check((step(r, "TLS handshake") or "").startswith("FAILED: "), "TLS step", out(r))
    check(step(r, "hint") == 'the server sent a plain SMTP greeting on an implicit-TLS port: use '
          'tls = "starttls"', "hint", out(r))


def t_check_suggests_implicit_tls(env):
    """RFC 8314: --check of a STARTTLS account says where the same server offers implicit
    TLS with a certificate that verifies; never for a port that is not that."""
    def run(account_label, implicit_label):
        cfg = env.client.config(env.account(account_label))
        port = env.pf.services[implicit_label].port
        r = env.client.run(cfg, ["--check"], b"",
                           extra_env={"OKURU_IMPLICIT_TLS_PORT": str(port)})
        check(r.rc == 0, "--check failed", r)
        return r, port

    r, port = run("sub", "smtps")
    want = ('localhost also offers implicit TLS on port %d (certificate verified): port = %d '
            'and tls = "implicit" save a round trip and a half per message (RFC 8314 prefers '
            'it)' % (port, port))
    check(step(r, "hint") == want, "no implicit TLS hint", out(r))
    check(lines_of(r)[-1] == "OK", "no closing OK", out(r))
    # A certificate that would fail, a plaintext port, or an account already on
    # implicit TLS: no hint.
    for account_label, implicit_label in (("sub", "smtps-expired"), ("sub", "smtps-wronghost"),
                                          ("sub", "sub-data"), ("smtps", "smtps-data")):
        r, _ = run(account_label, implicit_label)
        check(step(r, "hint") is None, "hint for %s" % implicit_label, out(r))


def t_check_expired(env):
    r, log = env.submit("sub-expired", b"", args=["--check"])
    check(r.rc == 69, "expired certificate must exit 69", r)
    check("expired" in (step(r, "TLS handshake") or ""), "TLS step", out(r))
    check("expired" in (step(r, "hint") or ""), "hint", out(r))
    stats = session_stats(log, "sub-expired")
    check("auth" not in stats, "AUTH after a bad certificate", stats)


def t_check_refused_port(env):
    port = postfix_harness.free_port()
    r, _ = env.submit("sub", b"", args=["--check"], port=port, wait_for_log=False)
    check(r.rc == 75, "connection refused is temporary (75)", r)
    check("Connection refused" in (step(r, "connect") or ""), "connect step", out(r))
    check((step(r, "hint") or "").startswith("nothing listens on localhost port %d" % port),
          "hint", out(r))


def t_check_fallback(env):
    """Every host is checked, fallbacks too, each under its own heading; the names
    used (certificate check, errors) are the fallback's own."""
    dead = postfix_harness.free_port()
    live = env.pf.services["sub"].port
    r, log = env.submit("sub", b"", args=["--check"], port=dead,
                        fallback=["127.0.0.1:%d" % live])
    text = out(r)
    check(r.rc == 75, "a dead host fails the check (75), even with a working fallback", r)
    lines = lines_of(r)
    check("host localhost:%d" % dead in lines and
          "host 127.0.0.1:%d (fallback 1)" % live in lines, "a heading per host", text)
    after = text.split("(fallback 1)", 1)[1]
    before = text.split("(fallback 1)", 1)[0]
    check("Connection refused" in before and "nothing listens" in before, "the dead host", text)
    check("certificate verified for 127.0.0.1" in after and
          "SCRAM-SHA-256 as okuru: OK" in after, "the fallback checked by its own name", text)
    check(lines[-2:] == ["account test: FAILED", "FAILED"], "closing lines", text)


def t_check_config_error(env):
    acc = env.account("sub")
    acc["hots"] = "x"
    cfg = env.client.config(acc)
    r = env.client.run(cfg, ["--check"], b"")
    check(r.rc == 78, "config error must exit 78", r)
    check(re.search(r'config\s+FAILED: .*okuru-\d+\.toml:\d+:\d+: unknown key "hots" in '
                    r'\[accounts\.test\] \(did you mean "host"\?\)', out(r)), "config step names FILE:LINE:COL", out(r))


# ---- --serverinfo ---------------------------------------------------------------------------
def t_serverinfo(env):
    r, log = env.submit("sub", b"", args=["--serverinfo"])
    check(r.rc == 0, "--serverinfo failed", r)
    text = out(r)
    check(step(r, "greeting") == "220 mx.example.test ESMTP Postfix", "greeting", text)
    before = text.split("before TLS", 1)[1].split("TLS ", 1)[0]
    after = text.split("after TLS", 1)[1]
    check("STARTTLS" in before and "AUTH" not in before, "capabilities before TLS", text)
    check("AUTH PLAIN LOGIN CRAM-MD5 DIGEST-MD5 SCRAM-SHA-1 SCRAM-SHA-256" in after,
          "AUTH list after TLS", text)
    check("STARTTLS" not in after.split("login")[0], "STARTTLS offered after TLS?", text)
    check("SIZE %d (60.0 MiB)" % postfix_harness.MESSAGE_SIZE_LIMIT in after, "SIZE shown", text)
    for cap in ("PIPELINING", "CHUNKING", "8BITMIME", "SMTPUTF8", "DSN", "ENHANCEDSTATUSCODES"):
        check(cap in after, "%s missing" % cap, text)
    check(re.search(r"\n  TLS\s+TLS1\.[23], ", text), "TLS version", text)
    check("subject CN=localhost" in text and "issuer  CN=okuru test CA" in text, "certificate",
          text)
    check("SHA-256 " + fingerprint(env.pf.pki.server.cert) in text, "fingerprint", text)
    check(step(r, "login") == "okuru would use SCRAM-SHA-256", "mechanism", text)
    stats = no_transaction(log, "sub")
    check("auth" not in stats, "--serverinfo logged in", stats)


def t_serverinfo_host_untrusted(env):
    """--host without configuration: system trust only, so the test CA is unknown; the
    certificate is still shown, and the hint offers its pin."""
    port = env.pf.services["smtps"].port
    r = env.client.run_bare(["--serverinfo", "--host", "localhost", "--port", str(port),
                             "--tls", "implicit"])
    check(r.rc == 69, "untrusted certificate must exit 69", r)
    text = out(r)
    fp = fingerprint(env.pf.pki.server.cert)
    check(text.startswith("server localhost:%d, implicit TLS" % port), "header", text)
    check("SHA-256 " + fp in text and "NOT VERIFIED" in text, "certificate not shown", text)
    check('fingerprint = "%s"' % fp in (step(r, "hint") or ""), "pin hint", text)


# ---- --test-message, logging, mailq ------------------------------------------------------------
def t_test_message_and_log_file(env):
    env.pf.clear_mail()
    logfile = os.path.join(env.pf.dir, "okuru-submissions.log")
    if os.path.exists(logfile):
        os.unlink(logfile)
    off = env.pf.log_size()
    r, log = env.submit("sub", b"", args=["--test-message", "rcpt@example.test"],
                        top={"log_file": logfile})
    check(r.rc == 0, "--test-message failed", r)
    (raw,) = delivered(env, 1, off)
    headers, body = split_message(raw)
    check(header(headers, "Subject") == [b"okuru test message"], "Subject", headers)
    check(header(headers, "To") == [b"rcpt@example.test"], "To", headers)
    for name in ("From", "Date", "Message-ID"):
        check(len(header(headers, name)) == 1, "one %s" % name, headers)
    check(b"okuru --test-message" in body, "body", body)
    (qid,) = queued_ids(log, "sub")
    with open(logfile) as f:
        logged = f.read().splitlines()
    check(len(logged) == 1, "one line per submission", logged)
    check(re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ uid=%d user=\S+ account=test relay=localhost:%d tls=starttls "
        r"auth=SCRAM-SHA-256 from=<\S+@example\.test> to=<rcpt@example\.test> size=\d+ "
        r"status=sent reply=\"250 2\.0\.0 Ok: \d+ bytes queued as %s\" exit=0"
        % (os.getuid(), env.pf.services["sub"].port, qid), logged[0]), "log line", logged[0])
    check(oct(os.stat(logfile).st_mode & 0o777) == "0o600", "log file mode", oct(os.stat(logfile).st_mode))


def t_failure_logged_and_listed(env):
    logfile = os.path.join(env.pf.dir, "okuru-failures.log")
    xlog = os.path.join(env.pf.dir, "okuru-failure-X.log")
    for p in (logfile, xlog):
        if os.path.exists(p):
            os.unlink(p)
    failed = os.path.join(env.client.workdir, "failed")
    r, _ = env.submit("sub", b"Subject: will fail\n\nbody\n", args=["-X", xlog, "x@example.test"],
                      auth=["PLAIN"], password_file=env.bad_password_file,
                      top={"log_file": logfile})
    check(r.rc == 77, "wrong password must exit 77", r)
    with open(logfile) as f:
        line = f.read().strip()
    m = re.search(r' saved="([^"]+)"$', line)
    check(m and os.path.exists(m.group(1)), "saved= names the kept file", line)
    check(re.search(r" status=failed error=\"account test via localhost\[127\.0\.0\.1\]:\d+: "
                    r"AUTH PLAIN: authentication failed: 535 .*\" exit=77 saved=", line), "failure line", line)
    with open(xlog) as f:
        xtext = f.read()
    check("--> EHLO" in xtext and line.split(" ", 1)[1] in xtext,
          "-X has the dialogue and the same record", xtext[-1500:])
    # mailq lists it, with the error; nothing is claimed or removed.
    acc = env.account("sub")
    r2 = env.client.run(env.client.config(acc), ["-bp"], b"")
    text = out(r2)
    check(r2.rc == 0 and m.group(1) in text, "mailq lists the saved file", r2)
    check("    to:      <x@example.test>" in text and "    account: test" in text
          and "AUTH PLAIN: authentication failed: 535" in text, "mailq shows envelope and error", text)
    check(os.path.exists(m.group(1)), "mailq removed the file")
    for name in os.listdir(os.path.join(failed, "new")):
        os.unlink(os.path.join(failed, "new", name))


class SyslogSocket:
    """A datagram socket at /dev/log. Without a syslog daemon (CI) it is created
    there directly; where /dev/log exists, okuru runs in a private mount namespace
    with this socket bind-mounted over it, so the real daemon is left alone."""

    def __init__(self, workdir):
        self.path = os.path.join(workdir, "log.sock")
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.direct = not os.path.exists("/dev/log")
        if self.direct:
            self.path = "/dev/log"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o666)
        self.sock.settimeout(10)

    def wrap(self, argv):
        if self.direct:
            return argv
        return ["unshare", "-m", "--propagation", "private", "sh", "-c",
                'mount --bind "$0" /dev/log && exec "$@"', self.path] + argv

    def receive(self):
        data = []
        self.sock.settimeout(10)
        while True:
            try:
                record = self.sock.recv(65536).decode(errors="replace")
                # Bound directly to /dev/log, the socket also hears the rest of
                # the system (a package being installed, say): okuru's only.
                if re.match(r"<\d+>.*? okuru\[\d+\]: ", record):
                    data.append(record)
                self.sock.settimeout(0.5)
            except socket.timeout:
                return data

    def close(self):
        self.sock.close()
        os.unlink(self.path)


def t_syslog(env):
    check(os.geteuid() == 0, "the syslog test needs root (/dev/log)")
    sl = SyslogSocket(env.pf.dir)
    try:
        acc = env.account("sub")
        cfg = env.client.config(acc, syslog="mail")
        r = env.client.run(cfg, ["rcpt@example.test"], b"Subject: syslog\n\nbody\n", wrap=sl.wrap)
        check(r.rc == 0, "okuru failed", r)
        got = sl.receive()
        r2 = env.client.run(env.client.config(dict(acc, password_file=env.bad_password_file,
                                                   auth=["PLAIN"]), syslog="local3"),
                            ["rcpt@example.test"], b"Subject: syslog\n\nbody\n", wrap=sl.wrap)
        check(r2.rc == 77, "wrong password must exit 77", r2)
        got2 = sl.receive()
    finally:
        sl.close()
    # RFC 3164 framing from glibc: <PRI>, PRI = facility * 8 + severity.
    check(len(got) == 1 and re.match(r"<22>.*okuru\[\d+\]: uid=\d+ user=\S+ account=test relay=localhost:\d+ "
                                      r"tls=starttls auth=SCRAM-SHA-256 .* status=sent .* exit=0$",
                                      got[0]), "mail.info record", got)
    check(len(got2) == 1 and re.match(r"<155>.*okuru\[\d+\]: uid=\d+ user=\S+ account=test .* status=failed .* exit=77",
                                      got2[0]), "local3.err record", got2)
    check(not common.leaks(env.pf.PASSWORD, "".join(got + got2).encode()), "password in syslog")


def main(argv):
    pos = common.positional(argv[1:])
    only = common.arg_value(argv, "--only")
    binary = pos[0] if pos else None
    if not binary or not os.access(binary, os.X_OK):
        common.die("usage: test_diagnostics.py OKURU_BINARY [--only S]")
    postfix_harness.require_environment()
    runner = common.Runner()
    with postfix_harness.Postfix() as pf:
        env = Env(pf, common.Client("okuru", os.path.abspath(binary), pf.dir))
        tests = []
        for label in ("sub", "smtps"):
            tests.append(("--check over %s" % label, t_check_ok, env, label))
            tests.append(("--check wrong password over %s" % label, t_check_wrong_password, env,
                          label))
        tests += [
            ("--check: STARTTLS on the implicit-TLS port", t_check_starttls_on_implicit_port, env),
            ("--check: implicit TLS on the STARTTLS port", t_check_implicit_on_starttls_port, env),
            ("--check: implicit TLS offered too", t_check_suggests_implicit_tls, env),
            ("--check: expired certificate", t_check_expired, env),
            ("--check: nothing listening", t_check_refused_port, env),
            ("--check: configuration error", t_check_config_error, env),
            ("--check: fallback hosts", t_check_fallback, env),
            ("--serverinfo over STARTTLS", t_serverinfo, env),
            ("--serverinfo --host, untrusted certificate", t_serverinfo_host_untrusted, env),
            ("--test-message and log_file", t_test_message_and_log_file, env),
            ("failure in log_file, -X and mailq", t_failure_logged_and_listed, env),
            ("syslog", t_syslog, env),
        ]
        runner.run_all(tests, only)
    return runner.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
