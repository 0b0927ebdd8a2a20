"""The certificate policy (issue 12) against the scripted TLS peer: a server
certificate without the TLS server key purpose, a 1024-bit RSA key, a chain with
a SHA-1 signature below the trusted root, and a server that only offers static
RSA key exchange (no forward secrecy) are each refused before AUTH, over
STARTTLS and implicit TLS. Then what tls_priority may loosen for an old LAN
server (static RSA, a small key via %PROFILE_LOW) and what it may not (the key
purpose; %VERIFY_ALLOW_... is a configuration error). The key purpose and the
static-RSA server are also checked against a real Postfix (Debian's OpenSSL
will not serve a 1024-bit key or a SHA-1 chain, so those two are peer-only).

usage: /usr/bin/python3 test_cert_policy.py OKURU_BINARY [--only SUBSTR]
Needs certtool (gnutls-bin) and loopback; exits 0/1 itself.
"""

import os
import re
import shutil
import ssl
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import common  # noqa: E402
from common import check  # noqa: E402
import peer as peer_mod  # noqa: E402
import pki  # noqa: E402
import postfix_harness  # noqa: E402

PASSWORD = "policy-Secret-41c9"
# OpenSSL (the peer) must be told to present what its own policy refuses.
WEAK = "DEFAULT:@SECLEVEL=0"
STATIC_RSA = dict(ciphers="kRSA:@SECLEVEL=0", tls_max=ssl.TLSVersion.TLSv1_2)


class Env:
    def __init__(self, workdir, binary):
        self.pki = pki.make_pki(workdir)
        self.client = common.Client("okuru", binary, workdir)
        self.password_file = common.write_file(os.path.join(workdir, "password"),
                                               PASSWORD + "\n")

    def run(self, peer, **acc):
        acc.setdefault("ca_file", self.pki.ca.cert)
        acc.setdefault("password_file", self.password_file)
        acc.setdefault("auth", ["PLAIN"])
        account = self.client.account(port=peer.port, tls=peer.tls, **acc)
        return self.client.run(self.client.config(account), ["-v", "rcpt@example.test"],
                               b"Subject: t\n\nbody\n", timeout=60)


def nothing_sent(peer, r):
    check(not peer.saw("AUTH") and not peer.saw("MAIL") and not peer.messages,
          "AUTH or MAIL reached the peer", peer.commands)
    check(not common.leaks(PASSWORD, bytes(peer.wire), r.out, r.err), "the password leaked")


# (name, peer keyword arguments, regex the error must match)
REFUSED = [
    ("client-only key purpose", lambda p: dict(cert=p.client_only),
     r"not meant for a TLS server"),
    ("1024-bit RSA key", lambda p: dict(cert=p.rsa1024, ciphers=WEAK),
     r"too small a key|insecure algorithm"),
    ("SHA-1 signed intermediate", lambda p: dict(cert=p.sha1_chain, ciphers=WEAK),
     r"SHA-1|insecure algorithm"),
    ("static RSA key exchange only", lambda p: dict(cert=p.rsa_server, **STATIC_RSA),
     r"forward secrecy"),
]


def t_refused(env, tls, make_kw, pattern):
    with peer_mod.Peer(tls=tls, **make_kw(env.pki)) as p:
        r = env.run(p)
    check(r.rc == 69, "expected exit 69 (EX_UNAVAILABLE)", r)
    nothing_sent(p, r)
    check(re.search(pattern, r.err.decode(errors="replace"), re.I),
          "the error does not say which check failed (/%s/)" % pattern, r)


def t_good_rsa(env, tls):
    """Control: the same 2048-bit RSA certificate with forward secrecy passes."""
    with peer_mod.Peer(tls=tls, cert=env.pki.rsa_server) as p:
        r = env.run(p)
    check(r.rc == 0 and len(p.messages) == 1, "a 2048-bit RSA server with ECDHE failed", r)


def t_loosen_static_rsa(env):
    with peer_mod.Peer(cert=env.pki.rsa_server, **STATIC_RSA) as p:
        r = env.run(p, tls_priority="NORMAL:-VERS-ALL:+VERS-TLS1.2:+RSA")
    check(r.rc == 0 and len(p.messages) == 1, "+RSA in tls_priority must allow static RSA", r)


def t_loosen_key_size(env):
    with peer_mod.Peer(cert=env.pki.rsa1024, ciphers=WEAK) as p:
        r = env.run(p, tls_priority="NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%PROFILE_LOW")
    check(r.rc == 0 and len(p.messages) == 1, "%PROFILE_LOW must allow a 1024-bit key", r)


def t_priority_without_profile(env):
    """Widening the versions alone keeps the key-size floor."""
    with peer_mod.Peer(cert=env.pki.rsa1024, ciphers=WEAK) as p:
        r = env.run(p, tls_priority="NORMAL:+VERS-TLS1.1")
    check(r.rc == 69, "a tls_priority without a profile accepted a 1024-bit key", r)
    nothing_sent(p, r)


