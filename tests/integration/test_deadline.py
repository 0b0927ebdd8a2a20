"""The overall deadline of one submission (issue 12): a server that answers
every reply just inside the per-reply timeout cannot hold okuru for ever. With
timeout = 1 s and the scripted peer sleeping 0.7 s before each reply, the
`deadline` ends the submission: exit 75, the message kept for --resend-failed,
the dialogue cut off. The same server with a generous deadline delivers (so the
per-reply timeout alone was not what stopped it).

usage: /usr/bin/python3 test_deadline.py OKURU_BINARY
Needs certtool (gnutls-bin) and loopback; exits 0/1 itself.
"""

import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import common  # noqa: E402
from common import check  # noqa: E402
import peer as peer_mod  # noqa: E402
import pki  # noqa: E402

DELAY = 0.7  # seconds before each reply: inside the 1 s per-reply timeout


def run(client, workdir, p, ca, deadline):
    password = common.write_file(os.path.join(workdir, "password"), "pw-deadline\n")
    account = client.account(port=p.port, tls=p.tls, ca_file=ca, password_file=password,
                             auth=["PLAIN"], timeout=1, deadline=deadline)
    return client.run(client.config(account), ["rcpt@example.test"],
                      b"Subject: slow\n\nbody\n", timeout=60)


def kept(workdir):
    new = os.path.join(workdir, "failed", "new")
    return sorted(os.listdir(new)) if os.path.isdir(new) else []


def t_deadline(client, workdir, ca_pki, tls):
    before = kept(workdir)
    with peer_mod.Peer(cert=ca_pki.server, tls=tls, reply_delay=DELAY) as p:
        r = run(client, workdir, p, ca_pki.ca.cert, 2)
    check(r.rc == 75, "expected exit 75 (EX_TEMPFAIL)", r)
    check(1.5 <= r.seconds < 4.0, "the deadline of 2 s was not what ended it", r)
    check(b"deadline" in r.err, "the error does not name the deadline", r)
    # Cut off before the end of the dialogue (the whole of it takes over 4 s).
    check(not p.saw("QUIT"), "the dialogue ran to its end", p.commands)
    check(len(kept(workdir)) == len(before) + 1, "the message was not kept", r)


def t_control(client, workdir, ca_pki, tls):
    with peer_mod.Peer(cert=ca_pki.server, tls=tls, reply_delay=DELAY) as p:
        r = run(client, workdir, p, ca_pki.ca.cert, 120)
    check(r.rc == 0 and len(p.messages) == 1, "the slow server within the deadline failed", r)
    check(r.seconds > 3.5, "the peer was not slow enough to prove anything", r)


def main(argv):
    binary = argv[1] if len(argv) > 1 else None
    if not binary or not os.access(binary, os.X_OK):
        common.die("usage: test_deadline.py OKURU_BINARY")
    if shutil.which("certtool") is None:
        common.die("certtool (gnutls-bin) is required")
    workdir = tempfile.mkdtemp(prefix="okuru-deadline-")
    runner = common.Runner()
    try:
        ca_pki = pki.make_pki(workdir)
        client = common.Client("okuru", os.path.abspath(binary), workdir)
        for tls in ("starttls", "implicit"):
            runner.run("deadline ends a slow server (%s) -> 75, kept" % tls, t_deadline, client,
                       workdir, ca_pki, tls)
            runner.run("control: the same server within the deadline (%s)" % tls, t_control,
                       client, workdir, ca_pki, tls)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return runner.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
