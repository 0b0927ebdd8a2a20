#!/usr/bin/python3
"""Offline is temporary (issue 10, part 6): a relay whose name cannot be resolved
gets exit 75 and the message is kept, as Postfix defers mail for a relayhost it
cannot resolve; only a name under .invalid (RFC 6761 6.4) stays permanent (68).
--check tells "this machine resolves nothing right now" from "this name does not
exist".

The relay is a name under .test (RFC 2606), which no DNS will ever answer. The
test does not depend on the network: offline (this CI machine) the lookup fails
with "no answer" or "no such name", online with NXDOMAIN; both must give 75, and
the --check hint must match what this machine can resolve right now (asked here
through Python's getaddrinfo). Exits 0 when all pass, 1 otherwise."""
import os
import socket
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import common  # noqa: E402

OKURU = sys.argv[1]
check = common.SoftChecks()
RELAY = "relay.okuru-offline.test"
WELL_KNOWN = ("a.root-servers.net", "example.com")  # the names --check asks


def config(tmp, host):
    path = os.path.join(tmp, "okuru.toml")
    with open(path, "w") as f:
        f.write('domain = "example.test"\ndead_letter = "%s"\n\n'
                '[accounts.isp]\ndefault = true\nhost = "%s"\nport = 587\n'
                'user = "me"\npassword_command = ["/bin/echo", "pw"]\n'
                'connect_timeout = 5\n' % (os.path.join(tmp, "failed"), host))
    return path


def run(tmp, host, args, stdin=b""):
    env = dict(os.environ, HOME=tmp, XDG_STATE_HOME=os.path.join(tmp, "state"))
    env.pop("OKURU_CONFIG", None)
    return subprocess.run([OKURU, "-C", config(tmp, host)] + args, input=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=120)


def kept(tmp):
    return common.maildir_new(os.path.join(tmp, "failed"))


def resolves(name):
    try:
        return bool(socket.getaddrinfo(name, 443, type=socket.SOCK_STREAM))
    except OSError:
        return False


def t_unresolvable_relay_is_kept_and_temporary():
    with tempfile.TemporaryDirectory() as tmp:
        r = run(tmp, RELAY, ["-i", "rcpt@example.test"],
                b"Subject: cron output\n\nthe job ran\n")
        err = r.stderr.decode(errors="replace")
        check(r.returncode == 75, "unresolvable relay: exit %d, want 75" % r.returncode, err)
        check("cannot resolve " + RELAY in err, "the error names the lookup", err)
        check(len(kept(tmp)) == 1, "the message is kept for the retry", kept(tmp))


def t_invalid_stays_permanent():
    with tempfile.TemporaryDirectory() as tmp:
        r = run(tmp, "relay.example.invalid", ["-i", "rcpt@example.test"], b"Subject: x\n\ny\n")
        err = r.stderr.decode(errors="replace")
        check(r.returncode == 68, ".invalid relay: exit %d, want 68" % r.returncode, err)
        check(len(kept(tmp)) == 1, ".invalid relay: the message is still kept", kept(tmp))


def t_check_tells_offline_from_typo():
    with tempfile.TemporaryDirectory() as tmp:
        r = run(tmp, RELAY, ["--check"])
        out = r.stdout.decode(errors="replace")
        check(r.returncode == 75, "--check on an unresolvable relay: exit %d, want 75"
              % r.returncode, out)
        hints = [line.strip() for line in out.splitlines() if line.strip().startswith("hint")]
        check(len(hints) == 1, "--check gives one hint", out)
        online = any(resolves(n) for n in WELL_KNOWN)
        if online:
            want = "the name %s does not exist (other names resolve)" % RELAY
        else:
            want = "this machine cannot resolve any name right now"
        check(hints and want in hints[0],
              "--check hint for %s: want %r" % ("online" if online else "offline", want), out)


def main():
    check.each((t_unresolvable_relay_is_kept_and_temporary, t_invalid_stays_permanent,
                t_check_tells_offline_from_typo))
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
