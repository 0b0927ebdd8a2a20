#!/usr/bin/python3
"""msmtp's command line from the real callers' documentation (issue 11, part 7):
the real mutt and the real git send-email run okuru with the msmtp-style lines
of their guides, okuru submits to the real Postfix of the test suite
(tests/integration/postfix_harness.py), and the delivered bytes are read back
from Postfix's Maildir: the envelope sender (Return-Path:), the recipients
(Delivered-To:, one delivery each), the headers and the body.

usage: /usr/bin/python3 test_msmtp_callers.py OKURU
Needs root for Postfix (exits 77 outside CI when it cannot run, fails under CI)
and the Debian packages mutt, git-email and libmailtools-perl: missing ones fail.
Exits 0 when every check passes, 1 otherwise."""
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import common  # noqa: E402
import postfix_harness  # noqa: E402

OKURU = os.path.abspath(sys.argv[1])
check = common.SoftChecks()


def check_delivery(pf, name, sender, recipients, headers, body_text, forbidden=()):
    msgs = common.take_delivered(pf, len(recipients))
    check(len(msgs) == len(recipients),
          "%s: %d deliveries (one per recipient)" % (name, len(recipients)),
          "got %d" % len(msgs))
    if not msgs:
        return
    got = sorted(str(m["Delivered-To"]) for _, m in msgs)
    check(got == sorted(recipients), "%s: recipients %s" % (name, sorted(recipients)), got)
    for raw, m in msgs:
        check(m["Return-Path"] == "<%s>" % sender, "%s: envelope sender <%s>" % (name, sender),
              m["Return-Path"])
        for h, want in headers.items():
            check(want in str(m[h] or ""), "%s: %s: holds %r" % (name, h, want), m[h])
        body = m.get_body(("plain",)).get_content()
        check(body_text in body, "%s: body as written" % name, body[:500])
        for word in forbidden:
            check(word.encode() not in raw, "%s: %r never leaves" % (name, word),
                  raw[:2000].decode(errors="replace"))


def test_mutt(pf, workdir, cfg):
    """mutt in batch mode with msmtp's documented lines (msmtp(1), "Using msmtp with
    Mutt"): sendmail is okuru --read-envelope-from, with and without
    use_envelope_from (which makes mutt pass -f as well), and a Bcc recipient."""
    home = os.path.join(workdir, "mutt-home")
    os.makedirs(home, exist_ok=True)
    body = "Hello from mutt.\nA second line, and a lone dot next:\n.\nthe end\n"
    env = dict(os.environ, HOME=home, LC_ALL="C.UTF-8", TMPDIR=workdir)
    for name, use_envelope_from in (("mutt --read-envelope-from", False),
                                    ("mutt --read-envelope-from, use_envelope_from", True)):
        muttrc = common.write_file(os.path.join(home, "muttrc"), "\n".join([
            'set sendmail="%s --read-envelope-from --file=%s"' % (OKURU, cfg),
            "set use_envelope_from=%s" % ("yes" if use_envelope_from else "no"),
            'set from="Mutt User <mutt-user@example.test>"',
            "set use_from=yes",
            'set realname="Mutt User"',
            "set hostname=example.test",
            "set copy=no",
            "set record=",
            "set folder=%s" % home,
            "set spoolfile=%s" % os.path.join(home, "spool"),
            "",
        ]))
        rc, out = common.run_combined(["mutt", "-n", "-F", muttrc, "-s", "subj from mutt",
                                       "-b", "hidden@example.test", "to@example.test"],
                                      body.encode(), env=env)
        check(rc == 0, "%s: mutt exits 0" % name, out)
        check_delivery(pf, name, "mutt-user@example.test",
                       ["to@example.test", "hidden@example.test"],
                       {"From": "mutt-user@example.test", "To": "to@example.test",
                        "Subject": "subj from mutt"},
                       "A second line, and a lone dot next:\n.\nthe end", forbidden=["Bcc:"])

    # A From: that is not mutt's -f: refused before anything is sent, and said why.
    muttrc = common.write_file(os.path.join(home, "muttrc"), "\n".join([
        'set sendmail="%s --read-envelope-from --file=%s"' % (OKURU, cfg),
        "set use_envelope_from=yes",
        "set envelope_from_address=other@example.test",
        'set from="Mutt User <mutt-user@example.test>"',
        "set hostname=example.test",
        "set copy=no",
        "",
    ]))
    rc, out = common.run_combined(["mutt", "-n", "-F", muttrc, "-s", "s", "to@example.test"],
                                  b"x\n", env=env)
    check(rc != 0, "mutt: -f other than From: is refused with --read-envelope-from", out)
    check(not pf.messages(), "mutt: nothing delivered for the refused message")


