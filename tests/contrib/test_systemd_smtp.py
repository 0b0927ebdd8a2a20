#!/usr/bin/python3
"""contrib/systemd: okuru-smtp.socket and okuru-smtp@.service (SMTP on
localhost:25, okuru(8)), checked with `systemd-analyze verify` (ExecStart
pointed at a stand-in okuru, since verify wants the program to exist), and the
choices okuru(8) documents asserted: loopback only, one okuru -bs per
connection, an unprivileged user with okuru's group, errors to the journal.

usage: test_systemd_smtp.py SOURCE_ROOT     exit 0 when all pass, 1 otherwise
"""
import os
import shutil
import subprocess
import sys
import tempfile

SRC = os.path.abspath(sys.argv[1])
UNITS = os.path.join(SRC, "contrib", "systemd")
failures = []


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
        if detail:
            print("     " + detail.replace("\n", "\n     "))


def settings(text):
    return [l.strip() for l in text.splitlines() if l.strip() and not l.startswith("#")]


def main():
    with open(os.path.join(UNITS, "okuru-smtp.socket")) as f:
        socket_text = f.read()
    with open(os.path.join(UNITS, "okuru-smtp@.service.in")) as f:
        service = f.read()
    so = settings(socket_text)
    s = settings(service)
    listens = [l for l in so if l.startswith("ListenStream=")]
    check(listens == ["ListenStream=127.0.0.1:25", "ListenStream=[::1]:25"],
          "socket: listens on loopback port 25 only", repr(listens))
    check("Accept=yes" in so, "socket: one service instance per connection (Accept=yes)")
    check("BindIPv6Only=ipv6-only" in so, "socket: ::1 without IPv4-mapped addresses")
    check("WantedBy=sockets.target" in so, "socket: enabled through sockets.target")
    check("ExecStart=@bindir@/okuru -bs" in s, "service: runs okuru -bs")
    check("StandardInput=socket" in s and "StandardOutput=socket" in s,
          "service: the connection is standard input and output")
    check("StandardError=journal" in s,
          "service: okuru's messages go to the journal, not to the SMTP client")
    check("DynamicUser=yes" in s and "SupplementaryGroups=okuru" in s,
          "service: an unprivileged user with okuru's group")
    check(not any(l.startswith("[Install]") for l in s),
          "service: no [Install]: only the socket starts it")
    for hardening in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
                      "PrivateDevices=yes", "CapabilityBoundingSet="):
        check(hardening in s, "service: " + hardening)

    analyze = shutil.which("systemd-analyze")
    if not analyze:
        check(False, "systemd-analyze not installed (package systemd)")
    else:
        with tempfile.TemporaryDirectory() as d:
            okuru = os.path.join(d, "okuru")
            with open(okuru, "w") as f:
                f.write("#!/bin/sh\nexit 0\n")
            os.chmod(okuru, 0o755)
            with open(os.path.join(d, "okuru-smtp@.service"), "w") as f:
                f.write(service.replace("@bindir@", d).replace("@spooldir@", "/var/spool/okuru"))
            shutil.copy(os.path.join(UNITS, "okuru-smtp.socket"), d)
            r = subprocess.run([analyze, "verify", "--man=no",
                                os.path.join(d, "okuru-smtp.socket"),
                                os.path.join(d, "okuru-smtp@.service")],
                               capture_output=True, text=True, cwd=d)
            ours = [l for l in (r.stdout + r.stderr).splitlines() if "okuru-smtp" in l]
            check(r.returncode == 0 and not ours, "systemd-analyze verify is clean",
                  "exit %d\n%s%s" % (r.returncode, r.stdout, r.stderr))
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
