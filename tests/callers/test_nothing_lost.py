#!/usr/bin/python3
"""Nothing lost (issue 4): a failed submission saves the message and exits with
the failure code; SIGTERM mid-session never completes the message at the server
and saves it; --resend-failed sends each saved message exactly once, even with
two runs at the same time. Uses a small plaintext SMTP sink on 127.0.0.1:0 (TLS
is covered by the integration tests). Exits 0 when all pass, 1 otherwise."""
import os
import signal
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

OKURU = sys.argv[1]
check = common.SoftChecks()


class Sink:
    """Accepts SMTP sessions; records every completed message. With stall=True it
    answers the greeting and then never replies again."""

    def __init__(self, stall=False):
        self.stall = stall
        self.messages = []
        self.partial = 0
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.session, args=(conn,), daemon=True).start()

    def session(self, conn):
        f = conn.makefile("rb")
        conn.sendall(b"220 sink ESMTP\r\n")
        if self.stall:
            time.sleep(30)
            return
        rcpts, data = [], None
        try:
            for line in f:
                cmd = line.strip().upper()
                if cmd.startswith(b"EHLO"):
                    conn.sendall(b"250-sink\r\n250 8BITMIME\r\n")
                elif cmd.startswith(b"MAIL"):
                    rcpts = []
                    conn.sendall(b"250 ok\r\n")
                elif cmd.startswith(b"RCPT"):
                    rcpts.append(line.strip()[8:].decode())
                    conn.sendall(b"250 ok\r\n")
                elif cmd == b"DATA":
                    conn.sendall(b"354 go\r\n")
                    data = b""
                    for dl in f:
                        if dl == b".\r\n":
                            break
                        data += dl
                    else:
                        with self.lock:
                            self.partial += 1
                        return
                    with self.lock:
                        self.messages.append((rcpts, data))
                    conn.sendall(b"250 queued\r\n")
                elif cmd == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 ok\r\n")
        finally:
            conn.close()


def write_config(d, port, extra=""):
    path = os.path.join(d, "config.toml")
    with open(path, "w") as f:
        f.write('dead_letter = "%s"\n[accounts.lan]\nhost = "127.0.0.1"\nport = %d\n'
                'tls = "none"\ntimeout = 20\nconnect_timeout = 5\n%s' % (os.path.join(d, "failed"), port, extra))
    return path


def saved(d):
    return common.maildir_new(os.path.join(d, "failed"))


