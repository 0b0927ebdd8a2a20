#!/usr/bin/python3
"""contrib/systemd: the resend timer and service, system and user units, checked
with `systemd-analyze verify` (ExecStart pointed at a stand-in okuru, since verify
wants the program to exist), and the choices okuru(8) documents asserted:
--resend-failed every 5 minutes, Persistent, 75 counted as success, no
NoNewPrivileges (it would cost okuru its setgid group).

usage: test_systemd_resend.py SOURCE_ROOT     exit 0 when all pass, 1 otherwise
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


def check_pair(scope, service_in, timer):
    service, s = systemd_units.read_unit(service_in)
    timer_text, t = systemd_units.read_unit(timer)
    check("ExecStart=@bindir@/okuru --resend-failed" in s,
          "%s: the service runs okuru --resend-failed" % scope)
    check("SuccessExitStatus=75" in s, "%s: exit 75 (relay still down) is success" % scope)
    check(not any(l.startswith("NoNewPrivileges") for l in s),
          "%s: no NoNewPrivileges (okuru's setgid group must work)" % scope)
    check("OnCalendar=*:0/5" in t and "Persistent=true" in t and "WantedBy=timers.target" in t,
          "%s: the timer fires every 5 minutes, catches up at boot, is enabled by timers.target"
          % scope)
    check(not any(l.startswith("[Install]") for l in s),
          "%s: the service has no [Install]: only the timer starts it" % scope)
    systemd_units.verify(check, "%s: systemd-analyze verify is clean" % scope,
                         [("okuru-resend.service", service), ("okuru-resend.timer", timer_text)],
                         "okuru-resend", user=scope == "user")


def main():
    check_pair("system", os.path.join(UNITS, "okuru-resend.service.in"),
               os.path.join(UNITS, "okuru-resend.timer"))
    check_pair("user", os.path.join(UNITS, "user", "okuru-resend.service.in"),
               os.path.join(UNITS, "user", "okuru-resend.timer"))
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