def t_purpose_never_loosened(env):
    with peer_mod.Peer(cert=env.pki.client_only) as p:
        r = env.run(p, tls_priority="NORMAL:+RSA:+VERS-TLS1.1:%PROFILE_LOW")
    check(r.rc == 69 and re.search(rb"not meant for a TLS server", r.err),
          "the key purpose must be checked whatever tls_priority says", r)
    nothing_sent(p, r)


def t_verify_allow_refused(env):
    with peer_mod.Peer(cert=env.pki.sha1_chain, ciphers=WEAK) as p:
        r = env.run(p, tls_priority="NORMAL:%VERIFY_ALLOW_SIGN_WITH_SHA1")
    check(r.rc == 78 and b"%VERIFY_ALLOW" in r.err, "%VERIFY_ALLOW_... must be refused (78)", r)
    nothing_sent(p, r)


def t_postfix_refused(pf, client, label, pattern):
    acc = client.account(port=pf.services[label].port, tls=pf.services[label].tls,
                         ca_file=pf.pki.ca.cert, password_file=pf.password_file, auth=["PLAIN"])
    off = pf.log_size()
    r = client.run(client.config(acc), ["-v", "rcpt@example.test"], b"Subject: p\n\nx\n",
                   timeout=60)
    check(r.rc == 69, "expected exit 69 (EX_UNAVAILABLE)", r)
    check(re.search(pattern, r.err.decode(errors="replace"), re.I),
          "the error does not say which check failed (/%s/)" % pattern, r)
    pf.wait_for_log(r"postfix/%s/smtpd\[\d+\]: disconnect from" % re.escape(label), off,
                    timeout=10)
    log = pf.log_since(off)
    check("sasl_method" not in log and "authentication failed" not in log
          and "from=<" not in log, "AUTH or MAIL reached Postfix", log)
    check(not common.leaks(pf.PASSWORD, r.out, r.err), "the password leaked", r)


def t_postfix_loosened(pf, client):
    acc = client.account(port=pf.services["sub-staticrsa"].port, tls="starttls",
                         ca_file=pf.pki.ca.cert, password_file=pf.password_file, auth=["PLAIN"],
                         tls_priority="NORMAL:-VERS-ALL:+VERS-TLS1.2:+RSA")
    r = client.run(client.config(acc), ["rcpt@example.test"], b"Subject: p\n\nx\n", timeout=60)
    check(r.rc == 0, "+RSA in tls_priority must reach a static-RSA Postfix", r)


def postfix_tests(binary, runner, only):
    """The Postfix half; skipped (with a line saying so) only outside CI when Postfix
    cannot run, as test_postfix.py is."""
    try:
        postfix_harness.require_environment()
    except SystemExit as e:
        if e.code != postfix_harness.SKIP:
            raise
        print("Postfix part not run: Postfix cannot run here (CI unset)")
        return
    with postfix_harness.Postfix() as pf:
        client = common.Client("okuru", binary, pf.dir)
        tests = []
        for base in ("sub", "smtps"):
            tests.append(("Postfix: client-only key purpose (%s) -> 69 before AUTH" % base,
                          t_postfix_refused, pf, client, base + "-clientonly",
                          r"not meant for a TLS server"))
            tests.append(("Postfix: static RSA only (%s) -> 69 before AUTH" % base,
                          t_postfix_refused, pf, client, base + "-staticrsa", r"forward secrecy"))
        tests.append(("Postfix: tls_priority +RSA reaches the static-RSA server",
                      t_postfix_loosened, pf, client))
        runner.run_all(tests, only)


def main(argv):
    pos = common.positional(argv[1:])
    only = common.arg_value(argv, "--only")
    binary = pos[0] if pos else None
    if not binary or not os.access(binary, os.X_OK):
        common.die("usage: test_cert_policy.py OKURU_BINARY [--only S]")
    if shutil.which("certtool") is None:
        common.die("certtool (gnutls-bin) is required")
    workdir = tempfile.mkdtemp(prefix="okuru-policy-")
    runner = common.Runner()
    try:
        env = Env(workdir, os.path.abspath(binary))
        tests = []
        for tls in ("starttls", "implicit"):
            for name, kw, pattern in REFUSED:
                tests.append(("%s (%s) -> 69 before AUTH" % (name, tls), t_refused, env, tls, kw,
                              pattern))
            tests.append(("control: 2048-bit RSA with ECDHE (%s)" % tls, t_good_rsa, env, tls))
        tests += [("tls_priority +RSA allows static RSA", t_loosen_static_rsa, env),
                  ("tls_priority %PROFILE_LOW allows a 1024-bit key", t_loosen_key_size, env),
                  ("tls_priority without a profile keeps 2048 bits", t_priority_without_profile,
                   env),
                  ("the key purpose is never loosened", t_purpose_never_loosened, env),
                  ("%VERIFY_ALLOW_... refused", t_verify_allow_refused, env)]
        runner.run_all(tests, only)
        postfix_tests(os.path.abspath(binary), runner, only)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return runner.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
