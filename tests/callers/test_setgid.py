#!/usr/bin/python3
"""System-wide use (issue 2): okuru installed setgid to a group that alone can
read the secrets must drop that group before it touches anything the user
chose: a user's own config (and the password file it names) and the -X log
file are used with the user's rights only. Runs okuru as `nobody` from a
setgid copy; needs root (skips with 77 outside CI, fails in CI)."""
import base64
import grp
import pwd
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import common  # noqa: E402

OKURU = sys.argv[1]
GROUP = "okuru-test"
SECRET = "s3tgid-secret-Pa55"
check = common.SoftChecks()


class AuthServer:
    """Plaintext SMTP that offers AUTH PLAIN (accepting only u / SECRET), takes a
    message by DATA, and records everything it receives."""

    def __init__(self):
        self.received = b""
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            conn, _ = self.sock.accept()
            conn.sendall(b"220 test ESMTP\r\n")
            f = conn.makefile("rb")
            in_data = False
            for line in f:
                self.received += line
                cmd = line.upper()
                if in_data:
                    if line == b".\r\n":
                        in_data = False
                        conn.sendall(b"250 2.0.0 queued as T1\r\n")
                elif cmd.startswith(b"EHLO"):
                    conn.sendall(b"250-test\r\n250 AUTH PLAIN\r\n")
                elif cmd.startswith(b"AUTH PLAIN "):
                    good = base64.b64encode(b"\0u\0" + SECRET.encode())
                    conn.sendall(b"235 2.7.0 ok\r\n" if line.split()[2] == good
                                 else b"535 5.7.8 no\r\n")
                elif cmd.startswith((b"MAIL", b"RCPT")):
                    conn.sendall(b"250 2.1.0 ok\r\n")
                elif cmd.startswith(b"DATA"):
                    in_data = True
                    conn.sendall(b"354 go on\r\n")
                elif cmd.startswith(b"QUIT"):
                    conn.sendall(b"221 bye\r\n")
                    break
                else:
                    conn.sendall(b"500 5.5.1 no\r\n")
            conn.close()


def system_wide(d, binary, secret, log_path, server):
    """/etc/okuru.toml itself, seen only by okuru: a private mount namespace binds the
    test's file over it (an empty placeholder is created first if the machine has
    none, and removed again). The group's password file and log file are used,
    each only while privileged."""
    system_cfg = os.path.join(d, "system.toml")
    with open(system_cfg, "w") as f:
        f.write('domain = "example.org"\nlog_file = "%s"\ndead_letter = "%s"\n[accounts.a]\nhost = "127.0.0.1"\n'
                'port = %d\ntls = "none"\ninsecure_allow_plaintext_auth = true\nuser = "u"\n'
                'auth = ["PLAIN"]\npassword_file = "%s"\n'
                % (log_path, os.path.join(d, "failed-sys"), server.port, secret))
    os.chmod(system_cfg, 0o640)
    os.chown(system_cfg, 0, grp.getgrnam(GROUP).gr_gid)
    placeholder = not os.path.lexists("/etc/okuru.toml")
    if placeholder:
        open("/etc/okuru.toml", "w").close()
    home = tempfile.mkdtemp(prefix="okuru-setgid-home-")
    os.chmod(home, 0o755)

    def run_system():
        return subprocess.run(
            ["unshare", "-m", "--propagation", "private", "sh", "-c",
             'mount --bind "$0" /etc/okuru.toml && exec setpriv --reuid=nobody '
             '--regid=nogroup --clear-groups "$@"', system_cfg, binary, "-i", "a@example.org"],
            input=b"Subject: s\n\nx\n", capture_output=True, timeout=30,
            env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "HOME": home})
    try:
        server.received = b""
        p = run_system()
        # A log_file root did not make is never created with the group privilege
        # (the first user would own it); the mail still goes out.
        absent = os.path.join(os.path.dirname(log_path), "absent.log")
        with open(system_cfg) as f:
            text = f.read()
        with open(system_cfg, "w") as f:
            f.write(text.replace(log_path, absent))
        p2 = run_system()
        check(p2.returncode == 0 and not os.path.exists(absent)
              and b"cannot open log file" in p2.stderr,
              "/etc/okuru.toml: a missing log_file is not created with the privilege (exit %d)"
              % p2.returncode, p2.stderr.decode(errors="replace")[-400:])
        # $HOME is the caller's: "~/" cannot steer a privileged read.
        with open(system_cfg, "w") as f:
            f.write(text.replace('password_file = "%s"' % secret, 'password_file = "~/secret"'))
        p3 = run_system()
        check(p3.returncode == 78 and b'"~/" cannot be used' in p3.stderr,
              "/etc/okuru.toml: no \"~/\" paths with the privilege (exit %d)" % p3.returncode,
              p3.stderr.decode(errors="replace")[-400:])
    finally:
        if placeholder:
            os.unlink("/etc/okuru.toml")
        shutil.rmtree(home, ignore_errors=True)
    plain = base64.b64encode(b"\0u\0" + SECRET.encode())
    check(p.returncode == 0 and plain in server.received,
          "/etc/okuru.toml: the group's password file is used (exit %d)" % p.returncode,
          p.stderr.decode(errors="replace")[-400:])
    with open(log_path, "rb") as f:
        logged = f.read()
    check(logged.count(b"\n") == 1
          and b"Z uid=%d user=nobody account=a relay=127.0.0.1:%d " % (
              pwd.getpwnam("nobody").pw_uid, server.port) in logged
          and b" status=sent " in logged,
          "/etc/okuru.toml: its log_file, writable by the group only, gets the line, with the "
          "submitting user's uid and name",
          logged.decode(errors="replace"))
    check(SECRET.encode() not in logged + p.stdout + p.stderr and plain not in logged,
          "/etc/okuru.toml: no secret in the log or the output")


