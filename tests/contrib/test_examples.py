#!/usr/bin/python3
"""Every contrib/*.toml example through `okuru --pretend`: each file is copied
to ~/.config/okuru/config.toml of a throwaway HOME (as its header tells users
to do), the files it names are created there (mode 0600), and okuru's plan is
parsed and compared with what the example promises: the account, the server
and port, the TLS mode, the AUTH mechanisms, the envelope and the address
headers. Caller command lines from contrib/callers/README.md run against the
examples too.

A self-check breaks two examples on purpose and requires the comparison to
notice, so that this test cannot pass by comparing nothing.

usage: test_examples.py OKURU SOURCE_ROOT     exit 0 when all pass, 1 otherwise
"""
import os
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import common  # noqa: E402

OKURU = os.path.abspath(sys.argv[1])
CONTRIB = os.path.join(os.path.abspath(sys.argv[2]), "contrib")

# What cron writes (Debian's cron: "From: root (Cron Daemon)"; `To: root`).
CRON = b"From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@box> /usr/local/bin/backup\n\nbackup failed\n"
PLAIN = b"Subject: hello\n\nhi\n"


def plan(account, why, relay, tls, auth, mail_from, rcpt, headers=None, fallback=None,
         pop=None):
    """One expected submission. auth: None for no AUTH, else (user, "M1 M2" or "automatic").
    headers: name -> exact value (Date and Message-ID are always required to exist)."""
    return {"account": account, "why": why, "relay": relay, "tls": tls, "auth": auth,
            "mail_from": mail_from, "rcpt": rcpt, "headers": headers or {},
            "fallback": fallback or [], "pop": pop}


def case(example, name, argv, stdin, plans, code=0, stderr=None):
    return {"example": example, "name": name, "argv": argv, "stdin": stdin, "plans": plans,
            "code": code, "stderr": stderr}


GMAIL = ("gmail", None, "smtp.gmail.com:587", "starttls", ("you@gmail.com", "automatic"))
GMAIL_OAUTH = ("gmail", None, "smtp.gmail.com:465", "implicit", ("you@gmail.com", "XOAUTH2"))
M365 = ("m365", None, "smtp.office365.com:587", "starttls", ("you@example.com", "XOAUTH2"))
OUTLOOK = ("outlook", None, "smtp-mail.outlook.com:587", "starttls", ("you@outlook.com", "XOAUTH2"))
FASTMAIL = ("fastmail", None, "smtp.fastmail.com:465", "implicit", ("you@fastmail.com", "automatic"))
ISP587 = ("isp", None, "smtp.isp.example:587", "starttls", ("me@isp.example", "automatic"))
ISP465 = ("isp", None, "mail.isp.example:465", "implicit", ("me@isp.example", "SCRAM-SHA-256 PLAIN"))
OCN = ("ocn", "default account", "smtp.ocn.ne.jp:465", "implicit",
       ("yourname@example.ocn.ne.jp", "automatic"))
BIGLOBE = ("biglobe", "default account", "mail.biglobe.ne.jp:587", "starttls",
           ("yourname@example.biglobe.ne.jp", "automatic"))
PLALA = ("plala", "default account", "secure.plala.or.jp:587", "starttls",
         ("yourname@example.plala.or.jp", "automatic"))
LAN = ("lan", "corp.internal", "mail.corp.internal:25", "starttls", None)
LAN_ISP = ("isp", "default account", "smtp.isp.example:465", "implicit", ("me@isp.example", "automatic"))
POP = ("hosting", "default account", "mail.example.jp:587", "starttls", None,
       "POP-before-SMTP mail.example.jp:995 tls=implicit, user me@example.jp")
SYSTEM = ("relay", "default account", "smtp.example.org:465", "implicit",
          ("host.example.org@example.org", "automatic"))


def via(server, mail_from, rcpt, headers=None, fallback=None, why=None):
    account, default_why, relay, tls, auth = server[:5]
    pop = server[5] if len(server) > 5 else None
    return plan(account, why or default_why, relay, tls, auth, mail_from, rcpt, headers, fallback,
                pop)


