#!/usr/bin/python3
"""The system spool (issue 10, part 1), against the real Postfix of the test suite.

Daemon users as cron under systemd, atd or PHP run the mailer: nobody with HOME
unset (its password-database home /nonexistent does not exist) and www-data with
a HOME that does not exist. The relay (a TCP forwarder in front of Postfix's
submission port) is down: each message is kept in the system spool, exit 75.
User A can neither list, read, rename nor remove user B's message. Root's mailq
lists both with user=NAME; the relay comes up; root's okuru -q (the timer's
--resend-failed with the backoff waived)
delivers each exactly once (read back from Postfix's Maildir). Then: a
dead_letter shared by two users is refused for the second with the reason; an
unreadable dead-letter directory makes mailq exit 74; a message that can be
kept nowhere exits 73, never 75, and is logged kept=no.

The compiled-in spool (argv[2]) is never touched: every okuru run happens in a
private mount namespace (unshare -m) where a temporary directory is bound over
it, as tests/callers/test_setgid.py does for /etc/okuru.toml; no test seam in
okuru. Needs root (CI runs as root). Exits 0 when all pass, 1 otherwise."""
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import common  # noqa: E402
import postfix_harness  # noqa: E402

OKURU = os.path.abspath(sys.argv[1])
SPOOLDIR = sys.argv[2]
check = common.SoftChecks()


