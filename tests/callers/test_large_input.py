#!/usr/bin/python3
"""Bounded memory whatever the input (issue 4): a 2 GiB message streamed through
`okuru --pretend` (which reads, normalises and spools the whole body exactly as a
real submission does) must be accepted with the right body size and a peak RSS
far below the message size. Exits 0 when all pass, 1 otherwise."""
import os
import subprocess
import sys
import tempfile
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import common  # noqa: E402

OKURU = sys.argv[1]
GIB = 1 << 30
LIMIT_KIB = 64 * 1024  # peak RSS allowed: 64 MiB for a 2048 MiB message


def main():
    check = common.SoftChecks()
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "c.toml")
        with open(cfg, "w") as f:
            f.write('[accounts.a]\nhost = "smtp.example.org"\n')
        line = b"x" * 77 + b"\n"            # LF input: okuru writes CR LF, one octet more per line
        block = line * (65536 // len(line))
        blocks = (2 * GIB) // len(block)
        body_in = blocks * len(block)
        expect = body_in + body_in // len(line)
        p = subprocess.Popen([OKURU, "-C", cfg, "--pretend", "-i", "-f", "me@example.org",
                              "a@example.org"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)

        def feed():
            try:
                p.stdin.write(b"Subject: big\n\n")
                for _ in range(blocks):
                    p.stdin.write(block)
            finally:
                p.stdin.close()

        t = threading.Thread(target=feed)
        t.start()
        out = p.stdout.read()
        err = p.stderr.read()
        t.join()
        _, status, usage = os.wait4(p.pid, 0)
        rc = os.waitstatus_to_exitcode(status)
        check(rc == 0 and ("body:      %d bytes" % expect).encode() in out,
              "2 GiB message accepted with the exact body size (exit %d)" % rc,
              out.decode(errors="replace")[-500:] + " " + err.decode(errors="replace")[-500:])
        check(usage.ru_maxrss < LIMIT_KIB,
              "peak RSS %d KiB for 2 GiB (limit %d KiB)" % (usage.ru_maxrss, LIMIT_KIB))
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