def in_namespace(system_cfg, binary, args, env, stdin=b"Subject: s\n\nx\n"):
    """okuru run as nobody with system_cfg bound over /etc/okuru.toml (which must
    exist) in a private mount namespace, with exactly `env`."""
    return subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c",
         'mount --bind "$0" /etc/okuru.toml && exec setpriv --reuid=nobody '
         '--regid=nogroup --clear-groups "$@"', system_cfg, binary] + args,
        input=stdin, capture_output=True, timeout=30, env=env)


def read_env(path):
    """A file written by `env`: its variables, without what the shell adds."""
    out = {}
    with open(path) as f:
        for line in f.read().splitlines():
            name, _, value = line.partition("=")
            if name not in ("PWD", "SHLVL", "_", "OLDPWD"):
                out[name] = value
    return out


def clean_environment(d, binary, server):
    """Issue 12: with the privilege the caller's environment is reduced to the
    allow-list of okuru(8) before anything runs (a GSSAPI_MECH_CONF or similar
    naming the caller's code is gone). The proof comes from outside: the
    password_command of a system account runs with okuru's environment and
    writes it down. A user's own configuration gets the caller's environment
    back (after the drop: its password_command needs the user's agent)."""
    import pwd
    nobody = pwd.getpwnam("nobody")
    seen = os.path.join(d, "env-system")
    system_cfg = os.path.join(d, "system-env.toml")
    with open(system_cfg, "w") as f:
        f.write('domain = "example.org"\ndead_letter = "%s"\n[accounts.a]\nhost = "127.0.0.1"\nport = %d\ntls = "none"\n'
                'insecure_allow_plaintext_auth = true\nuser = "u"\nauth = ["PLAIN"]\n'
                'password_command = ["/bin/sh", "-c", "env > %s; echo %s"]\n'
                % (os.path.join(d, "failed-env"), server.port, seen, SECRET))
    os.chmod(system_cfg, 0o640)
    os.chown(system_cfg, 0, grp.getgrnam(GROUP).gr_gid)
    home = tempfile.mkdtemp(prefix="okuru-setgid-home-")
    os.chmod(home, 0o755)
    hostile = {"PATH": "/tmp/evil:/usr/bin:/bin", "HOME": home, "USER": "root",
               "LOGNAME": "root", "GSSAPI_MECH_CONF": os.path.join(d, "mech.conf"),
               "KRB5_CONFIG": os.path.join(d, "krb5.conf"), "LD_PRELOAD": "",
               "LANG": "C.UTF-8", "LC_ALL": "C", "XDG_CONFIG_HOME": home,
               "GNUTLS_DEBUG_LEVEL": "9", "TZ": "Europe/Paris", "FOO": "bar"}
    placeholder = not os.path.lexists("/etc/okuru.toml")
    if placeholder:
        open("/etc/okuru.toml", "w").close()
    try:
        p = in_namespace(system_cfg, binary, ["-i", "a@example.org"], hostile)
        got = read_env(seen) if os.path.exists(seen) else {}
        want = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": nobody.pw_dir,
                "USER": "nobody", "LOGNAME": "nobody", "TZ": "Europe/Paris"}
        check(p.returncode == 0 and got == want,
              "setgid: the environment after start-up is the allow-list (exit %d)" % p.returncode,
              "got %r\n     %s" % (got, p.stderr.decode(errors="replace")[-300:]))
        # A TZ that names a file is not a zone: dropped.
        os.unlink(seen)
        p = in_namespace(system_cfg, binary, ["-i", "a@example.org"],
                         dict(hostile, TZ=":/etc/okuru.toml"))
        got = read_env(seen) if os.path.exists(seen) else {}
        check(p.returncode == 0 and "TZ" not in got and "OKURU_CONFIG" not in got,
              "setgid: a TZ naming a file is dropped", repr(got))
        # OKURU_CONFIG is the caller's choice and stays; a user's own file drops the
        # privilege first and gets the caller's environment back.
        user_seen = os.path.join(d, "env-user")
        user_cfg = os.path.join(d, "user-env.toml")
        with open(user_cfg, "w") as f:
            f.write('domain = "example.org"\ndead_letter = "%s"\n[accounts.a]\nhost = "127.0.0.1"\nport = %d\n'
                    'tls = "none"\ninsecure_allow_plaintext_auth = true\nuser = "u"\n'
                    'auth = ["PLAIN"]\npassword_command = ["/bin/sh", "-c", "env > %s; echo %s"]\n'
                    % (os.path.join(d, "failed-env"), server.port, user_seen, SECRET))
        os.chmod(user_cfg, 0o644)
        p = in_namespace(system_cfg, binary, ["-i", "a@example.org"],
                         dict(hostile, OKURU_CONFIG=user_cfg))
        got = read_env(user_seen) if os.path.exists(user_seen) else {}
        check(p.returncode == 0 and got.get("FOO") == "bar" and got.get("HOME") == home
              and got.get("OKURU_CONFIG") == user_cfg,
              "setgid: a user's own configuration gets the caller's environment back (exit %d)"
              % p.returncode, "got %r\n     %s" % (got, p.stderr.decode(errors="replace")[-300:]))
    finally:
        if placeholder:
            os.unlink("/etc/okuru.toml")
        shutil.rmtree(home, ignore_errors=True)