def cron_case(example, server, owner, mail_from=None, fallback=None):
    """cron's mail to root, read with -t: root and the sender both become the owner."""
    return case(example, "cron mail to root (-t)", ["-i", "-FCronDaemon", "-t"], CRON,
                [via(server, mail_from or owner, [owner],
                     {"From": "Cron Daemon <%s>" % (owner if mail_from is None else owner),
                      "To": owner}, fallback)])


def local_names_case(example, server, owner, mail_from=None, fallback=None):
    """Bare names other than root (a daemon, a login name) reach the owner too."""
    return case(example, "bare local names", ["-f", "root", "--", "www-data", "nobody-here"], PLAIN,
                [via(server, mail_from or owner, [owner], {}, fallback)])


CASES = [
    # Gmail, app password.
    cron_case("gmail.toml", GMAIL, "you@gmail.com"),
    local_names_case("gmail.toml", GMAIL, "you@gmail.com"),
    case("gmail.toml", "other sender: From: is rewritten to the account",
         ["-i", "-t"], b"From: Web App <app@example.net>\nTo: friend@example.net\nSubject: s\n\nx\n",
         [via(GMAIL, "app@example.net", ["friend@example.net"],
              {"From": "Web App <you@gmail.com>", "To": "friend@example.net"}, why="default account")]),
    # mutt with the README's line: `set sendmail="/usr/bin/okuru -oi -a gmail"`,
    # use_envelope_from, and mutt's own -B8BITMIME and `--`. -oi keeps the lone dot:
    # 24 bytes is all three lines with CRLF; without -oi it would be 6.
    case("gmail.toml", "mutt line from callers/README.md",
         ["-oi", "-a", "gmail", "-B8BITMIME", "-f", "you@gmail.com", "--", "friend@example.net"],
         b"From: You <you@gmail.com>\nTo: friend@example.net\nBcc: hidden@example.net\nSubject: m\n\n"
         b"line\n.\nafter the dot\n",
         [via(GMAIL, "you@gmail.com", ["friend@example.net"],
              {"From": "You <you@gmail.com>", "To": "friend@example.net", "body": "24 bytes"},
              why="-a gmail")]),
    # Gmail, OAuth 2.0: pretend names the mechanism and never runs the token helper.
    cron_case("gmail-oauth2.toml", GMAIL_OAUTH, "you@gmail.com"),
    local_names_case("gmail-oauth2.toml", GMAIL_OAUTH, "you@gmail.com"),
    # Microsoft 365 and Outlook.com: the envelope is always the mailbox's own address.
    cron_case("microsoft365.toml", M365, "you@example.com"),
    local_names_case("microsoft365.toml", M365, "you@example.com"),
    case("microsoft365.toml", "colleague's address as sender: matched by *@example.com, envelope kept",
         ["-i", "-f", "boss@example.com", "partner@example.net"], PLAIN,
         [via(M365, "you@example.com", ["partner@example.net"], {"From": "you@example.com"},
              why="*@example.com")]),
    cron_case("outlook.toml", OUTLOOK, "you@outlook.com"),
    local_names_case("outlook.toml", OUTLOOK, "you@outlook.com"),
    # Fastmail: own domains may send, so the From: of such a sender stays.
    cron_case("fastmail.toml", FASTMAIL, "you@fastmail.com"),
    local_names_case("fastmail.toml", FASTMAIL, "you@fastmail.com"),
    case("fastmail.toml", "own domain as sender, git send-email line (-i -f ...)",
         ["-i", "-f", "dev@example.org", "list@lists.example.net", "maint@example.net"],
         b"From: Dev <dev@example.org>\nTo: list@lists.example.net\nCc: maint@example.net\nSubject: [PATCH] x\n\np\n",
         [via(FASTMAIL, "dev@example.org", ["list@lists.example.net", "maint@example.net"],
              {"From": "Dev <dev@example.org>"}, why="*@example.org")]),
    # Generic ISPs.
    cron_case("isp-587.toml", ISP587, "me@isp.example", fallback=["smtp2.isp.example:587"]),
    local_names_case("isp-587.toml", ISP587, "me@isp.example", fallback=["smtp2.isp.example:587"]),
    cron_case("isp-465.toml", ISP465, "me@isp.example"),
    local_names_case("isp-465.toml", ISP465, "me@isp.example"),
    # Japanese ISPs: envelope and From: are the subscriber's address whatever cron says.
    cron_case("ocn.toml", OCN, "yourname@example.ocn.ne.jp"),
    local_names_case("ocn.toml", OCN, "yourname@example.ocn.ne.jp"),
    case("ocn.toml", "foreign sender is rewritten, display name kept",
         ["-i", "-t"], b"From: Backup Job <backup@nas.home.arpa>\nTo: friend@example.net\nSubject: s\n\nx\n",
         [via(OCN, "yourname@example.ocn.ne.jp", ["friend@example.net"],
              {"From": "Backup Job <yourname@example.ocn.ne.jp>"})]),
    cron_case("biglobe.toml", BIGLOBE, "yourname@example.biglobe.ne.jp"),
    local_names_case("biglobe.toml", BIGLOBE, "yourname@example.biglobe.ne.jp"),
    cron_case("plala.toml", PLALA, "yourname@example.plala.or.jp"),
    local_names_case("plala.toml", PLALA, "yourname@example.plala.or.jp"),
    # LAN relay by [routes]: the internal domain and its subdomains go to the LAN
    # server, everything else to the ISP, in two submissions.
    case("lan-relay.toml", "internal and external recipients are split",
         ["-i", "-f", "me@corp.internal", "x@corp.internal", "x@gmail.com", "y@eng.corp.internal"], PLAIN,
         [via(LAN, "me@corp.internal", ["x@corp.internal", "y@eng.corp.internal"]),
          via(LAN_ISP, "me@isp.example", ["x@gmail.com"])]),
    case("lan-relay.toml", "external only: the ISP, with the ISP's envelope sender",
         ["-i", "-f", "me@corp.internal", "x@gmail.com"], PLAIN,
         [via(LAN_ISP, "me@isp.example", ["x@gmail.com"])]),
    cron_case("lan-relay.toml", LAN, "me@corp.internal"),
    local_names_case("lan-relay.toml", LAN, "me@corp.internal"),
    # POP-before-SMTP: no SMTP AUTH on the account (the POP3 login authorises it).
    cron_case("pop-before-smtp.toml", POP, "me@example.jp"),
    local_names_case("pop-before-smtp.toml", POP, "me@example.jp"),
    # System-wide: cron, PHP (sendmail_path "... -t -i"), sudo (mailerflags -t).
    cron_case("system-wide.toml", SYSTEM, "admin@example.org", mail_from="host.example.org@example.org"),
    local_names_case("system-wide.toml", SYSTEM, "admin@example.org",
                     mail_from="host.example.org@example.org"),
    case("system-wide.toml", "PHP mail() through sendmail_path \"okuru -t -i\"", ["-t", "-i"],
         b"To: customer@example.net\r\nCc: www-data\r\nBcc: audit@example.org\r\nSubject: order\r\n\r\nthanks\n",
         [via(SYSTEM, "host.example.org@example.org",
              ["customer@example.net", "admin@example.org", "audit@example.org"],
              {"To": "customer@example.net", "Cc": "admin@example.org", "Bcc": None})]),
    # sudo writes "To: <mailto>" and "From: <the invoking user>", both bare names.
    case("system-wide.toml", "sudo with mailerflags -t", ["-t"],
         b"To: root\nFrom: alice\nAuto-Submitted: auto-generated\nSubject: *** SECURITY information for box ***\n\n"
         b"box : user NOT in sudoers ; COMMAND=/bin/sh\n",
         [via(SYSTEM, "host.example.org@example.org", ["admin@example.org"],
              # From: by the sender rule (issue 11 part 6): the domain, not "*".
              {"To": "admin@example.org", "From": "alice@host.example.org"})]),
    case("system-wide.toml", "cronie without MAILFROM (-t -f user)",
         ["-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f", "alice"],
         b"From: alice (Cron Daemon)\nTo: alice\nSubject: Cron <alice@box> job\n\nout\n",
         [via(SYSTEM, "host.example.org@example.org", ["admin@example.org"],
              # A sender field is qualified by the sender rule, like -f: "*" is
              # for recipients (issue 11 part 6).
              {"From": "Cron Daemon <alice@host.example.org>"})]),
]

