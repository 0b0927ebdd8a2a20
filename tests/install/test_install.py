"""meson install: what lands where, for the default build and with -Dsendmail_links=true.

usage: /usr/bin/python3 test_install.py SOURCE_DIR BUILD_DIR

The default layout is installed from the tested build (no rebuild) into a DESTDIR;
the sendmail links need their own configuration, so a second, minimal build (no
tests, no optimisation) is configured, built and installed too. Every installed
program is run from the DESTDIR: okuru itself, okuru as sendmail/mailq/newaliases,
okuru-import, and man renders the installed pages.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

SOURCE, BUILD = sys.argv[1], sys.argv[2]
PREFIX = "/usr/local"
failures = []


def check(cond, what):
    print(("ok      " if cond else "FAILED  ") + what)
    if not cond:
        failures.append(what)


def run(argv, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def env_for(home):
    env = dict(os.environ)
    env.update(HOME=home, XDG_STATE_HOME=os.path.join(home, "state"),
               XDG_CONFIG_HOME=os.path.join(home, "config"), MANWIDTH="80")
    env.pop("OKURU_CONFIG", None)
    return env


def installed(dest, rel):
    return os.path.join(dest, PREFIX.lstrip("/"), rel)


def check_common(dest, home):
    """What every installation has."""
    okuru = installed(dest, "bin/okuru")
    check(os.access(okuru, os.X_OK), "bin/okuru is executable")
    r = run([okuru, "--version"], env=env_for(home))
    check(r.returncode == 0 and r.stdout.startswith("okuru ") and "GnuTLS" in r.stdout
          and "GNU SASL" in r.stdout and "SASL mechanisms:" in r.stdout,
          "installed okuru --version names GnuTLS, GNU SASL and the mechanisms")
    for page in ("man8/okuru.8", "man5/okuru.toml.5"):
        path = installed(dest, "share/man/" + page)
        r = run(["man", "-l", path], env=env_for(home))
        check(r.returncode == 0 and "okuru" in r.stdout and not r.stderr.strip(),
              "man -l renders the installed %s" % page)
    for rel in ("share/bash-completion/completions/okuru",
                "share/zsh/vendor-completions/_okuru",
                "share/fish/vendor_completions.d/okuru.fish",
                "share/doc/okuru/examples/gmail.toml",
                "share/doc/okuru/examples/callers/README.md",
                "share/okuru/okuru-oauth2"):
        check(os.path.isfile(installed(dest, rel)), "installed " + rel)
    # The system spool (okuru(8), System-wide use): a write-only sticky drop box,
    # root's when installed as root (CI), in <localstatedir>/spool/okuru.
    options = json.loads(run(["meson", "introspect", "--buildoptions", BUILD]).stdout)
    spooldir = next(o["value"] for o in options if o["name"] == "spooldir") or os.path.join(
        PREFIX, next(o["value"] for o in options if o["name"] == "localstatedir"),
        "spool/okuru")
    for sub in ("", "/tmp", "/new", "/cur"):
        d = os.path.join(dest, spooldir.lstrip("/") + sub)
        st = os.stat(d) if os.path.isdir(d) else None
        check(st is not None and (st.st_mode & 0o7777) == 0o1733
              and (os.geteuid() != 0 or st.st_uid == 0),
              "installed %s%s, mode 1733" % (spooldir, sub))
    for sub in ("", "/tmp", "/new", "/cur"):
        d = os.path.join(dest, spooldir.lstrip("/") + "/.given-up" + sub)
        st = os.stat(d) if os.path.isdir(d) else None
        check(st is not None and (st.st_mode & 0o7777) == 0o700
              and (os.geteuid() != 0 or st.st_uid == 0),
              "installed %s/.given-up%s, root's alone (0700)" % (spooldir, sub))
    imp = installed(dest, "bin/okuru-import")
    check(os.access(imp, os.X_OK), "bin/okuru-import is executable")
    if os.access(imp, os.X_OK):
        r = run([imp, "--help"], env=env_for(home))
        check(r.returncode == 0 and "msmtp" in r.stdout, "installed okuru-import --help runs")


def default_layout(tmp):
    dest = os.path.join(tmp, "dest-default")
    r = run(["meson", "install", "-C", BUILD, "--destdir", dest, "--no-rebuild", "--quiet"])
    check(r.returncode == 0, "meson install of the tested build" + (": " + r.stderr if r.returncode else ""))
    check_common(dest, tmp)
    for name in ("sbin/sendmail", "sbin/mailq", "sbin/newaliases", "bin/mailq"):
        check(not os.path.lexists(installed(dest, name)), "no %s without -Dsendmail_links" % name)


def sendmail_layout(tmp):
    build = os.path.join(tmp, "build-links")
    dest = os.path.join(tmp, "dest-links")
    r = run(["meson", "setup", build, SOURCE, "-Dsendmail_links=true", "-Dtests=disabled",
             "--buildtype=plain", "--prefix", PREFIX])
    check(r.returncode == 0, "meson setup -Dsendmail_links=true" + (": " + r.stdout[-2000:] + r.stderr if r.returncode else ""))
    if r.returncode:
        return
    r = run(["meson", "install", "-C", build, "--destdir", dest, "--quiet"])
    check(r.returncode == 0, "build and install with the links" + (": " + r.stdout[-2000:] + r.stderr if r.returncode else ""))
    check_common(dest, tmp)
    okuru = os.path.realpath(installed(dest, "bin/okuru"))
    for name in ("sbin/sendmail", "sbin/mailq", "sbin/newaliases", "bin/mailq", "bin/newaliases"):
        path = installed(dest, name)
        check(os.path.islink(path) and not os.path.isabs(os.readlink(path))
              and os.path.realpath(path) == okuru,
              "%s is a relative link to okuru" % name)
    env = env_for(tmp)
    r = run([installed(dest, "sbin/mailq")], env=env)
    check(r.returncode == 0 and r.stdout.startswith("Mail queue is empty"),
          "mailq (the link) says the queue is empty: " + r.stdout.strip())
    r = run([installed(dest, "sbin/newaliases")], env=env)
    check(r.returncode == 0 and "[aliases]" in r.stderr, "newaliases (the link) exits 0 and explains")
    r = run([installed(dest, "sbin/sendmail"), "-bp"], env=env)
    check(r.returncode == 0 and r.stdout.startswith("Mail queue is empty"), "sendmail -bp")
    for page, target in (("man8/sendmail.8", "okuru.8"), ("man1/mailq.1", "../man8/okuru.8"),
                         ("man1/newaliases.1", "../man8/okuru.8")):
        path = installed(dest, "share/man/" + page)
        check(os.path.islink(path) and os.readlink(path) == target, "man page link " + page)
    for rel in ("share/bash-completion/completions/sendmail",
                "share/fish/vendor_completions.d/sendmail.fish"):
        check(os.path.exists(installed(dest, rel)), "completion for sendmail: " + rel)


def main():
    tmp = tempfile.mkdtemp(prefix="okuru-install-")
    try:
        default_layout(tmp)
        sendmail_layout(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failed" % len(failures))
    sys.exit(1 if failures else 0)


main()