def main():
    msg = b"Subject: keep me\n\nimportant body\n"
    with tempfile.TemporaryDirectory() as d:
        # 1. Nobody listening: temporary failure, message saved, path printed.
        dead_port = postfix_harness.free_port()
        cfg = write_config(d, dead_port)
        p = subprocess.run([OKURU, "-C", cfg, "-i", "-f", "me@example.org", "a@x.example"],
                           input=msg, capture_output=True, timeout=30)
        err = p.stderr.decode()
        check(p.returncode == 75, "refused connection exits 75 (got %d)" % p.returncode)
        files = saved(d)
        check(len(files) == 1, "the message was saved once")
        check(any(f in err for f in files) and "Connection refused" in err,
              "stderr names the saved file and the reason")
        if files:
            text = open(os.path.join(d, "failed", "new", files[0]), "rb").read()
            check(b"important body" in text and b"X-Okuru-Envelope-To: a@x.example" in text,
                  "saved file holds the envelope and the body")

        # 2. SIGTERM while the server stalls: exit 75, saved, nothing completed.
        stall = Sink(stall=True)
        cfg = write_config(d, stall.port)
        p = subprocess.Popen([OKURU, "-C", cfg, "-i", "-f", "me@example.org", "b@x.example"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdin.write(msg)
        p.stdin.close()
        time.sleep(0.5)
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)
        err = p.stderr.read()
        check(p.returncode == 75, "SIGTERM mid-session exits 75 (got %d)" % p.returncode)
        check(b"interrupted by SIGTERM" in err, "stderr says it was interrupted")
        check(len(saved(d)) == 2, "the interrupted message was saved")

        # 2b. Stray signals (issue 10, part 7): SIGUSR1, SIGUSR2 and SIGXFSZ are
        # absorbed (the session goes on); SIGALRM is a deadline and is treated
        # like SIGTERM: exit 75, saved.
        p = subprocess.Popen([OKURU, "-C", cfg, "-i", "-f", "me@example.org", "d@x.example"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdin.write(msg)
        p.stdin.close()
        time.sleep(0.5)
        for sig in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGXFSZ):
            p.send_signal(sig)
        time.sleep(0.5)
        check(p.poll() is None, "SIGUSR1, SIGUSR2 and SIGXFSZ do not end the submission")
        p.send_signal(signal.SIGALRM)
        p.wait(timeout=10)
        err = p.stderr.read()
        check(p.returncode == 75, "SIGALRM mid-session exits 75 (got %d)" % p.returncode)
        check(b"interrupted by SIGALRM" in err, "stderr says SIGALRM interrupted it")
        check(len(saved(d)) == 3, "the message interrupted by SIGALRM was saved")

        # 3. Two concurrent retries (-q: the messages are not due yet for the
        # timer's --resend-failed, see test_retry.py): each delivered exactly once.
        sink = Sink()
        cfg = write_config(d, sink.port)
        runs = [subprocess.Popen([OKURU, "-C", cfg, "-q"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE) for _ in range(2)]
        codes = [r.wait(timeout=60) for r in runs]
        check(codes == [0, 0], "both resend runs exit 0 (got %s)" % codes)
        got = sorted(r for rcpts, _ in sink.messages for r in rcpts)
        check(got == ["<a@x.example>", "<b@x.example>", "<d@x.example>"],
              "each saved message sent exactly once (got %s)" % got)
        check(all(b"important body" in data for _, data in sink.messages), "resent bodies intact")
        check(saved(d) == [], "resent messages removed from the dead-letter Maildir")
        check(sink.partial == 0, "no partial transaction at the sink")

        # 4. The account's host is down: the fallback host takes the message.
        fallback = Sink()
        cfg = write_config(d, dead_port, 'fallback = ["127.0.0.1:%d"]\n' % fallback.port)
        p = subprocess.run([OKURU, "-C", cfg, "-i", "-f", "me@example.org", "c@x.example"],
                           input=msg, capture_output=True, timeout=30)
        check(p.returncode == 0 and len(fallback.messages) == 1,
              "fallback host used when the first refuses (exit %d)" % p.returncode)
        check(b"trying 127.0.0.1" in p.stderr, "the switch to the fallback host is reported")
        check(saved(d) == [], "nothing saved when the fallback accepted")

        # 4b. Both down: the log record names the host tried last.
        dead2 = postfix_harness.free_port()
        logfile = os.path.join(d, "fallback.log")
        cfg = write_config(d, dead_port, 'fallback = ["127.0.0.1:%d"]\n' % dead2)
        with open(cfg) as f:
            text = f.read()
        with open(cfg, "w") as f:
            f.write('log_file = "%s"\n' % logfile + text)
        p = subprocess.run([OKURU, "-C", cfg, "-i", "-f", "me@example.org", "c@x.example"],
                           input=msg, capture_output=True, timeout=30)
        logged = open(logfile).read() if os.path.exists(logfile) else ""
        check(p.returncode == 75 and " relay=127.0.0.1:%d " % dead2 in logged
              and " status=failed " in logged,
              "a failure through the fallback is logged with the fallback's relay: %r" % logged)
        for name in saved(d):
            os.unlink(os.path.join(d, "failed", "new", name))

    with tempfile.TemporaryDirectory() as d:
        # 5. A message that cannot even be routed (bare "root", no alias yet) is
        # kept too; once the configuration is fixed, a retry (-q) delivers it.
        sink = Sink()
        cfg = write_config(d, sink.port)
        logfile = os.path.join(d, "okuru.log")
        with open(cfg) as f:
            text = f.read()
        with open(cfg, "w") as f:
            f.write('log_file = "%s"\n' % logfile + text)
        p = subprocess.run([OKURU, "-C", cfg, "-i", "root"],
                           input=b"From: me@example.org\nSubject: unroutable\n\nkeep\n",
                           capture_output=True, timeout=30)
        check(p.returncode == 67 and b"root" in p.stderr, "bare recipient without alias exits 67 (got %d)" % p.returncode)
        files = saved(d)
        check(len(files) == 1, "the unroutable message was saved")
        if files:
            text = open(os.path.join(d, "failed", "new", files[0]), "rb").read()
            check(b"X-Okuru-Envelope-To: root\n" in text and b"X-Okuru-Envelope-From" not in text,
                  "saved with the recipient as given and no sender decided yet")
            logged = open(logfile).read() if os.path.exists(logfile) else ""
            check(logged.count("\n") == 1 and " account= to=<root> " in logged and " status=failed " in
                  logged and " exit=67 " in logged and files[0] in logged,
                  "the unroutable message is logged with where it was kept: %r" % logged)
            # mailq lists it (without claiming it); a broken configuration is an
            # error, never an empty listing of some other directory.
            q = subprocess.run([OKURU, "-C", cfg, "-bp"], capture_output=True, timeout=30)
            check(q.returncode == 0 and files[0].encode() in q.stdout
                  and b"    to:      <root>" in q.stdout, "mailq lists the kept message")
            broken = os.path.join(d, "broken.toml")
            with open(broken, "w") as f:
                f.write('dead_letter = "%s"\n[accounts.a]\nhots = "x"\n' % os.path.join(d, "failed"))
            q = subprocess.run([OKURU, "-C", broken, "-bp"], capture_output=True, timeout=30)
            check(q.returncode == 78 and b'"hots"' in q.stderr and not q.stdout,
                  "mailq with a broken configuration exits 78 (got %d)" % q.returncode)
        with open(cfg, "a") as f:
            f.write('[aliases]\nroot = "admin@example.org"\n')
        p = subprocess.run([OKURU, "-C", cfg, "-q"], capture_output=True, timeout=30)
        got = [(rcpts, data) for rcpts, data in sink.messages]
        check(p.returncode == 0 and len(got) == 1 and got[0][0] == ["<admin@example.org>"],
              "after the fix, -q qualifies and delivers it (got %s)" % [g[0] for g in got])
        check(saved(d) == [], "and removes it")

    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