PRIVATE_KEYS = re.compile(r'^\s*(password_file|ca_file|client_cert|client_key)\s*=\s*"([^"]+)"', re.M)


def install_example(text, home):
    """Writes the example as HOME's config (0600) and creates the files it names."""
    cfgdir = os.path.join(home, ".config", "okuru")
    os.makedirs(cfgdir, exist_ok=True)
    # The system-wide example names /etc/okuru.pass, which a test cannot create:
    # that single path moves into HOME; everything else is the file as shipped.
    text = text.replace('"/etc/okuru.pass"', '"%s"' % os.path.join(home, "okuru.pass"))
    for _, path in PRIVATE_KEYS.findall(text):
        if path.startswith("~/"):
            path = os.path.join(home, path[2:])
        elif not path.startswith("/"):
            path = os.path.join(cfgdir, path)
        if not path.startswith(home):
            raise AssertionError("example names %s outside HOME: extend install_example" % path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, b"not-a-real-secret\n")
        os.close(fd)
    cfg = os.path.join(cfgdir, "config.toml")
    fd = os.open(cfg, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, text.encode())
    os.close(fd)
    return cfg


def parse(out):
    """okuru --pretend output -> list of submissions; raises ValueError on anything unexpected."""
    subs = []
    cur = None
    section = None
    for line in out.splitlines():
        if line.startswith("account:   "):
            m = re.fullmatch(r"account:   (\S+) \((.*)\)", line)
            if not m:
                raise ValueError("bad account line %r" % line)
            cur = {"account": m.group(1), "why": m.group(2), "rcpt": [], "headers": [],
                   "fallback": []}
            subs.append(cur)
            section = None
        elif cur is None:
            raise ValueError("output before the first account line: %r" % line)
        elif line.startswith("relay:     "):
            parts = line[len("relay:     "):].split(", ")
            m = re.fullmatch(r"(\S+) tls=(\w+)", parts[0])
            if not m:
                raise ValueError("bad relay line %r" % line)
            cur["relay"], cur["tls"] = m.group(1), m.group(2)
            for p in parts[1:]:
                if not p.startswith("fallback "):
                    raise ValueError("bad relay line %r" % line)
                cur["fallback"].append(p[len("fallback "):])
        elif line.startswith("auth:      "):
            rest = line[len("auth:      "):]
            if rest == "none":
                cur["auth"] = None
            else:
                m = re.fullmatch(r"user (\S+), mechanisms (.+)", rest)
                if not m:
                    raise ValueError("bad auth line %r" % line)
                cur["auth"] = (m.group(1), m.group(2))
        elif line.startswith("pop:       "):
            cur["pop"] = line[len("pop:       "):]
        elif line.startswith("envelope:  MAIL FROM:<"):
            cur["mail_from"] = line[len("envelope:  MAIL FROM:<"):-1]
            section = "envelope"
        elif line.startswith("           RCPT TO:<") and section == "envelope":
            cur["rcpt"].append(line[len("           RCPT TO:<"):-1])
        elif line == "headers:":
            section = "headers"
        elif line.startswith("  ") and section == "headers":
            name, sep, value = line[2:].partition(": ")
            if not sep:
                raise ValueError("bad header line %r" % line)
            cur["headers"].append((name, value))
        elif line.startswith("body:      "):
            cur["body"] = line[len("body:      "):]
            section = None
        else:
            raise ValueError("unexpected line %r" % line)
    return subs


