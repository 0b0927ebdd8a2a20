#!/usr/bin/python3
"""okuru -bs with real SMTP clients (issue 11, parts 1-2), submitting to the real
Postfix of the test suite (tests/integration/postfix_harness.py); the delivered
bytes are read back from Postfix's Maildir.

- the real Symfony Mailer (Debian php-symfony-mailer) with its sendmail
  transport, which runs "sendmail -bs" (its default) and "-bs -i" (Laravel's);
- okuru -bs behind systemd-socket-activate in Accept mode on a free loopback
  port, as okuru-smtp.socket runs it: Python's smtplib (two messages in one
  session, dot-stuffing, an 8-bit body) and Symfony's smtp:// transport.

usage: /usr/bin/python3 test_bs_callers.py OKURU
Needs root for Postfix and the Debian packages php-cli, php-symfony-mailer and
systemd (systemd-socket-activate): missing ones fail. Exits 0 when every check
passes, 1 otherwise."""
import os
import shutil
import smtplib
import socket
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import common  # noqa: E402
import postfix_harness  # noqa: E402

OKURU = os.path.abspath(sys.argv[1])
SEND_PHP = os.path.join(HERE, "symfony_send.php")
AUTOLOAD = "/usr/share/php/Symfony/Component/Mailer/autoload.php"
check = common.SoftChecks()


def by_recipient(msgs):
    return {str(m["Delivered-To"]): (raw, m) for raw, m in msgs}


def dialogue(cfg, recipient, env=None):
    """okuru -bs on pipes, the whole dialogue written at once (pipelined): its output."""
    script = ("EHLO client.test\r\nMAIL FROM:<app@example.test>\r\nRCPT TO:<%s>\r\nDATA\r\n"
              "Subject: reply test\r\n\r\nbody\r\n.\r\nQUIT\r\n" % recipient)
    r = subprocess.run([OKURU, "-C", cfg, "-bs"], input=script.encode(), capture_output=True,
                       timeout=120, env=env)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def final_reply(out):
    """The reply after 354 (to the final dot)."""
    lines = out.split("\r\n")
    for i, line in enumerate(lines):
        if line.startswith("354 "):
            return lines[i + 1] if i + 1 < len(lines) else ""
    return ""


def test_replies(pf, cfg, workdir):
    """The reply to the final dot says what became of the message."""
    # okuru-smtp@.service: systemd's Accept=yes names the peer in REMOTE_ADDR.
    env = dict(os.environ, REMOTE_ADDR="192.0.2.7", REMOTE_PORT="4242")
    rc, out, err = dialogue(cfg, "refused@example.test", env)
    check("SMTP session from 192.0.2.7 port 4242" in err, "the peer address is logged", err)
    reply = final_reply(out)
    check(rc == 0 and reply.startswith("554 ") and "5.1.1" in reply,
          "a recipient the relay refuses for good: 554 with the relay's reply", out + err)
    check(out.rstrip().endswith("221 2.0.0 " + out.split()[1] + " closing"),
          "the session goes on to QUIT after a refusal", out)
    failed_new = os.path.join(workdir, "failed", "new")
    before = set(os.listdir(failed_new)) if os.path.isdir(failed_new) else set()
    down = postfix_harness.free_port()  # nothing listens there
    kept_cfg = common.submission_config(pf, OKURU, workdir, "kept.toml", port=down)
    rc, out, err = dialogue(kept_cfg, "to@example.test")
    reply = final_reply(out)
    check(rc == 0 and reply.startswith("250 2.0.0 kept for retry"),
          "relay down, message kept: 250 saying it was kept", out + err)
    kept = set(os.listdir(failed_new)) - before
    check(len(kept) == 1, "relay down: the message is in the dead-letter Maildir", kept)
    lost_cfg = common.submission_config(pf, OKURU, workdir, "lost.toml", port=down,
                                        save_failed=False)
    rc, out, err = dialogue(lost_cfg, "to@example.test")
    reply = final_reply(out)
    check(rc == 0 and reply.startswith("451 4.3.0"),
          "relay down, nothing kept (save_failed = false): 451", out + err)
    rc, out, err = dialogue(os.path.join(workdir, "missing.toml"), "to@example.test")
    check(rc != 0 and out.startswith("421 4.3.5") and "missing.toml" not in out
          and "missing.toml" in err,
          "no configuration: 421 to the client, the reason on standard error only", out + err)
    check(not pf.messages(), "nothing delivered by the failed dialogues")


def symfony(dsn, subject, body):
    return common.run_combined(["php", SEND_PHP, dsn, "App <app@example.test>", "to@example.test",
                                subject, body])


def check_symfony_delivery(pf, name, subject, body):
    msgs = by_recipient(common.take_delivered(pf, 2))
    check(sorted(msgs) == ["hidden@example.test", "to@example.test"],
          "%s: delivered to To: and to the Bcc recipient" % name, sorted(msgs))
    if "to@example.test" not in msgs:
        return
    raw, m = msgs["to@example.test"]
    check(m["Return-Path"] == "<app@example.test>", "%s: envelope sender" % name,
          m["Return-Path"])
    check(m["Subject"] == subject, "%s: Subject" % name, m["Subject"])
    check(b"Bcc:" not in raw and b"hidden@" not in raw, "%s: no Bcc: header leaves" % name,
          raw[:1500])
    # Symfony ends DATA with CR LF "." CR LF after a message that already ends
    # in CR LF (SmtpTransport::doSend): one empty line more, as with any MTA.
    text = m.get_body(("plain",)).get_content().replace("\r\n", "\n")
    check(text == body + "\n", "%s: body as written (and Symfony's empty last line)" % name,
          repr(text[:500]))


