#!/usr/bin/python3
"""contrib/systemd: the resend timer and service, system and user units, checked
with `systemd-analyze verify` (ExecStart pointed at a stand-in okuru, since verify
wants the program to exist), and the choices okuru(8) documents asserted:
--resend-failed every 5 minutes, Persistent, 75 counted as success, no
NoNewPrivileges (it would cost okuru its setgid group).

usage: test_systemd_resend.py SOURCE_ROOT     exit 0 when all pass, 1 otherwise
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
    """The unit's "Key=value" lines, comments left out."""
    return [l.strip() for l in text.splitlines() if l.strip() and not l.startswith("#")]


def check_pair(scope, service_in, timer):
    with open(service_in) as f:
        service = f.read()
    with open(timer) as f:
        timer_text = f.read()
    s = settings(service)
    t = settings(timer_text)
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

    analyze = shutil.which("systemd-analyze")
    if not analyze:
        # tests/run-all installs systemd: a missing checker is a failure, never a skip.
        check(False, "systemd-analyze not installed (package systemd)")
        return
    with tempfile.TemporaryDirectory() as d:
        okuru = os.path.join(d, "okuru")
        with open(okuru, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(okuru, 0o755)
        with open(os.path.join(d, "okuru-resend.service"), "w") as f:
            f.write(service.replace("@bindir@", d))
        shutil.copy(timer, os.path.join(d, "okuru-resend.timer"))
        cmd = [analyze] + (["--user"] if scope == "user" else []) + [
            "verify", "--man=no",
            os.path.join(d, "okuru-resend.service"), os.path.join(d, "okuru-resend.timer")]
        env = dict(os.environ)
        if scope == "user":
            env.setdefault("XDG_RUNTIME_DIR", d)
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=d)
        # verify also reports problems of units it pulls in from the host (e.g.
        # timers.target's dependencies); only lines about ours count.
        ours = [l for l in (r.stdout + r.stderr).splitlines() if "okuru-resend" in l]
        check(r.returncode == 0 and not ours, "%s: systemd-analyze verify is clean" % scope,
              "exit %d\n%s%s" % (r.returncode, r.stdout, r.stderr))


def main():
    check_pair("system", os.path.join(UNITS, "okuru-resend.service.in"),
               os.path.join(UNITS, "okuru-resend.timer"))
    check_pair("user", os.path.join(UNITS, "user", "okuru-resend.service.in"),
               os.path.join(UNITS, "user", "okuru-resend.timer"))
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