class Forwarder:
    """127.0.0.1:port -> Postfix's submission port; down() refuses connections
    (the relay is unreachable), up() listens on the same port again."""

    def __init__(self, target_port):
        self.target = target_port
        self.port = postfix_harness.free_port()
        self.sock = None

    def up(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(16)
        threading.Thread(target=self.serve, args=(self.sock,), daemon=True).start()

    def down(self):
        if self.sock:
            # shutdown() first: a thread blocked in accept() keeps a merely closed
            # listening socket alive (and accepting) on Linux.
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
            self.sock = None

    def serve(self, sock):
        while True:
            try:
                client, _ = sock.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self.pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def pipe(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def in_spool_namespace(spool, argv, user=None, env=None, stdin=b"", system_cfg=None):
    """Runs argv with `spool` bound over the compiled-in spool directory (and
    `system_cfg` over /etc/okuru.toml, which must then exist), as root or, with
    `user`, through runuser with exactly `env` (env -i: no HOME unless given)."""
    env = env if env is not None else {"PATH": "/usr/bin:/bin"}
    inner = ["env", "-i"] + ["%s=%s" % kv for kv in env.items()] + argv
    if user:
        inner = ["runuser", "-u", user, "--"] + inner
    binds = 'mount --bind "$0" "$1" && shift'
    args = [spool, SPOOLDIR]
    if system_cfg:
        binds = 'mount --bind "$0" "$1" && mount --bind "$2" /etc/okuru.toml && shift 2'
        args = [spool, SPOOLDIR, system_cfg]
    cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c",
           binds + ' && exec "$@"'] + args + inner
    return subprocess.run(cmd, input=stdin, capture_output=True, timeout=60)


def make_spool(parent, name):
    """A spool as meson install and the Debian package make it: root, 1733."""
    spool = os.path.join(parent, name)
    for sub in ("", "tmp", "new", "cur"):
        d = os.path.join(spool, sub)
        os.mkdir(d)
        os.chown(d, 0, 0)
        os.chmod(d, 0o1733)
    return spool


def write_config(path, owner, port, ca, extra=""):
    with open(path, "w") as f:
        f.write('%sdomain = "example.test"\n[accounts.relay]\nhost = "localhost"\nport = %d\n'
                'tls = "starttls"\nuser = "%s"\npassword = "%s"\nca_file = "%s"\n'
                'system_trust = false\nconnect_timeout = 5\ntimeout = 30\n'
                % (extra, port, postfix_harness.Postfix.USER, postfix_harness.Postfix.PASSWORD,
                   ca))
    os.chown(path, owner.pw_uid, owner.pw_gid)
    os.chmod(path, 0o600)
    return path


def as_user(user, argv):
    return subprocess.run(["runuser", "-u", user, "--"] + argv, capture_output=True, timeout=30)


def spool_files(spool):
    d = os.path.join(spool, "new")
    return sorted(os.listdir(d))


def make_due(spool):
    """Moves each spooled message's next attempt into the past, as the backoff's
    five minutes passing would (rewritten in place: owner and mode stay)."""
    d = os.path.join(spool, "new")
    for name in os.listdir(d):
        with open(os.path.join(d, name), "r+b") as f:
            data = f.read()
            due = re.sub(rb"(?m)^X-Okuru-Next-Attempt: [0-9]+$", b"X-Okuru-Next-Attempt: 1", data)
            f.seek(0)
            f.write(due)
            f.truncate()


def main():
    if SPOOLDIR in ("", "/") or not SPOOLDIR.startswith("/"):
        print("bad spool directory %r" % SPOOLDIR)
        return 1
    postfix_harness.require_environment()
    nobody = pwd.getpwnam("nobody")
    www = pwd.getpwnam("www-data")
    root = pwd.getpwnam("root")
    check(not os.path.exists(nobody.pw_dir), "nobody's home %s does not exist" % nobody.pw_dir)

    # The compiled-in spool must exist for mount --bind; made here if missing and
    # removed again (only what this test created).
    made = []
    p = SPOOLDIR
    while not os.path.exists(p):
        made.append(p)
        p = os.path.dirname(p)
    for d in reversed(made):
        os.mkdir(d, 0o755)

    d = tempfile.mkdtemp(prefix="okuru-spool-test-")
    os.chmod(d, 0o755)
    try:
        with postfix_harness.Postfix() as pf:
            run_tests(pf, d, nobody, www, root)
    finally:
        shutil.rmtree(d, ignore_errors=True)
        for p in made:
            os.rmdir(p)
    return check.finish()


def run_tests(pf, d, nobody, www, root):
    ca = os.path.join(d, "ca.pem")
    shutil.copy(pf.pki.ca.cert, ca)
    os.chmod(ca, 0o644)
    relay = Forwarder(pf.services["sub"].port)
    spool = make_spool(d, "spool")
    cfg_nobody = write_config(os.path.join(d, "nobody.toml"), nobody, relay.port, ca)
    cfg_www = write_config(os.path.join(d, "www.toml"), www, relay.port, ca)
    cfg_root = write_config(os.path.join(d, "root.toml"), root, relay.port, ca)
    root_home = os.path.join(d, "root-home")
    os.mkdir(root_home, 0o700)
    root_env = {"PATH": "/usr/bin:/bin", "HOME": root_home}

    # 1. Relay down. nobody with HOME unset, www-data with a home that is missing.
    relay.down()
    p = in_spool_namespace(spool, [OKURU, "-C", cfg_nobody, "-i", "-f", "nobody@example.test",
                                   "a@example.test"], user="nobody",
                           stdin=b"Subject: from nobody\n\nbody of nobody\n")
    err = p.stderr.decode(errors="replace")
    check(p.returncode == 75, "nobody, HOME unset, relay down: exit 75 (got %d)" % p.returncode,
          err)
    check("in the system spool" in err and "/nonexistent" in err,
          "stderr says it is in the system spool, and why not in the home", err)
    files = spool_files(spool)
    check(len(files) == 1, "one file in the spool's new/", files)
    nobody_file = os.path.join(spool, "new", files[0]) if files else None
    if nobody_file:
        st = os.stat(nobody_file)
        check(st.st_uid == nobody.pw_uid and (st.st_mode & 0o7777) == 0o600,
              "the file is nobody's, mode 0600 (%o)" % (st.st_mode & 0o7777))
        check(re.search(r"R[0-9a-f]{32}\.", files[0]) is not None,
              "its name holds 128 random bits", files[0])
    check(os.listdir(os.path.join(spool, "tmp")) == [], "nothing left in tmp/")

    missing_home = os.path.join(d, "www-home-missing")
    p = in_spool_namespace(spool, [OKURU, "-C", cfg_www, "-i", "-f", "www@example.test",
                                   "b@example.test"], user="www-data",
                           env={"PATH": "/usr/bin:/bin", "HOME": missing_home},
                           stdin=b"Subject: from www-data\n\nbody of www-data\n")
    err = p.stderr.decode(errors="replace")
    check(p.returncode == 75, "www-data, missing home, relay down: exit 75 (got %d)"
          % p.returncode, err)
    check(not os.path.exists(missing_home), "the missing home was not created")
    files = spool_files(spool)
    check(len(files) == 2, "two files in the spool's new/", files)
    www_files = [f for f in files if nobody_file is None or f != os.path.basename(nobody_file)]
    www_file = os.path.join(spool, "new", www_files[0]) if www_files else None

    # 2. Spool permissions: www-data cannot list, read, rename or remove nobody's.
    r = as_user("www-data", ["ls", os.path.join(spool, "new")])
    check(r.returncode != 0, "www-data cannot list the spool")
    r = as_user("nobody", ["ls", os.path.join(spool, "new")])
    check(r.returncode != 0, "nobody cannot list the spool either")
    if nobody_file:
        r = as_user("www-data", ["cat", nobody_file])
        check(r.returncode != 0 and b"body of nobody" not in r.stdout,
              "www-data cannot read nobody's message")
        r = as_user("www-data", ["rm", "-f", nobody_file])
        check(os.path.exists(nobody_file), "www-data cannot remove nobody's message")
        r = as_user("www-data", ["mv", nobody_file, nobody_file + ".x"])
        check(os.path.exists(nobody_file), "www-data cannot rename nobody's message")
    if www_file:
        r = as_user("nobody", ["cat", www_file])
        check(r.returncode != 0, "nobody cannot read www-data's message")
        r = as_user("nobody", ["rm", "-f", www_file])
        check(os.path.exists(www_file), "nobody cannot remove www-data's message")

    # 3. Root's mailq lists both, naming who submitted each.
    p = in_spool_namespace(spool, [OKURU, "-C", cfg_root, "-bp"], env=root_env)
    out = p.stdout.decode(errors="replace")
    check(p.returncode == 0, "root's mailq exits 0 (got %d)" % p.returncode,
          out + p.stderr.decode(errors="replace"))
    for path, name in ((nobody_file, "nobody"), (www_file, "www-data")):
        line = [ln for ln in out.splitlines() if path and os.path.basename(path) in ln]
        check(len(line) == 1 and line[0].endswith("user=" + name),
              "root's mailq lists %s's message with user=%s" % (name, name), out)
    check("2 message(s)" in out, "root's mailq counts two", out)
    p = in_spool_namespace(spool, [OKURU, "-C", cfg_nobody, "-bp"], user="nobody")
    check(p.returncode == 0 and b"user=" not in p.stdout,
          "nobody's mailq lists only nobody's own Maildir (not the spool)",
          p.stdout + p.stderr)

    # 4a. Root's own configuration (found in its home, no -C) never sends the
    # spool: other users' messages go through the system file only. Root's own
    # file here names the working relay; the system file (bound over
    # /etc/okuru.toml) is broken: the messages stay, and root is told why.
    relay.up()
    pf.clear_mail()
    make_due(spool)
    own = os.path.join(root_home, ".config", "okuru")
    os.makedirs(own)
    shutil.copy(cfg_root, os.path.join(own, "config.toml"))
    broken = os.path.join(d, "system-broken.toml")
    with open(broken, "w") as f:
        f.write("[accounts.relay\n")
    placeholder = not os.path.lexists("/etc/okuru.toml")
    if placeholder:
        open("/etc/okuru.toml", "w").close()
    try:
        before = spool_files(spool)
        p = in_spool_namespace(spool, [OKURU, "--resend-failed"], env=root_env,
                               system_cfg=broken)
        err = p.stderr.decode(errors="replace")
        check(p.returncode == 78, "root's own configuration: the spool is not resent, exit 78 "
              "(got %d)" % p.returncode, err)
        check(SPOOLDIR + ": not resent: its messages go through /etc/okuru.toml" in err,
              "root is told the spool needs the system configuration", err)
        check(spool_files(spool) == before and len(before) == 2, "both messages stay in the spool")
        time.sleep(1)
        pf.settle()
        check(pf.messages() == [], "nothing was sent through root's own account")

        # 4. Relay up, the backoff passed: the timer's command (root's
        # --resend-failed, no -C) sends each once through the system file, while
        # root's own file now names a port where nothing listens; a second run
        # sends nothing.
        write_config(os.path.join(own, "config.toml"), root, postfix_harness.free_port(), ca)
        p = in_spool_namespace(spool, [OKURU, "--resend-failed"], env=root_env,
                               system_cfg=cfg_root)
    finally:
        if placeholder:
            os.unlink("/etc/okuru.toml")
        shutil.rmtree(os.path.join(root_home, ".config"))
    err = p.stderr.decode(errors="replace")
    check(p.returncode == 0, "root's --resend-failed exits 0 (got %d)" % p.returncode, err)
    check("2 message(s) resent, 0 given up, 0 left in " + SPOOLDIR in err,
          "it says two were resent", err)
    check(spool_files(spool) == [], "the spool is empty")
    msgs = pf.wait_for_messages(2)
    time.sleep(2)
    pf.settle()
    msgs = pf.messages()
    bodies = [open(m, "rb").read() for m in msgs]
    check(len(msgs) == 2, "Postfix delivered exactly two messages (got %d)" % len(msgs))
    for needle in (b"body of nobody", b"body of www-data"):
        check(sum(needle in b for b in bodies) == 1, "%s delivered exactly once" % needle.decode())
    check(all(b"X-Okuru-" not in b for b in bodies), "no X-Okuru- field reached the wire")
    p = in_spool_namespace(spool, [OKURU, "-C", cfg_root, "-q"], env=root_env)
    time.sleep(1)
    pf.settle()
    check(p.returncode == 0 and len(pf.messages()) == 2, "a second run sends nothing")

    # 5. A dead_letter shared by two users: the second is refused, with the reason.
    relay.down()
    shared = os.path.join(d, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o1777)
    extra = 'dead_letter = "%s"\n' % os.path.join(shared, "failed")
    cfg_a = write_config(os.path.join(d, "shared-a.toml"), nobody, relay.port, ca, extra)
    cfg_b = write_config(os.path.join(d, "shared-b.toml"), www, relay.port, ca, extra)
    p = in_spool_namespace(spool, [OKURU, "-C", cfg_a, "-i", "c@example.test"], user="nobody",
                           stdin=b"Subject: s\n\nx\n")
    check(p.returncode == 75 and os.listdir(os.path.join(shared, "failed", "new")),
          "shared dead_letter: the first user's message is kept there (exit %d)" % p.returncode,
          p.stderr)
    p = in_spool_namespace(spool, [OKURU, "-C", cfg_b, "-i", "c@example.test"],
                           user="www-data", stdin=b"Subject: s\n\nx\n")
    err = p.stderr.decode(errors="replace")
    check(p.returncode == 78 and "belongs to nobody" in err and "one user's messages" in err,
          "shared dead_letter: the second user is refused with the reason (exit %d)"
          % p.returncode, err)
    check(spool_files(spool) == [], "nothing went to the spool instead")

    # 6. An unreadable dead-letter directory: mailq and --resend-failed exit 74.
    own = os.path.join(shared, "failed")
    os.chmod(os.path.join(own, "new"), 0o300)
    for args, what in ((["-bp"], "mailq"), (["--resend-failed"], "--resend-failed")):
        p = in_spool_namespace(spool, [OKURU, "-C", cfg_a] + args, user="nobody")
        err = p.stderr.decode(errors="replace")
        check(p.returncode == 74 and "cannot read " + os.path.join(own, "new") in err
              and b"is empty" not in p.stdout,
              "%s: an unreadable directory exits 74, never 'empty' (got %d)"
              % (what, p.returncode), p.stdout.decode(errors="replace") + err)
    os.chmod(os.path.join(own, "new"), 0o700)

    # 7. Kept nowhere (a spool that cannot be written): 73, never 75; kept=no logged.
    broken = os.path.join(d, "broken-spool")
    os.mkdir(broken, 0o755)
    log = os.path.join(d, "nowhere.log")
    open(log, "w").close()
    os.chown(log, nobody.pw_uid, nobody.pw_gid)
    p = in_spool_namespace(broken, [OKURU, "-C", cfg_nobody, "-X", log, "-i",
                                    "d@example.test"], user="nobody",
                           stdin=b"Subject: lost\n\nx\n")
    err = p.stderr.decode(errors="replace")
    logged = open(log).read()
    check(p.returncode == 73, "kept nowhere: exit 73, not 75 (got %d)" % p.returncode, err)
    check("not kept anywhere" in err and "/nonexistent" in err and broken not in err,
          "stderr says the message is kept nowhere and why", err)
    check(" kept=no" in logged, "the log record says kept=no", logged)
    relay.down()


if __name__ == "__main__":
    sys.exit(main())
