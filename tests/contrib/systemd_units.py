"""What the checks of contrib/systemd's units share (test_systemd_resend.py and
test_systemd_smtp.py): a unit's settings, and `systemd-analyze verify` run on
the units with ExecStart pointed at a stand-in okuru, since verify wants the
program to exist. Standard library only.
"""
import os
import shutil
import subprocess
import tempfile


def settings(text):
    """The unit's "Key=value" lines (and section headers), stripped; comments left out."""
    return [l.strip() for l in text.splitlines() if l.strip() and not l.startswith("#")]


def read_unit(path):
    """The unit file's text and its settings."""
    with open(path) as f:
        text = f.read()
    return text, settings(text)


def verify(check, what, units, ours, user=False):
    """Checks (with `check`, a common.SoftChecks) that `systemd-analyze verify`
    finds nothing wrong with `units`, a list of (file name, text) written into a
    fresh directory that also holds the stand-in okuru: "@bindir@" in a text
    becomes that directory. --user verifies them as user units. Clean means exit 0
    and no line naming `ours`: verify also reports problems of the units it pulls
    in from the host (e.g. timers.target's dependencies)."""
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
        paths = []
        for name, text in units:
            paths.append(os.path.join(d, name))
            with open(paths[-1], "w") as f:
                f.write(text.replace("@bindir@", d))
        env = dict(os.environ)
        if user:
            env.setdefault("XDG_RUNTIME_DIR", d)
        r = subprocess.run([analyze] + (["--user"] if user else []) + ["verify", "--man=no"]
                           + paths, capture_output=True, text=True, env=env, cwd=d)
        found = [l for l in (r.stdout + r.stderr).splitlines() if ours in l]
        check(r.returncode == 0 and not found, what,
              "exit %d\n%s%s" % (r.returncode, r.stdout, r.stderr))
