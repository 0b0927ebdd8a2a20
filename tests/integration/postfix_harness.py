"""A throwaway Postfix on 127.0.0.1 for okuru's end-to-end tests and benchmark.

One instance per run, in a fresh temporary directory: its own config, queue, data
directory and log file, Cyrus SASL against a sasldb user, submission services with
required STARTTLS or implicit TLS on free high ports, everything delivered to one
Maildir that the tests read back. Needs root (Postfix's master runs as root) and the
Debian packages postfix, sasl2-bin, libsasl2-modules, gnutls-bin.

Standard library only; run with /usr/bin/python3. `postfix_harness.py --selftest`
starts the server, sends one message with msmtp through each service and stops it.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pki  # noqa: E402

SKIP = 77  # meson's "skipped"

SASL_MECHS = ["PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"]
MESSAGE_SIZE_LIMIT = 60 * 1024 * 1024  # 50 MiB test message + headers + CRLF growth


def free_ports(count):
    """`count` distinct ports the kernel says are free now (bind port 0, read it, close
    it); all are held open until the last is chosen so none is handed out twice."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port():
    return free_ports(1)[0]


def require_environment():
    """Exits 77 (skip) when Postfix cannot run here, but fails under CI (never skip there)."""
    problems = []
    if os.geteuid() != 0:
        problems.append("not running as root (Postfix's master must start as root)")
    for tool in ("postfix", "saslpasswd2", "certtool", "postconf"):
        if shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None:
            problems.append("%s not installed" % tool)
    if problems:
        msg = "postfix harness unavailable: " + "; ".join(problems)
        if os.environ.get("CI"):
            print("FAIL (CI is set, so this is not skipped): " + msg, file=sys.stderr)
            sys.exit(1)
        print("SKIP: " + msg, file=sys.stderr)
        sys.exit(SKIP)


# A server that knows only static RSA key exchange (no forward secrecy): TLS 1.2
# at most, and only kRSA cipher suites for the mandatory (encrypt) level.
STATIC_RSA_ONLY = ("smtpd_tls_mandatory_protocols=<=TLSv1.2",
                   "smtpd_tls_mandatory_ciphers=high", "tls_high_cipherlist=kRSA")


class Service:
    """One smtpd listener: label (also its syslog name), port, TLS mode, certificate."""

    def __init__(self, label, tls, cert, chunking=True, options=()):
        self.label = label
        self.tls = tls  # "starttls" or "implicit"
        self.cert = cert
        self.chunking = chunking
        self.options = options  # further "name=value" overrides for this smtpd
        self.port = None  # assigned by Postfix._configure


