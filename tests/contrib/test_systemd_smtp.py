#!/usr/bin/python3
"""contrib/systemd: okuru-smtp.socket and okuru-smtp@.service (SMTP on
localhost:25, okuru(8)), checked with `systemd-analyze verify` (ExecStart
pointed at a stand-in okuru, since verify wants the program to exist), and the
choices okuru(8) documents asserted: loopback only, one okuru -bs per
connection, an unprivileged user with okuru's group, errors to the journal.

usage: test_systemd_smtp.py SOURCE_ROOT     exit 0 when all pass, 1 otherwise
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import common  # noqa: E402
import systemd_units  # noqa: E402

SRC = os.path.abspath(sys.argv[1])
UNITS = os.path.join(SRC, "contrib", "systemd")
check = common.SoftChecks()


def main():
    socket_text, so = systemd_units.read_unit(os.path.join(UNITS, "okuru-smtp.socket"))
    service, s = systemd_units.read_unit(os.path.join(UNITS, "okuru-smtp@.service.in"))
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
    systemd_units.verify(check, "systemd-analyze verify is clean",
                         [("okuru-smtp.socket", socket_text),
                          ("okuru-smtp@.service",
                           service.replace("@spooldir@", "/var/spool/okuru"))],
                         "okuru-smtp")
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
