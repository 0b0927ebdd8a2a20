#!/usr/bin/python3
"""contrib/systemd: the okuru-failure script runs with stand-ins for okuru,
systemctl and journalctl first on PATH, which record their arguments (and
okuru its message); the message, the recipients and the command lines are
asserted. The unit is checked with `systemd-analyze verify` when that program
exists (else that part is reported as skipped).

usage: test_systemd_failure.py SOURCE_ROOT     exit 0 when all pass, 1 otherwise
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import common  # noqa: E402

SRC = os.path.abspath(sys.argv[1])
SCRIPT = os.path.join(SRC, "contrib", "systemd", "okuru-failure")
UNIT_IN = os.path.join(SRC, "contrib", "systemd", "okuru-failure@.service.in")
HOST = os.uname().nodename
INVOCATION = "0123456789abcdef0123456789abcdef"

# Each stand-in appends its argv (one argument per line, then a blank line) to
# $LOG/<name>.args. okuru also saves its standard input and exits $OKURU_EXIT.
STANDIN = """#!/bin/sh
for a in "$@"; do printf '%s\\n' "$a"; done >> "$LOG/{name}.args"
echo >> "$LOG/{name}.args"
{body}
"""
BODIES = {
    "okuru": 'cat > "$LOG/message"\nexit "${OKURU_EXIT:-0}"',
    # `show --property=InvocationID --value` prints $INVOCATION_ID; status fails like
    # systemctl does for a failed unit (exit 3), which must not stop the script.
    "systemctl": 'case "$*" in *show*) printf "%s\\n" "$INVOCATION_ID" ;;\n'
                 '  *status*) echo "x backup.service - Nightly backup"; echo "   Active: failed (Result: exit-code)"; exit 3 ;;\n'
                 'esac',
    "journalctl": 'echo "backup.sh[42]: rsync: connection refused"\necho "systemd[1]: backup.service: Failed with result exit-code."',
}


def args_of(log, name):
    """The argument vectors a stand-in was called with, in order."""
    path = os.path.join(log, name + ".args")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        blocks = f.read().split("\n\n")
    return [b.split("\n") for b in blocks if b]


def run(argv, env_extra=None):
    """Runs the script with fresh stand-ins; returns (exit, stderr, log dir contents)."""
    log = tempfile.mkdtemp()
    bindir = os.path.join(log, "bin")
    os.mkdir(bindir)
    for name, body in BODIES.items():
        path = os.path.join(bindir, name)
        with open(path, "w") as f:
            f.write(STANDIN.format(name=name, body=body))
        os.chmod(path, 0o755)
    env = {"PATH": bindir + ":/usr/bin:/bin", "LOG": log, "INVOCATION_ID": INVOCATION}
    env.update(env_extra or {})
    p = subprocess.run(["/bin/sh", SCRIPT] + argv, capture_output=True, timeout=30, env=env)
    result = {
        "code": p.returncode,
        "stderr": p.stderr.decode(errors="replace"),
        "okuru": args_of(log, "okuru"),
        "systemctl": args_of(log, "systemctl"),
        "journalctl": args_of(log, "journalctl"),
        "message": None,
    }
    if os.path.exists(os.path.join(log, "message")):
        with open(os.path.join(log, "message"), "rb") as f:
            result["message"] = f.read().decode()
    shutil.rmtree(log)
    return result


def split_message(text):
    head, _, body = text.partition("\n\n")
    headers = [tuple(line.split(": ", 1)) for line in head.split("\n")]
    return headers, body


def check_failure_mail():
    problems = []
    r = run(["backup.service"])
    if r["code"] != 0:
        return ["exit %d: %s" % (r["code"], r["stderr"])]
    if r["okuru"] != [["-t", "-i", "-F", "systemd on " + HOST]]:
        problems.append("okuru called as %r" % r["okuru"])
    headers, body = split_message(r["message"] or "")
    want = [("To", "root"), ("Subject", "[%s] backup.service failed" % HOST),
            ("Auto-Submitted", "auto-generated"), ("MIME-Version", "1.0"),
            ("Content-Type", "text/plain; charset=UTF-8"), ("Content-Transfer-Encoding", "8bit")]
    if headers != want:
        problems.append("headers %r, want %r" % (headers, want))
    for text in ("backup.service failed on %s." % HOST, "Active: failed (Result: exit-code)",
                 "rsync: connection refused", "Failed with result exit-code."):
        if text not in body:
            problems.append("body lacks %r" % text)
    if ["--system", "status", "--full", "--no-pager", "--lines=0", "--", "backup.service"] not in r["systemctl"]:
        problems.append("no systemctl status of the unit: %r" % r["systemctl"])
    # The journal of exactly the failed run, found by its invocation id.
    if r["journalctl"] != [["_SYSTEMD_INVOCATION_ID=" + INVOCATION, "-n", "200", "--no-pager"]]:
        problems.append("journalctl called as %r" % r["journalctl"])
    return problems


def check_recipients_and_lines():
    problems = []
    r = run(["backup.service"], {"OKURU_FAILURE_TO": "ops@example.org, me@example.org",
                                 "OKURU_FAILURE_LINES": "50"})
    headers, _ = split_message(r["message"] or "")
    if ("To", "ops@example.org, me@example.org") not in headers:
        problems.append("To: is not OKURU_FAILURE_TO: %r" % headers)
    if r["journalctl"] != [["_SYSTEMD_INVOCATION_ID=" + INVOCATION, "-n", "50", "--no-pager"]]:
        problems.append("OKURU_FAILURE_LINES not used: %r" % r["journalctl"])
    return problems


def check_without_invocation_id():
    r = run(["backup.service"], {"INVOCATION_ID": ""})
    if r["journalctl"] != [["--unit=backup.service", "-n", "200", "--no-pager"]]:
        return ["without an invocation id journalctl ran as %r" % r["journalctl"]]
    return []


def check_user_scope():
    problems = []
    r = run(["--user", "sync.service"])
    if r["code"] != 0:
        return ["exit %d: %s" % (r["code"], r["stderr"])]
    if ["--user", "status", "--full", "--no-pager", "--lines=0", "--", "sync.service"] not in r["systemctl"]:
        problems.append("--user status not asked: %r" % r["systemctl"])
    if r["journalctl"] != [["--user", "--user-unit=sync.service", "-n", "200", "--no-pager"]]:
        problems.append("user journal not read: %r" % r["journalctl"])
    return problems


def check_refusals():
    """Bad input never reaches okuru: exit 64 and nothing sent."""
    problems = []
    for argv, env, why in [
        (["backup.service\nBcc: victim@example.net"], {}, "unit name with a line break"),
        (["a b.service"], {}, "unit name with a space"),
        ([], {}, "no unit"),
        (["a.service", "b.service"], {}, "two units"),
        (["a.service"], {"OKURU_FAILURE_TO": "root\nBcc: victim@example.net"}, "recipient with a line break"),
        (["a.service"], {"OKURU_FAILURE_LINES": "20; rm"}, "lines not a number"),
    ]:
        r = run(argv, env)
        if r["code"] != 64 or r["okuru"] or not r["stderr"].startswith("okuru-failure: "):
            problems.append("%s: exit %d, okuru %r, stderr %r" % (why, r["code"], r["okuru"], r["stderr"]))
    return problems


def check_okuru_status_is_returned():
    r = run(["backup.service"], {"OKURU_EXIT": "75"})
    return [] if r["code"] == 75 else ["okuru's exit 75 became %d" % r["code"]]


def check_unit():
    """systemd-analyze verify, with ExecStart pointing at the script in the source tree."""
    with open(UNIT_IN) as f:
        text = f.read()
    problems = []
    if "@pkgdatadir@/okuru-failure %i" not in text:
        problems.append("ExecStart does not run @pkgdatadir@/okuru-failure %i")
    # With NoNewPrivileges the setgid bit of the system-wide setup is ignored and the
    # root:okuru 0640 password file is refused (see the comment in the unit).
    if "NoNewPrivileges" in "\n".join(l for l in text.splitlines() if not l.startswith("#")):
        problems.append("the unit sets NoNewPrivileges")
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        if os.environ.get("CI"):
            # tests/run-all installs systemd: in CI a missing checker is a failure.
            return problems + ["systemd-analyze not installed (package systemd)"]
        print("skip systemd-analyze verify: systemd-analyze not installed")
        return problems
    with tempfile.TemporaryDirectory() as d:
        script = os.path.join(d, "okuru-failure")
        shutil.copy(SCRIPT, script)
        os.chmod(script, 0o755)
        with open(os.path.join(d, "okuru-failure@.service"), "w") as f:
            f.write(text.replace("@pkgdatadir@", d))
        for instance in ("backup.service", "dev-disk-by\\x2duuid-1234.device"):
            unit = os.path.join(d, "okuru-failure@%s.service" % instance)
            # --man=no: okuru(8) is not installed where this test runs.
            p = subprocess.run([analyze, "verify", "--man=no", unit], capture_output=True, timeout=60)
            # Unknown keys are only warnings (exit 0): any output counts as a failure.
            if p.returncode != 0 or p.stdout or p.stderr:
                problems.append("systemd-analyze verify %s: exit %d: %s%s" % (
                    os.path.basename(unit), p.returncode, p.stdout.decode(errors="replace"),
                    p.stderr.decode(errors="replace")))
    return problems


CHECKS = [
    ("the failure mail: headers, recipients, status and journal", check_failure_mail),
    ("OKURU_FAILURE_TO and OKURU_FAILURE_LINES", check_recipients_and_lines),
    ("no invocation id: the unit's journal", check_without_invocation_id),
    ("--user: the user's manager and journal", check_user_scope),
    ("bad input is refused before okuru runs", check_refusals),
    ("okuru's exit status is the script's", check_okuru_status_is_returned),
    ("okuru-failure@.service", check_unit),
]


def main():
    check = common.SoftChecks()
    for name, problems_of in CHECKS:
        problems = problems_of()
        check(not problems, name, "\n".join(problems))
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