def test_symfony_sendmail(pf, cfg, _workdir):
    body = "Hello from Symfony.\n.\n..two dots\nthe end\n"
    for name, flags in (("Symfony sendmail -bs", "-bs"), ("Symfony sendmail -bs -i", "-bs -i")):
        command = "%s -C %s %s" % (OKURU, cfg, flags)
        dsn = "sendmail://default?command=" + urllib.parse.quote(command)
        rc, out = symfony(dsn, "subject " + flags, body)
        check(rc == 0 and "sent" in out, "%s: the application sees the message sent" % name, out)
        check_symfony_delivery(pf, name, "subject " + flags, body)


def wait_listening(port):
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def test_socket(pf, cfg, _workdir):
    port = postfix_harness.free_port()
    # Accept mode, one okuru -bs per connection on its standard input and
    # output, as okuru-smtp.socket with Accept=yes.
    proc = subprocess.Popen(["systemd-socket-activate", "-l", "127.0.0.1:%d" % port, "--inetd",
                             "-a", OKURU, "-C", cfg, "-bs"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        check(wait_listening(port), "systemd-socket-activate listens on port %d" % port)
        # The probe connection above started one okuru that saw the end of input.
        long_line = "é" * 700  # 1400 octets: over 998, re-encoded by okuru
        body1 = "First message.\r\n.leading dot\r\n" + long_line + "\r\n"
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
            code, caps = s.ehlo("client.test")
            check(code == 250, "smtplib: EHLO 250")
            check(s.has_extn("pipelining") and s.has_extn("8bitmime") and s.has_extn("smtputf8")
                  and s.has_extn("size"), "smtplib: PIPELINING 8BITMIME SMTPUTF8 SIZE offered",
                  caps)
            check(not s.has_extn("auth") and not s.has_extn("starttls"),
                  "smtplib: no AUTH, no STARTTLS", caps)
            msg1 = ("From: Py <py@example.test>\r\nTo: one@example.test\r\n"
                    "Bcc: secret@example.test\r\nSubject: first\r\nMIME-Version: 1.0\r\n"
                    "Content-Type: text/plain; charset=utf-8\r\n"
                    "Content-Transfer-Encoding: 8bit\r\n\r\n" + body1).encode()
            refused = s.sendmail("py@example.test", ["one@example.test", "two@example.test"],
                                 msg1, mail_options=["BODY=8BITMIME"])
            check(refused == {}, "smtplib: first message accepted", refused)
            # The envelope is the client's: To: in the headers is not a recipient.
            msg2 = b"From: py@example.test\r\nTo: nobody@example.test\r\nSubject: second\r\n\r\nTwo.\r\n"
            refused = s.sendmail("py@example.test", ["three@example.test"], msg2)
            check(refused == {}, "smtplib: second message in the same session accepted", refused)
            code, text = s.noop()
            check(code == 250, "smtplib: NOOP after two messages")
        msgs = by_recipient(common.take_delivered(pf, 3))
        check(sorted(msgs) == ["one@example.test", "three@example.test", "two@example.test"],
              "smtplib: the envelope's recipients, and only them", sorted(msgs))
        if "one@example.test" in msgs:
            raw, m = msgs["one@example.test"]
            check(b"secret@" not in raw and b"Bcc:" not in raw, "smtplib: Bcc: never leaves",
                  raw[:1500])
            text = m.get_body(("plain",)).get_content().replace("\r\n", "\n")
            check(text == body1.replace("\r\n", "\n"),
                  "smtplib: body read back as written (dot line, long UTF-8 line)", text[:300])
        if "three@example.test" in msgs:
            raw, m = msgs["three@example.test"]
            check(m["Subject"] == "second" and m.get_content().strip() == "Two.",
                  "smtplib: second message as written", raw[:800])

        rc, out = symfony("smtp://127.0.0.1:%d" % port, "over smtp://", "Symfony over SMTP.\n")
        check(rc == 0 and "sent" in out, "Symfony smtp://: the application sees it sent", out)
        check_symfony_delivery(pf, "Symfony smtp://", "over smtp://", "Symfony over SMTP.\n")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    postfix_harness.require_environment()
    missing = [t for t in ("php", "systemd-socket-activate") if shutil.which(t) is None]
    if not os.path.exists(AUTOLOAD):
        missing.append("Symfony Mailer (php-symfony-mailer)")
    if missing:
        print("FAIL: missing " + ", ".join(missing) + " (tests/run-all installs them)")
        return 1
    with postfix_harness.Postfix(
            recipient_access="refused@example.test 550 5.1.1 no such mailbox\n") as pf:
        workdir = os.path.join(pf.dir, "bs-callers")
        os.makedirs(workdir)
        os.chmod(workdir, 0o700)
        cfg = common.submission_config(pf, OKURU, workdir)
        # One caller's breakage must not hide the other's.
        check.each((test_symfony_sendmail, test_socket, test_replies), pf, cfg, workdir,
                   after=pf.clear_mail)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