class Postfix:
    """Context manager: `with Postfix() as pf:` starts it, leaving the block stops it."""

    USER = "okuru"
    REALM = "example.test"
    PASSWORD = "s3cret Pw-4-okuru!"

    def __init__(self, workdir=None, keep=False, recipient_access=None):
        self.keep = keep or bool(os.environ.get("OKURU_KEEP_TMP"))
        # Text of a check_recipient_access table ("addr 550 text" lines) to refuse
        # or defer chosen recipients; None: no such check.
        self.recipient_access = recipient_access
        self.dir = workdir or tempfile.mkdtemp(prefix="okuru-integ-")
        os.chmod(self.dir, 0o755)  # the postfix and nobody users must traverse it
        self.conf = os.path.join(self.dir, "postfix")
        self.queue = os.path.join(self.dir, "queue")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "maillog")
        self.mailbase = os.path.join(self.dir, "mail")
        self.maildir = os.path.join(self.mailbase, "inbox")
        # Debian's Postfix reads $config_directory/sasl/smtpd.conf whatever
        # cyrus_sasl_config_path says (measured with strace), so it lives there.
        self.sasldir = os.path.join(self.conf, "sasl")
        self.pkidir = os.path.join(self.dir, "pki")
        self.password_file = os.path.join(self.dir, "password")
        self.started = False
        self.services = {}
        self.pki = None

    # ---- setup -------------------------------------------------------------------------
    def _write(self, path, text, mode=0o644):
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, mode)

    def _configure(self):
        for d in (self.conf, self.queue, self.data, self.sasldir, self.pkidir, self.mailbase):
            os.makedirs(d, exist_ok=True)
        self.pki = pki.make_pki(self.pkidir)
        p = self.pki
        for svc in [
            Service("sub", "starttls", p.server),
            Service("smtps", "implicit", p.server),
            Service("sub-data", "starttls", p.server, chunking=False),
            Service("smtps-data", "implicit", p.server, chunking=False),
            Service("sub-expired", "starttls", p.expired),
            Service("smtps-expired", "implicit", p.expired),
            Service("sub-wronghost", "starttls", p.wrong_host),
            Service("smtps-wronghost", "implicit", p.wrong_host),
            # The certificate policy (issue 12, test_cert_policy.py). A 1024-bit key
            # or a SHA-1 chain cannot be served: Debian's OpenSSL refuses to load them.
            Service("sub-clientonly", "starttls", p.client_only),
            Service("smtps-clientonly", "implicit", p.client_only),
            Service("sub-staticrsa", "starttls", p.rsa_server, options=STATIC_RSA_ONLY),
            Service("smtps-staticrsa", "implicit", p.rsa_server, options=STATIC_RSA_ONLY),
        ]:
            self.services[svc.label] = svc
        for svc, port in zip(self.services.values(), free_ports(len(self.services))):
            svc.port = port

        pw_uid = int(subprocess.check_output(["id", "-u", "postfix"]).strip())
        nobody = 65534
        os.chown(self.data, pw_uid, -1)
        # The Maildir every recipient lands in, owned by the delivering uid.
        for sub in ("", "/tmp", "/new", "/cur"):
            os.makedirs(self.maildir + sub, exist_ok=True)
            os.chown(self.maildir + sub, nobody, nobody)

        # Cyrus SASL: sasldb with one user; smtpd reads it as the postfix user.
        sasldb = os.path.join(self.sasldir, "sasldb2")
        self._write(os.path.join(self.sasldir, "smtpd.conf"),
                    "pwcheck_method: auxprop\nauxprop_plugin: sasldb\n"
                    "mech_list: %s\nsasldb_path: %s\n" % (" ".join(SASL_MECHS), sasldb))
        subprocess.run(["saslpasswd2", "-f", sasldb, "-p", "-c", "-u", self.REALM, self.USER],
                       input=self.PASSWORD.encode(), check=True)
        os.chown(sasldb, pw_uid, -1)
        os.chmod(sasldb, 0o600)
        self._write(self.password_file, self.PASSWORD + "\n", 0o600)

        self._write(os.path.join(self.conf, "vmailbox"), "/./ inbox/\n")
        if self.recipient_access is not None:
            self._write(self._access_path(), self.recipient_access)
        self._write(os.path.join(self.conf, "main.cf"), "\n".join([
            "compatibility_level = 3.6",
            "config_directory = " + self.conf,
            "queue_directory = " + self.queue,
            "data_directory = " + self.data,
            "command_directory = /usr/sbin",
            "daemon_directory = /usr/lib/postfix/sbin",
            "meta_directory = /etc/postfix",
            "shlib_directory = /usr/lib/postfix",
            "mail_owner = postfix",
            "setgid_group = postdrop",
            "maillog_file = " + self.log,
            "maillog_file_prefixes = " + self.dir,
            "myhostname = mx.example.test",
            "mydomain = example.test",
            "myorigin = mx.example.test",
            "mydestination =",
            "relay_domains =",
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            "mynetworks = 127.0.0.1/32",
            "smtputf8_enable = yes",
            "biff = no",
            "alias_maps =",
            "alias_database =",
            "local_recipient_maps =",
            "message_size_limit = %d" % MESSAGE_SIZE_LIMIT,
            "mailbox_size_limit = 0",
            "virtual_mailbox_limit = 0",
            "virtual_mailbox_domains = static:all",
            "virtual_mailbox_base = " + self.mailbase,
            "virtual_mailbox_maps = regexp:" + os.path.join(self.conf, "vmailbox"),
            "virtual_uid_maps = static:%d" % nobody,
            "virtual_gid_maps = static:%d" % nobody,
            "default_transport = discard",
            "smtpd_tls_security_level = may",
            "smtpd_tls_auth_only = yes",
            "smtpd_tls_chain_files = %s, %s" % (p.server.key, p.server.cert),
            "smtpd_sasl_auth_enable = yes",
            "smtpd_sasl_type = cyrus",
            "smtpd_sasl_path = smtpd",
            "cyrus_sasl_config_path = " + self.sasldir,
            "smtpd_sasl_local_domain = " + self.REALM,
            "smtpd_sasl_security_options = noanonymous",
            "smtpd_relay_restrictions = permit_sasl_authenticated, reject",
            "smtpd_recipient_restrictions = %spermit_sasl_authenticated, reject"
            % ("check_recipient_access texthash:%s, " % self._access_path()
               if self.recipient_access is not None else ""),
            "smtpd_client_restrictions = permit_sasl_authenticated, reject",
            # Tests hammer one server: no anvil limits, no pause before errors.
            "smtpd_client_connection_rate_limit = 0",
            "smtpd_client_auth_rate_limit = 0",
            "smtpd_error_sleep_time = 0",
            "smtpd_soft_error_limit = 100",
            "smtpd_hard_error_limit = 100",
            "smtpd_junk_command_limit = 1000",
            "in_flow_delay = 0",
            "queue_run_delay = 1s",
            "minimal_backoff_time = 1s",
            "maximal_backoff_time = 2s",
            "",
        ]))

        services = []
        for svc in self.services.values():
            lines = ["127.0.0.1:%d inet n - n - - smtpd" % svc.port,
                     "  -o syslog_name=postfix/%s" % svc.label,
                     "  -o smtpd_tls_security_level=encrypt",
                     "  -o smtpd_sasl_auth_enable=yes",
                     "  -o smtpd_tls_chain_files=%s,%s" % (svc.cert.key, svc.cert.cert)]
            if svc.tls == "implicit":
                lines.append("  -o smtpd_tls_wrappermode=yes")
            if not svc.chunking:
                lines.append("  -o smtpd_discard_ehlo_keywords=chunking")
            lines += ["  -o " + o for o in svc.options]
            services.append("\n".join(lines))
        # Only the daemons this setup uses; every one unchrooted.
        self._write(os.path.join(self.conf, "master.cf"), "\n".join(services) + "\n" + """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
""")

    def _access_path(self):
        return os.path.join(self.conf, "recipient_access")

    def set_recipient_access(self, text):
        """Replaces the recipient access table (texthash is read when smtpd starts,
        so Postfix is reloaded: the next connection sees the new table)."""
        self._write(self._access_path(), text)
        self._postfix("reload")
        time.sleep(1)

    # ---- life cycle --------------------------------------------------------------------
    def _postfix(self, *args, check=True):
        r = subprocess.run(["postfix", "-c", self.conf, *args],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if check and r.returncode != 0:
            raise RuntimeError("postfix %s failed (%d): %s\n--- maillog ---\n%s"
                               % (" ".join(args), r.returncode, r.stdout, self.log_text()))
        return r

    def start(self):
        # meson kills a test that runs over its timeout with SIGTERM: turn that into an
        # exception so __exit__ still stops Postfix.
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _terminate)
        self._configure()
        self.started = True  # from here on stop() must run, even if start fails half-way
        self._postfix("start")
        deadline = time.monotonic() + 30
        pending = dict(self.services)
        while pending:
            for label, svc in list(pending.items()):
                try:
                    with socket.create_connection(("127.0.0.1", svc.port), timeout=1):
                        del pending[label]
                except OSError:
                    pass
            if pending and time.monotonic() > deadline:
                raise RuntimeError("postfix did not listen on %s\n--- maillog ---\n%s"
                                   % (", ".join("%s:%d" % (s.label, s.port)
                                                for s in pending.values()), self.log_text()))
            if pending:
                time.sleep(0.1)
        # Each probe above ends in a "disconnect" log line; wait for all of them so no
        # test mistakes a probe's line for its own session.
        deadline = time.monotonic() + 10
        while (len(re.findall(r"\]: disconnect from", self.log_text())) < len(self.services)
               and time.monotonic() < deadline):
            time.sleep(0.05)
        return self

    def _master_pid(self):
        try:
            with open(os.path.join(self.queue, "pid", "master.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def stop(self):
        if not self.started:
            return
        self.started = False
        pid = self._master_pid()
        self._postfix("stop", check=False)
        # Leftovers: anything still running from this instance's daemons, found by the
        # config directory on its command line or as the master's children.
        deadline = time.monotonic() + 10
        while pid and time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)
        if pid and _alive(pid):
            _kill_tree(pid)
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print("kept %s" % self.dir, file=sys.stderr)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()
        return False

    # ---- reading results ---------------------------------------------------------------
    def log_text(self):
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_size(self):
        try:
            return os.path.getsize(self.log)
        except OSError:
            return 0

    def log_since(self, offset):
        with open(self.log, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", errors="replace")

    def messages(self):
        """Paths of the delivered messages, oldest first."""
        d = os.path.join(self.maildir, "new")
        names = sorted(os.listdir(d), key=lambda n: os.stat(os.path.join(d, n)).st_mtime_ns)
        return [os.path.join(d, n) for n in names]

    def settle(self, timeout=60):
        """Waits until every message Postfix queued so far has left the queue."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.log_text()
            queued = set(re.findall(r"cleanup\[\d+\]: ([0-9A-F]+): message-id=", log))
            removed = set(re.findall(r"qmgr\[\d+\]: ([0-9A-F]+): removed", log))
            if queued <= removed:
                return True
            time.sleep(0.05)
        return False

    def clear_mail(self):
        """Empties the Maildir once earlier submissions have been delivered."""
        self.settle()
        for p in self.messages():
            os.unlink(p)

    def wait_for_messages(self, count, timeout=60):
        """Waits until the Maildir holds `count` messages (delivery is asynchronous)."""
        deadline = time.monotonic() + timeout
        while True:
            msgs = self.messages()
            if len(msgs) >= count or time.monotonic() > deadline:
                # a moment more to catch an unexpected extra message
                return msgs

            time.sleep(0.05)

    def wait_for_log(self, pattern, offset=0, timeout=20):
        """Waits for a regex to appear in the log after `offset`; returns the match or None."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern, re.M)
        while True:
            m = rx.search(self.log_since(offset))
            if m or time.monotonic() > deadline:
                return m
            time.sleep(0.05)


def _terminate(signum, frame):
    raise SystemExit("terminated by signal %d" % signum)


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def _kill_tree(pid):
    children = subprocess.run(["pgrep", "-P", str(pid)], stdout=subprocess.PIPE,
                              text=True).stdout.split()
    for c in children:
        try:
            os.kill(int(c), signal.SIGKILL)
        except OSError:
            pass
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def msmtp_config(pf, label, path, auth="plain", ca=None):
    """An msmtp config equivalent to okuru's for the service `label`."""
    svc = pf.services[label]
    text = "\n".join([
        "account default",
        "host localhost",
        "port %d" % svc.port,
        "tls on",
        "tls_starttls %s" % ("on" if svc.tls == "starttls" else "off"),
        "tls_trust_file %s" % (ca or pf.pki.ca.cert),
        "auth %s" % auth,
        "user %s" % pf.USER,
        "passwordeval cat %s" % pf.password_file,
        "from sender@example.test",
        "",
    ])
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    return path


def _selftest():
    require_environment()
    with Postfix() as pf:
        print("postfix up in %s: %s" % (pf.dir, ", ".join(
            "%s=%d" % (s.label, s.port) for s in pf.services.values())))
        ok = True
        n = 0
        for label in ("sub", "smtps", "sub-data", "smtps-data"):
            for mech in ("plain", "scram-sha-256"):
                cfg = msmtp_config(pf, label, os.path.join(pf.dir, "msmtprc"), auth=mech)
                msg = b"Subject: selftest %s %s\n\nhello\n" % (label.encode(), mech.encode())
                r = subprocess.run(["msmtp", "-C", cfg, "rcpt@example.test"], input=msg,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                n += 1
                print("msmtp via %s auth %s: exit %d %s" % (label, mech, r.returncode,
                                                             r.stdout.decode().strip()))
                ok &= r.returncode == 0
        got = pf.wait_for_messages(n)
        print("delivered: %d of %d" % (len(got), n))
        ok &= len(got) == n
        if not ok:
            print(pf.log_text())
        return 0 if ok else 1


if __name__ == "__main__":
    if "--selftest" in sys.argv:
        sys.exit(_selftest())
    print(__doc__)