def compare(got, want):
    """Differences between a parsed plan and the expected one, as readable strings."""
    problems = []
    if len(got) != len(want):
        problems.append("%d submission(s), want %d" % (len(got), len(want)))
    for i, (g, w) in enumerate(zip(got, want)):
        tag = "submission %d: " % (i + 1)
        g.setdefault("pop", None)
        for key in ("account", "relay", "tls", "auth", "mail_from", "rcpt", "fallback", "pop"):
            if g.get(key, "<missing>") != w[key]:
                problems.append(tag + "%s is %r, want %r" % (key, g.get(key, "<missing>"), w[key]))
        if w["why"] is not None and w["why"] not in g["why"]:
            problems.append(tag + "reason %r does not mention %r" % (g["why"], w["why"]))
        headers = {}
        for name, value in g["headers"]:
            headers.setdefault(name.lower(), []).append(value)
        for required in ("date", "message-id", "from"):
            if len(headers.get(required, [])) != 1:
                problems.append(tag + "%d %s header(s), want 1" % (len(headers.get(required, [])), required))
        for name, value in w["headers"].items():
            if name == "body":
                if g.get("body") != value:
                    problems.append(tag + "body is %r, want %r" % (g.get("body"), value))
                continue
            have = headers.get(name.lower())
            if value is None:
                if have:
                    problems.append(tag + "%s: must not be sent, got %r" % (name, have))
            elif have != [value]:
                problems.append(tag + "%s: is %r, want %r" % (name, have, value))
    return problems