def git(repo, *args, env=None):
    rc, out = common.run_combined(["git", "-C", repo, *args], env=env)
    if rc != 0:
        raise RuntimeError("git %s: %s" % (" ".join(args), out))
    return out


def test_git(pf, workdir, cfg):
    """git send-email with the msmtp lines of git-send-email(1): --sendmail-cmd
    with msmtp-style options, and sendemail.smtpServer naming the program with
    sendemail.smtpServerOption."""
    repo = os.path.join(workdir, "repo")
    env = dict(os.environ, HOME=workdir, GIT_CONFIG_NOSYSTEM="1", LC_ALL="C.UTF-8",
               GIT_AUTHOR_NAME="Dev Eloper", GIT_AUTHOR_EMAIL="dev@example.test",
               GIT_COMMITTER_NAME="Dev Eloper", GIT_COMMITTER_EMAIL="dev@example.test")
    os.makedirs(repo, exist_ok=True)
    git(repo, "init", "-q", env=env)
    with open(os.path.join(repo, "hello.txt"), "w") as f:
        f.write("hello, list\n")
    git(repo, "add", "hello.txt", env=env)
    git(repo, "commit", "-q", "-m", "Add hello.txt", "-m", "The body of the commit.", env=env)
    patch = git(repo, "format-patch", "-1", "-o", os.path.join(workdir, "patches"),
                env=env).strip()

    common_args = ["send-email", "--confirm=never", "--suppress-cc=all",
                   "--from=Dev Eloper <dev@example.test>", "--to=list@example.test",
                   "--cc=reviewer@example.test"]
    cases = [
        ("git send-email --sendmail-cmd",
         ["--sendmail-cmd=%s --read-envelope-from -C %s" % (OKURU, cfg)]),
        ("git send-email sendemail.smtpServer",
         ["--smtp-server=%s" % OKURU, "--smtp-server-option=--file=%s" % cfg,
          "--smtp-server-option=--read-envelope-from"]),
        ("git send-email --envelope-sender",
         ["--sendmail-cmd=%s --file=%s" % (OKURU, cfg), "--envelope-sender=bounce@example.test"]),
    ]
    for name, extra in cases:
        rc, out = common.run_combined(["git", "-C", repo] + common_args + extra + [patch],
                                      env=env)
        check(rc == 0, "%s: exits 0" % name, out)
        sender = "bounce@example.test" if "envelope" in name else "dev@example.test"
        check_delivery(pf, name, sender, ["list@example.test", "reviewer@example.test"],
                       {"From": "dev@example.test", "To": "list@example.test",
                        "Cc": "reviewer@example.test", "Subject": "Add hello.txt"},
                       "The body of the commit.")


def main():
    postfix_harness.require_environment()
    missing = [t for t in ("mutt", "git") if shutil.which(t) is None]
    _, out = common.run_combined(["git", "send-email", "-h"])
    if "--dump-aliases" not in out:  # its usage text, printed only when it is there
        missing.append("git send-email (git-email)")
    rc, _ = common.run_combined(["perl", "-MMail::Address", "-e", "1"])
    if rc != 0:
        missing.append("Mail::Address (libmailtools-perl)")
    if missing:
        print("FAIL: missing " + ", ".join(missing) + " (tests/run-all installs them)")
        return 1
    with postfix_harness.Postfix() as pf:
        workdir = os.path.join(pf.dir, "msmtp-callers")
        os.makedirs(workdir)
        os.chmod(workdir, 0o700)
        # One account on Postfix's submission port (STARTTLS, SASL PLAIN, the
        # throwaway CA); the senders are @example.test.
        cfg = common.submission_config(pf, OKURU, workdir)
        # One caller's breakage must not hide the other's.
        check.each((test_mutt, test_git), pf, workdir, cfg, after=pf.clear_mail)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