def no_redirection(d, binary, server):
    """Issue 12: with the privilege, --port and --tls cannot move an account of
    /etc/okuru.toml (and its login) to a listener the caller chose; a user's own
    configuration may be redirected."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.5)
    lport = listener.getsockname()[1]
    system_cfg = os.path.join(d, "system-redirect.toml")
    with open(system_cfg, "w") as f:
        f.write('domain = "example.org"\ndead_letter = "%s"\n[accounts.a]\nhost = "127.0.0.1"\nport = %d\ntls = "none"\n'
                'insecure_allow_plaintext_auth = true\nuser = "u"\nauth = ["PLAIN"]\n'
                'password = "%s"\n' % (os.path.join(d, "failed-redirect"), server.port, SECRET))
    os.chmod(system_cfg, 0o640)
    os.chown(system_cfg, 0, grp.getgrnam(GROUP).gr_gid)
    env = {"PATH": "/usr/bin:/bin"}
    placeholder = not os.path.lexists("/etc/okuru.toml")
    if placeholder:
        open("/etc/okuru.toml", "w").close()
    try:
        for args in (["--check", "-a", "a", "--port", str(lport)],
                     ["--check", "--tls", "implicit"],
                     ["--serverinfo", "-a", "a", "--port", str(lport)],
                     ["-C", "/etc/okuru.toml", "--check", "--port=%d" % lport]):
            p = in_namespace(system_cfg, binary, args, env, stdin=b"")
            try:
                conn, _ = listener.accept()
                conn.close()
                connected = True
            except socket.timeout:
                connected = False
            check(p.returncode == 77 and b"cannot change where an account of /etc/okuru.toml"
                  in p.stderr and not connected,
                  "setgid: %s refused for the system configuration (exit %d)"
                  % (" ".join(args), p.returncode), p.stderr.decode(errors="replace")[-300:])
        # The same account in the system file without an override still works.
        p = in_namespace(system_cfg, binary, ["--check", "-a", "a"], env, stdin=b"")
        check(p.returncode == 0, "setgid: --check of the system account itself (exit %d)"
              % p.returncode, (p.stdout + p.stderr).decode(errors="replace")[-300:])
        # A user's own configuration may go anywhere: --port moves it to the server.
        user_cfg = os.path.join(d, "user-redirect.toml")
        with open(user_cfg, "w") as f:
            f.write('domain = "example.org"\n[accounts.a]\nhost = "127.0.0.1"\nport = %d\ntls = "none"\n' % lport)
        os.chmod(user_cfg, 0o644)
        server.received = b""
        p = in_namespace(system_cfg, binary,
                         ["-C", user_cfg, "--check", "--port", str(server.port)], env, stdin=b"")
        check(p.returncode == 0 and b"EHLO" in server.received,
              "setgid: --port still moves an account of the user's own configuration (exit %d)"
              % p.returncode, (p.stdout + p.stderr).decode(errors="replace")[-300:])
    finally:
        listener.close()
        if placeholder:
            os.unlink("/etc/okuru.toml")


def client_certificate(d, binary):
    """Issue 12: the client certificate and key of a system account, kept like its
    password file (root:okuru 0640), are read with the privilege and presented."""
    import hashlib
    import ssl
    gid = grp.getgrnam(GROUP).gr_gid
    pems = {}
    for name in ("server", "client"):
        key, cert = os.path.join(d, name + ".key"), os.path.join(d, name + ".pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "2", "-subj", "/CN=okuru-%s" % name], check=True,
                       capture_output=True)
        pems[name] = (cert, key)
    for path in pems["client"]:
        os.chown(path, 0, gid)
        os.chmod(path, 0o640)
    with open(pems["server"][0]) as f:
        pin = hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*pems["server"])
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(pems["client"][0])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    peers = []

    def serve():
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            try:
                conn = context.wrap_socket(raw, server_side=True)
                peers.append(dict(x[0] for x in conn.getpeercert()["subject"]).get("commonName"))
                conn.sendall(b"220 test ESMTP\r\n")
                for line in conn.makefile("rb"):
                    if line.upper().startswith(b"EHLO"):
                        conn.sendall(b"250 test\r\n")
                    elif line.upper().startswith(b"QUIT"):
                        conn.sendall(b"221 bye\r\n")
                        break
                    else:
                        conn.sendall(b"500 5.5.1 no\r\n")
                conn.close()
            except (OSError, ssl.SSLError) as e:
                peers.append("error: %s" % e)
                raw.close()
    threading.Thread(target=serve, daemon=True).start()
    system_cfg = os.path.join(d, "system-cert.toml")
    with open(system_cfg, "w") as f:
        f.write('domain = "example.org"\n[accounts.a]\nhost = "127.0.0.1"\nport = %d\ntls = "implicit"\n'
                'fingerprint = "%s"\nclient_cert = "%s"\nclient_key = "%s"\n'
                % (listener.getsockname()[1], pin, pems["client"][0], pems["client"][1]))
    os.chmod(system_cfg, 0o640)
    os.chown(system_cfg, 0, gid)
    placeholder = not os.path.lexists("/etc/okuru.toml")
    if placeholder:
        open("/etc/okuru.toml", "w").close()
    try:
        p = in_namespace(system_cfg, binary, ["--check", "-a", "a"], {"PATH": "/usr/bin:/bin"},
                         stdin=b"")
        check(p.returncode == 0 and peers == ["okuru-client"],
              "setgid: a system account's client key (root:%s 0640) is read with the privilege "
              "and presented (exit %d)" % (GROUP, p.returncode),
              "peers %r\n     %s" % (peers, (p.stdout + p.stderr).decode(errors="replace")[-400:]))
        # Without the privilege the same key is out of reach (the test's baseline).
        user_cfg = os.path.join(d, "user-cert.toml")
        with open(system_cfg) as f, open(user_cfg, "w") as g:
            g.write(f.read())
        os.chmod(user_cfg, 0o644)
        p = in_namespace(system_cfg, binary, ["-C", user_cfg, "--check", "-a", "a"],
                         {"PATH": "/usr/bin:/bin"}, stdin=b"")
        check(p.returncode == 78 and b"client certificate" in p.stdout + p.stderr,
              "setgid: a user's configuration cannot load that key (exit %d)" % p.returncode,
              (p.stdout + p.stderr).decode(errors="replace")[-400:])
    finally:
        listener.close()
        if placeholder:
            os.unlink("/etc/okuru.toml")


def system_only(d, binary, server):
    """Issue 12: --system reads /etc/okuru.toml whatever the caller's
    OKURU_CONFIG or HOME say (sudo's mailer runs as the invoking user with their
    environment)."""
    system_cfg = os.path.join(d, "system-only.toml")
    with open(system_cfg, "w") as f:
        f.write('domain = "example.org"\n'
                'dead_letter = "%s"\n[accounts.a]\nhost = "127.0.0.1"\nport = %d\ntls = "none"\n'
                'insecure_allow_plaintext_auth = true\nuser = "u"\nauth = ["PLAIN"]\n'
                'password = "%s"\n' % (os.path.join(d, "failed-sys-only"), server.port, SECRET))
    os.chmod(system_cfg, 0o640)
    os.chown(system_cfg, 0, grp.getgrnam(GROUP).gr_gid)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    dead_port = closed.getsockname()[1]  # bound, never listening: connections refused
    user_cfg = os.path.join(d, "user-redirected.toml")
    with open(user_cfg, "w") as f:
        f.write('domain = "example.org"\ndead_letter = "%s"\n[accounts.a]\nhost = "127.0.0.1"\n'
                'port = %d\ntls = "none"\n' % (os.path.join(d, "failed-user-only"), dead_port))
    os.chmod(user_cfg, 0o644)
    env = {"PATH": "/usr/bin:/bin", "OKURU_CONFIG": user_cfg, "HOME": d,
           "XDG_CONFIG_HOME": d}
    message = b"To: root@example.org\nFrom: sudo\nSubject: *** SECURITY information ***\n\nx\n"
    placeholder = not os.path.lexists("/etc/okuru.toml")
    if placeholder:
        open("/etc/okuru.toml", "w").close()
    try:
        p = in_namespace(system_cfg, binary, ["-t"], env, stdin=message)
        check(p.returncode == 75, "setgid: without --system the caller's OKURU_CONFIG decides "
              "(exit %d)" % p.returncode, p.stderr.decode(errors="replace")[-300:])
        server.received = b""
        p = in_namespace(system_cfg, binary, ["-t", "--system"], env, stdin=message)
        check(p.returncode == 0 and b"SECURITY information" in server.received,
              "setgid: --system sends through /etc/okuru.toml whatever OKURU_CONFIG says "
              "(exit %d)" % p.returncode, p.stderr.decode(errors="replace")[-300:])
    finally:
        closed.close()
        if placeholder:
            os.unlink("/etc/okuru.toml")


def one_secret_at_a_time(d, binary, secret, server):
    """Issue 12: only the secret of the account used is read. The password file
    of account b is empty: if okuru read it while sending through a, it would
    fail (as it did when every file was read at start-up)."""
    gid = grp.getgrnam(GROUP).gr_gid
    empty = os.path.join(d, "secret-b")
    open(empty, "w").close()
    os.chown(empty, 0, gid)
    os.chmod(empty, 0o640)
    system_cfg = os.path.join(d, "system-two.toml")
    account = ('[accounts.%s]\nhost = "127.0.0.1"\nport = %d\ntls = "none"\n'
               'insecure_allow_plaintext_auth = true\nuser = "u"\nauth = ["PLAIN"]\n'
               'password_file = "%s"\n')
    with open(system_cfg, "w") as f:
        f.write('domain = "example.org"\ndead_letter = "%s"\n' % os.path.join(d, "failed-two")
                + account % ("a", server.port, secret) + account % ("b", server.port, empty))
    os.chmod(system_cfg, 0o640)
    os.chown(system_cfg, 0, gid)
    env = {"PATH": "/usr/bin:/bin"}
    placeholder = not os.path.lexists("/etc/okuru.toml")
    if placeholder:
        open("/etc/okuru.toml", "w").close()
    try:
        server.received = b""
        p = in_namespace(system_cfg, binary, ["-a", "a", "-i", "x@example.org"], env)
        check(p.returncode == 0 and base64.b64encode(b"\0u\0" + SECRET.encode()) in server.received,
              "setgid: sending through a never reads b's password file (exit %d)" % p.returncode,
              p.stderr.decode(errors="replace")[-300:])
        p = in_namespace(system_cfg, binary, ["-a", "b", "-i", "x@example.org"], env)
        check(p.returncode == 78 and b"is empty" in p.stderr,
              "setgid: b's password file is read when b is used (exit %d)" % p.returncode,
              p.stderr.decode(errors="replace")[-300:])
    finally:
        if placeholder:
            os.unlink("/etc/okuru.toml")


def gssapi_mech_conf(d, binary, secret):
    """Issue 12, the attack itself: libgssglue dlopens the library GSSAPI_MECH_CONF
    names. Its constructor writes a marker file. Through a user's own configuration
    it runs (the caller's environment, no secret of the system: the baseline);
    through /etc/okuru.toml, with a system secret about, it must not."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if not compiler:
        # g++ (a build dependency) pulls in gcc, so CI always has one.
        check(not os.environ.get("CI"), "GSSAPI_MECH_CONF attack: no C compiler in CI")
        print("skip GSSAPI_MECH_CONF: no C compiler")
        return
    marker = os.path.join(d, "mech-ran")
    source = os.path.join(d, "mech.c")
    with open(source, "w") as f:
        f.write('#include <stdio.h>\n__attribute__((constructor)) static void ran(void) {\n'
                '    FILE* f = fopen("%s", "a");\n    if (f) { fputs("ran\\n", f); fclose(f); }\n}\n'
                % marker)
    library = os.path.join(d, "mech.so")
    subprocess.run([compiler, "-shared", "-fPIC", "-o", library, source], check=True)
    os.chmod(library, 0o755)
    conf = os.path.join(d, "mech.conf")
    with open(conf, "w") as f:
        f.write(library + "\n")
    os.chmod(conf, 0o644)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.sendall(b"220 test ESMTP\r\n")
            for line in conn.makefile("rb"):
                if line.upper().startswith(b"EHLO"):
                    conn.sendall(b"250-test\r\n250 AUTH GSSAPI\r\n")
                elif line.upper().startswith(b"QUIT"):
                    conn.sendall(b"221 bye\r\n")
                    break
                else:
                    conn.sendall(b"535 5.7.8 no\r\n")
            conn.close()
    threading.Thread(target=serve, daemon=True).start()
    account = ('[accounts.g]\nhost = "127.0.0.1"\nport = %d\ntls = "none"\n'
               'insecure_allow_plaintext_auth = true\nuser = "u"\nauth = ["GSSAPI"]\n'
               % listener.getsockname()[1])
    system_cfg = os.path.join(d, "system-gss.toml")
    with open(system_cfg, "w") as f:
        f.write('domain = "example.org"\n' + account + 'password_file = "%s"\n' % secret)
    os.chmod(system_cfg, 0o640)
    os.chown(system_cfg, 0, grp.getgrnam(GROUP).gr_gid)
    user_cfg = os.path.join(d, "user-gss.toml")
    with open(user_cfg, "w") as f:
        f.write(account)
    os.chmod(user_cfg, 0o644)
    env = {"PATH": "/usr/bin:/bin", "GSSAPI_MECH_CONF": conf}
    placeholder = not os.path.lexists("/etc/okuru.toml")
    if placeholder:
        open("/etc/okuru.toml", "w").close()
    try:
        p = in_namespace(system_cfg, binary, ["-C", user_cfg, "--check", "-a", "g"], env,
                         stdin=b"")
        check(os.path.exists(marker), "baseline: a user's own configuration loads the "
              "GSSAPI_MECH_CONF library (exit %d)" % p.returncode,
              (p.stdout + p.stderr).decode(errors="replace")[-300:])
        if os.path.exists(marker):
            os.unlink(marker)
        p = in_namespace(system_cfg, binary, ["--check", "-a", "g"], env, stdin=b"")
        check(p.returncode != 0 and b"AUTH" in p.stdout and not os.path.exists(marker),
              "setgid: GSSAPI_MECH_CONF never loads the caller's library with the system "
              "configuration (exit %d)" % p.returncode,
              (p.stdout + p.stderr).decode(errors="replace")[-300:])
    finally:
        listener.close()
        if placeholder:
            os.unlink("/etc/okuru.toml")


def authorization(d, binary, server):
    """Issue 12: [authorization] of /etc/okuru.toml, binding with the privilege:
    a user not in submit_users is refused (77) before any connection and logged
    with the uid; with restrict_senders a user may claim only their own address
    and what senders lists for them; a user's own configuration restricts
    nobody."""
    nobody = pwd.getpwnam("nobody")
    gid = grp.getgrnam(GROUP).gr_gid
    log_path = os.path.join(d, "authorization.log")
    open(log_path, "w").close()
    os.chown(log_path, 0, gid)
    os.chmod(log_path, 0o660)
    system_cfg = os.path.join(d, "system-authorization.toml")
    base = ('domain = "example.org"\nlog_file = "%s"\ndead_letter = "%s"\n'
            '[accounts.a]\nhost = "127.0.0.1"\nport = %d\ntls = "none"\n'
            'insecure_allow_plaintext_auth = true\nuser = "u"\nauth = ["PLAIN"]\n'
            'password = "%s"\n' % (log_path, os.path.join(d, "failed-authorization"),
                                   server.port, SECRET))

    def write(rules):
        with open(system_cfg, "w") as f:
            f.write(base + rules)
        os.chmod(system_cfg, 0o640)
        os.chown(system_cfg, 0, gid)

    def run(args, stdin=b"Subject: s\n\nx\n"):
        server.received = b""
        return in_namespace(system_cfg, binary, args + ["-i", "rcpt@example.org"],
                            {"PATH": "/usr/bin:/bin"}, stdin=stdin)

    def detail(p):
        return (p.stdout + p.stderr).decode(errors="replace")[-400:]

    placeholder = not os.path.lexists("/etc/okuru.toml")
    if placeholder:
        open("/etc/okuru.toml", "w").close()
    try:
        write('[authorization]\nsubmit_users = ["root", "@okuru-test"]\n')
        p = run([])
        with open(log_path, "rb") as f:
            logged = f.read()
        check(p.returncode == 77
              and b"user nobody (uid %d) may not submit" % nobody.pw_uid in p.stderr
              and b"submit_users" in p.stderr and server.received == b"",
              "authorization: a user not in submit_users is refused before any connection "
              "(exit %d)" % p.returncode, detail(p))
        check(b"uid=%d user=nobody " % nobody.pw_uid in logged and b" exit=77" in logged
              and b"status=failed" in logged,
              "authorization: the refusal is logged with the uid", logged.decode(errors="replace"))

        server.received = b""
        p = in_namespace(system_cfg, binary, ["--check"], {"PATH": "/usr/bin:/bin"}, stdin=b"")
        check(p.returncode == 77 and b"may not submit" in p.stdout + p.stderr
              and server.received == b"",
              "authorization: nor may that user --check with the system's credentials "
              "(exit %d)" % p.returncode, detail(p))

        write('[authorization]\nsubmit_users = ["root", "@nogroup"]\n')
        p = run([])
        check(p.returncode == 0 and b"DATA" in server.received,
              "authorization: a member of a group in submit_users submits (exit %d)"
              % p.returncode, detail(p))

        write('[authorization]\nrestrict_senders = true\n[authorization.senders]\n'
              'nobody = ["cron@example.org"]\n"@root" = ["root@example.org"]\n')
        p = run(["-f", "ceo@example.org"])
        check(p.returncode == 77 and b"may not send as ceo@example.org (envelope sender)"
              in p.stderr and server.received == b"",
              "authorization: another envelope sender is refused (exit %d)" % p.returncode,
              detail(p))
        p = run(["-f", "nobody@example.org"], stdin=b"From: CEO <ceo@example.org>\n\nx\n")
        check(p.returncode == 77 and b"may not send as ceo@example.org (From)" in p.stderr
              and server.received == b"",
              "authorization: another From: is refused (exit %d)" % p.returncode, detail(p))
        p = run(["-f", "root@example.org"])
        check(p.returncode == 77 and b"root@example.org" in p.stderr,
              "authorization: an address listed for a group the user is not in is refused "
              "(exit %d)" % p.returncode, detail(p))
        p = run([])
        check(p.returncode == 0 and b"MAIL FROM:<nobody@example.org>" in server.received,
              "authorization: the user's own address passes (exit %d)" % p.returncode, detail(p))
        p = run(["-f", "cron@example.org"], stdin=b"From: Cron <cron@example.org>\n\nx\n")
        check(p.returncode == 0 and b"MAIL FROM:<cron@example.org>" in server.received,
              "authorization: an address listed for the user passes (exit %d)" % p.returncode,
              detail(p))

        # The user's own file may hold the same table: it binds nobody there.
        user_cfg = os.path.join(d, "user-authorization.toml")
        with open(user_cfg, "w") as f:
            f.write('domain = "example.org"\n[accounts.a]\nhost = "127.0.0.1"\nport = %d\n'
                    'tls = "none"\n[authorization]\nsubmit_users = []\nrestrict_senders = true\n'
                    % server.port)
        os.chmod(user_cfg, 0o644)
        p = run(["-C", user_cfg, "-f", "ceo@example.org"])
        check(p.returncode == 0 and b"MAIL FROM:<ceo@example.org>" in server.received,
              "authorization: a user's own configuration is not restricted (exit %d)"
              % p.returncode, detail(p))
    finally:
        if placeholder:
            os.unlink("/etc/okuru.toml")


def main():
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        print("needs root and setpriv")
        return 1 if os.environ.get("CI") else 77
    try:
        gid = grp.getgrnam(GROUP).gr_gid
    except KeyError:
        subprocess.run(["groupadd", "--system", GROUP], check=True)
        gid = grp.getgrnam(GROUP).gr_gid
    d = tempfile.mkdtemp(prefix="okuru-setgid-")
    if os.statvfs(d).f_flag & os.ST_NOSUID:
        # On a nosuid mount the copy would run unprivileged and prove nothing.
        d2 = tempfile.mkdtemp(prefix="okuru-setgid-", dir=os.path.dirname(os.path.abspath(OKURU)))
        os.rmdir(d)
        d = d2
        if os.statvfs(d).f_flag & os.ST_NOSUID:
            os.rmdir(d)
            print("no filesystem without nosuid to run a setgid copy from")
            return 1 if os.environ.get("CI") else 77
    try:
        os.chmod(d, 0o755)
        binary = os.path.join(d, "okuru")
        shutil.copy(OKURU, binary)
        os.chown(binary, 0, gid)
        os.chmod(binary, 0o2755)
        # A secret only the group can read, and a directory only the group can write.
        secret = os.path.join(d, "secret")
        with open(secret, "w") as f:
            f.write(SECRET + "\n")
        os.chown(secret, 0, gid)
        os.chmod(secret, 0o640)
        private = os.path.join(d, "private")
        os.mkdir(private)
        os.chown(private, 0, gid)
        os.chmod(private, 0o770)
        # The user's own config names the group's secret; the server asks for AUTH,
        # so okuru must try to read it.
        server = AuthServer()
        cfg = os.path.join(d, "user.toml")
        with open(cfg, "w") as f:
            f.write('domain = "example.org"\ndead_letter = "%s"\n[accounts.a]\nhost = "127.0.0.1"\nport = %d\n'
                    'tls = "none"\ninsecure_allow_plaintext_auth = true\nuser = "u"\nauth = ["PLAIN"]\n'
                    'password_file = "%s"\n' % (os.path.join(d, "failed"), server.port, secret))
        os.chmod(cfg, 0o644)
        os.chmod(os.path.join(d), 0o777)

        def as_nobody(args):
            return subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                                   binary] + args, input=b"Subject: s\n\nx\n", capture_output=True,
                                  timeout=30)

        # Sanity: the copy really is setgid (otherwise this test proves nothing).
        st = os.stat(binary)
        check(st.st_mode & 0o2000 and st.st_gid == gid, "test binary is setgid %s" % GROUP)

        p = as_nobody(["-C", cfg, "-i", "a@example.org"])
        out = p.stdout + p.stderr
        check(p.returncode != 0 and b"secret" in p.stderr and b"Permission denied" in p.stderr,
              "a user config cannot read the group's password file (exit %d)" % p.returncode,
              p.stderr.decode(errors="replace")[-400:])
        check(SECRET.encode() not in out, "the secret never appears in the output")
        check(b"AUTH" not in server.received, "no AUTH reached the server")

        p = as_nobody(["-C", cfg, "-X", os.path.join(private, "log"), "--pretend", "a@example.org"])
        check(p.returncode == 73 and not os.path.exists(os.path.join(private, "log")),
              "-X cannot create a file where only the group may write (exit %d)" % p.returncode,
              p.stderr.decode(errors="replace")[-400:])

        # A user's config may not write where only the group may: the log line is
        # lost with a warning, the mail still goes out.
        syslog_path = os.path.join(private, "okuru.log")
        with open(syslog_path, "w"):
            pass
        os.chown(syslog_path, 0, gid)
        os.chmod(syslog_path, 0o660)
        open_cfg = os.path.join(d, "user-log.toml")
        with open(open_cfg, "w") as f:
            f.write('domain = "example.org"\nlog_file = "%s"\n[accounts.a]\nhost = "127.0.0.1"\nport = %d\ntls = "none"\n'
                    % (syslog_path, server.port))
        os.chmod(open_cfg, 0o644)
        p = as_nobody(["-C", open_cfg, "-i", "a@example.org"])
        check(p.returncode == 0 and b"cannot open log file" in p.stderr
              and os.path.getsize(syslog_path) == 0,
              "a user's log_file gets the user's rights only (exit %d)" % p.returncode,
              p.stderr.decode(errors="replace")[-400:])

        system_wide(d, binary, secret, syslog_path, server)
        clean_environment(d, binary, server)
        no_redirection(d, binary, server)
        client_certificate(d, binary)
        system_only(d, binary, server)
        one_secret_at_a_time(d, binary, secret, server)
        gssapi_mech_conf(d, binary, secret)
        authorization(d, binary, server)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