def run_case(c, text):
    with tempfile.TemporaryDirectory() as home:
        cfg = install_example(text, home)
        env = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8",
               "XDG_STATE_HOME": os.path.join(home, "state")}
        p = subprocess.run([OKURU, "-C", cfg, "--pretend"] + c["argv"], input=c["stdin"],
                           capture_output=True, timeout=30, env=env)
    out = p.stdout.decode(errors="replace")
    err = p.stderr.decode(errors="replace")
    if p.returncode != c["code"]:
        return ["exit %d, want %d: %s" % (p.returncode, c["code"], err.strip())], out
    try:
        subs = parse(out)
    except ValueError as e:
        return ["cannot parse the plan: %s" % e], out
    return compare(subs, c["plans"]), out


def read(name):
    with open(os.path.join(CONTRIB, name), encoding="utf-8") as f:
        return f.read()


def self_check():
    """Broken examples must fail: a changed port, and a lost "*" alias."""
    problems = []
    cron = next(c for c in CASES if c["example"] == "gmail.toml")
    broken = read("gmail.toml").replace("port = 587", "port = 2525")
    if "port = 2525" not in broken or not run_case(cron, broken)[0]:
        problems.append("a Gmail example on port 2525 still passed")
    names = next(c for c in CASES if c["example"] == "gmail.toml" and c["name"] == "bare local names")
    broken = re.sub(r'(?m)^"\*" = .*$', "", read("gmail.toml"))
    if broken == read("gmail.toml") or not run_case(names, broken)[0]:
        problems.append('a Gmail example without "*" alias still passed')
    return problems


def main():
    check = common.SoftChecks()
    examples = sorted(f for f in os.listdir(CONTRIB) if f.endswith(".toml"))
    tested = {c["example"] for c in CASES}
    for name in examples:
        check(name in tested, "%s has a case in %s" % (name, os.path.basename(__file__)))
    with open(os.path.join(CONTRIB, "meson.build"), encoding="utf-8") as f:
        installed = set(re.findall(r"'([^'/]+\.toml)'", f.read()))
    for name in examples:
        check(name in installed, "%s is installed by contrib/meson.build" % name)
    for c in CASES:
        problems, out = run_case(c, read(c["example"]))
        check(not problems, "%s: %s" % (c["example"], c["name"]),
              "\n".join(problems) + "\n--- output ---\n" + out)
    problems = self_check()
    check(not problems, "self-check: broken examples fail", "\n".join(problems))
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
