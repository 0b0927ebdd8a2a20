#!/usr/bin/python3
"""Shell completion (issue 5): loads completions/okuru.bash, _okuru or okuru.fish
in its own shell and asks that shell for completions, as a user pressing TAB
would, with the okuru under test first on PATH.

    test_completion.py bash|zsh|fish OKURU COMPLETIONS_DIR

Account names must come from okuru itself (okuru --list-accounts): the sample
configuration writes its accounts in every form TOML allows (table headers with
bare, quoted and spaced keys, dotted keys, an inline table), which a pattern
over the file's lines would miss. A missing shell is a failure, never a skip."""
import fcntl
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import common  # noqa: E402

SHELL = sys.argv[1]
OKURU = os.path.abspath(sys.argv[2])
COMPLETIONS = os.path.abspath(sys.argv[3])
check = common.SoftChecks()

# The same accounts as SAMPLE_NAMES, in the forms a line-by-line pattern misses.
SAMPLE = """\
# Accounts in the forms TOML allows; only a TOML parser finds them all.
accounts.work.host = "smtp.work.example"            # dotted keys, no header
accounts.work.port = 587
accounts.lan = { host = "relay.lan.example", port = 25 }   # inline table

# [accounts.commented-out]
[accounts.gmail]
host = "smtp.gmail.com"
port = 465

[ accounts . "isp.example" ]
host = "mail.isp.example"

[accounts.'backup-2']
host = "backup.example"
"""
SAMPLE_NAMES = ["backup-2", "gmail", "isp.example", "lan", "work"]
HOME_CONFIG = '[accounts.home-default]\nhost = "smtp.home.example"\n'
ENV_CONFIG = '[accounts.from-env]\nhost = "smtp.env.example"\n'
BAD_CONFIG = '[accounts.broken]\nhost = \n'



def listed_options():
    """okuru --list-options: (name, value, description) for each line, the name ending
    at a space, '=' or '[' ("-f ADDR", "--config=CONFIG", "-q[TIME]")."""
    out = subprocess.run([OKURU, "--list-options"], capture_output=True, text=True,
                         check=True).stdout
    options = []
    for line in out.splitlines():
        spelling, description = line.split("\t")
        name = spelling
        for sep in " =[":
            name = name.split(sep)[0]
        options.append((name, spelling[len(name) + 1:].rstrip("]"), description))
    return options


# The options the completions offer: every one okuru lists, but the ignored ones.
OPTIONS = [name for name, _, description in listed_options()
           if not description.startswith("ignored")]
LONG_OPTIONS = [o for o in OPTIONS if o.startswith("--")]


class World:
    """A home, configuration files, a directory of file names to complete, and two
    PATHs: sendmail as a link to okuru, and sendmail as another program."""

    def __init__(self, root):
        self.root = root
        self.home = os.path.join(root, "home")
        os.makedirs(os.path.join(self.home, ".config", "okuru"))
        self.write(os.path.join(self.home, ".config", "okuru", "config.toml"), HOME_CONFIG)
        self.write(os.path.join(self.home, ".config", "okuru", "other.toml"), SAMPLE)
        self.sample = self.write(os.path.join(root, "sample.toml"), SAMPLE)
        self.spaced = self.write(os.path.join(root, "my configs", "sample.toml"), SAMPLE)
        self.env_config = self.write(os.path.join(root, "env.toml"), ENV_CONFIG)
        self.bad = self.write(os.path.join(root, "bad.toml"), BAD_CONFIG)
        self.confdir = os.path.join(root, "confs")
        for name in ("conf-a.toml", "conf-b.toml", "other.txt"):
            self.write(os.path.join(self.confdir, name), SAMPLE)
        # The working directory holds one file whose name looks like an option: the
        # default (file name) completion offers it, okuru's option completion does not.
        self.cwd = os.path.join(root, "cwd")
        self.write(os.path.join(self.cwd, "--serfile.txt"), "")
        linked = os.path.join(root, "sendmail-okuru")
        os.makedirs(linked)
        os.symlink(OKURU, os.path.join(linked, "sendmail"))
        other = os.path.join(root, "sendmail-other")
        self.write(os.path.join(other, "sendmail"), "#!/bin/sh\necho not okuru >&2\nexit 1\n")
        os.chmod(os.path.join(other, "sendmail"), 0o755)
        self.paths = {
            "okuru": os.pathsep.join([os.path.dirname(OKURU), linked, "/usr/bin", "/bin"]),
            "other": os.pathsep.join([os.path.dirname(OKURU), other, "/usr/bin", "/bin"]),
        }

    @staticmethod
    def write(path, text):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def env(self, case):
        env = {k: v for k, v in os.environ.items()
               if k not in ("OKURU_CONFIG", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_DATA_DIRS",
                            "BASH_COMPLETION_USER_DIR", "ZDOTDIR", "BASH_ENV", "ENV",
                            "HOSTFILE", "CDPATH")}
        env["HOME"] = self.home
        env["PATH"] = self.paths[case.get("sendmail", "okuru")]
        env["LC_ALL"] = "C.UTF-8"
        env["TERM"] = "xterm"
        if "config" in case:
            env["OKURU_CONFIG"] = case["config"]
        return env


def cases(w):
    """Command lines typed up to the cursor and the completions expected there.
    `want` is one list for every shell, or a dict by shell where they differ
    (bash splits --opt=value at '=', fish returns the whole token)."""
    names = SAMPLE_NAMES
    files = [os.path.join(w.confdir, n) for n in ("conf-a.toml", "conf-b.toml")]
    return [
        # Account names, from $OKURU_CONFIG, -C/--config in each spelling, the home file.
        dict(line="okuru -a ", config=w.sample, want=names),
        dict(line="okuru --account ", config=w.sample, want=names),
        dict(line=f"okuru -C {w.sample} -a ", config=w.env_config, want=names),
        dict(line=f"okuru --config {w.sample} --account ", want=names),
        dict(line=f"okuru --config={w.sample} -a ", config=w.env_config, want=names),
        dict(line=f"okuru -C{w.sample} -a ", want=names),
        dict(line=f"okuru -tC {w.sample} -a ", want=names),
        dict(line=f"okuru -C '{w.spaced}' -a ", want=names),
        dict(line="okuru -C ~/.config/okuru/other.toml -a ", want=names),
        dict(line=f"okuru -C {w.sample} -a i", want=["isp.example"]),
        dict(line=f"okuru -C {w.sample} --account=g",
             want={"bash": ["gmail"], "zsh": ["gmail"], "fish": ["--account=gmail"]}),
        dict(line=f"okuru -C {w.sample} -ag",
             want={"bash": ["-agmail"], "zsh": ["gmail"], "fish": ["-agmail"]}),
        dict(line="okuru -a ", want=["home-default"]),
        dict(line="okuru -a ", config=w.env_config, want=["from-env"]),
        dict(line=f"okuru -C {w.bad} -a ", config=w.sample, want=[]),
        # Option names, old and new.
        dict(line="okuru --ser", want=["--serverinfo"]),
        dict(line="okuru --che", want=["--check"]),
        dict(line="okuru --list", want=[o for o in LONG_OPTIONS if o.startswith("--list")]),
        dict(line="okuru --test", want=["--test-message"]),
        dict(line="okuru --ho", want=["--host"]),
        dict(line="okuru --po", want=["--port"]),
        dict(line="okuru --", want={"bash": LONG_OPTIONS + ["--"], "zsh": LONG_OPTIONS,
                                    "fish": LONG_OPTIONS}),
        dict(line="okuru -", want={"bash": OPTIONS + ["--"], "zsh": OPTIONS, "fish": OPTIONS}),
        # Values by what the listing says they are: every option with choices offers
        # them, every FILE or CONFIG option file names, every ACCOUNT option accounts.
        # (An optional value glued after '=', "--tls-starttls[=on|off]", is no next word.)
        *[dict(line=f"okuru {name} ", want=value.split("|"))
          for name, value, description in listed_options()
          if "|" in value and not value.startswith("=") and not description.startswith("ignored")],
        *[dict(line=f"okuru {name} {w.confdir}/conf-",
               want={"bash": files, "zsh": ["conf-a.toml", "conf-b.toml"], "fish": files})
          for name, value, _ in listed_options() if value in ("FILE", "CONFIG")],
        *[dict(line=f"okuru -C {w.sample} {name} ", want=names)
          for name, value, _ in listed_options() if value == "ACCOUNT"],
        dict(line="okuru -N ", want=["delay", "failure", "never", "success"]),
        dict(line="okuru -B8",
             want={"bash": ["-B8BITMIME"], "zsh": ["8BITMIME"], "fish": ["-B8BITMIME"]}),
        # Values of the new options.
        dict(line="okuru --tls ", want=["implicit", "none", "starttls"]),
        dict(line="okuru --tls i", want=["implicit"]),
        dict(line="okuru --tls=",
             want={"bash": ["implicit", "none", "starttls"],
                   "zsh": ["implicit", "none", "starttls"],
                   "fish": ["--tls=implicit", "--tls=none", "--tls=starttls"]}),
        dict(line="okuru --serverinfo --host mail.example --port ", want=["25", "465", "587"]),
        # -C/--config take file names.
        dict(line=f"okuru -C {w.confdir}/conf-",
             want={"bash": files, "zsh": ["conf-a.toml", "conf-b.toml"], "fish": files}),
        dict(line=f"okuru --config {w.confdir}/conf-",
             want={"bash": files, "zsh": ["conf-a.toml", "conf-b.toml"], "fish": files}),
        # okuru installed as sendmail completes as okuru; another sendmail gets file names.
        dict(line="sendmail -a ", config=w.sample, want=names),
        dict(line="sendmail --ser", want=["--serverinfo"]),
        dict(line="sendmail --ser", sendmail="other",
             want={"bash": [], "zsh": ["--serfile.txt"], "fish": ["--serfile.txt"]},
             # bash leaves the default completion (file names) to readline
             bash_compopt="-o default"),
        dict(line="sendmail -a ", sendmail="other", config=w.sample,
             want={"bash": [], "zsh": ["--serfile.txt"], "fish": ["--serfile.txt"]},
             bash_compopt="-o default"),
    ]


def run(argv, env, cwd, timeout=30):
    # The shell is the one on the test's PATH; the PATH given to it is the test's own.
    argv = [shutil.which(argv[0]) or argv[0]] + argv[1:]
    return subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


# ---- bash ---------------------------------------------------------------------------

def bash_words(line):
    """COMP_WORDS as bash builds them: words split at unquoted blanks and around '='
    (COMP_WORDBREAKS), quotes kept as typed; a trailing blank starts an empty word."""
    words, cur, quote, started, i = [], "", None, False, 0
    while i < len(line):
        c = line[i]
        if quote:
            cur += c
            if c == quote:
                quote = None
        elif c in "'\"":
            quote, cur, started = c, cur + c, True
        elif c == "\\" and i + 1 < len(line):
            cur, started = cur + line[i:i + 2], True
            i += 1
        elif c == " ":
            if started:
                words.append(cur)
            cur, started = "", False
        elif c == "=":
            if started:
                words.append(cur)
            words.append("=")
            cur, started = "", False
        else:
            cur, started = cur + c, True
        i += 1
    if started:
        words.append(cur)
    elif not line or line.endswith(" "):
        words.append("")
    return words


BASH_DRIVER = r"""
if [[ $OKURU_TEST_MODE == bash-completion ]]; then
    source /usr/share/bash-completion/bash_completion
    __load_completion "$1" || echo "bash-completion found no completion for $1"
else
    source "$OKURU_TEST_SCRIPT"
fi
spec=$(complete -p -- "$1") || exit 3
[[ $spec =~ -F\ ([^ ]+) ]] || { echo "no function in: $spec"; exit 3; }
compopt() { printf 'COMPOPT %s\n' "$*" >>"$OKURU_TEST_COMPOPT"; builtin compopt "$@" 2>/dev/null; }
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE=$OKURU_TEST_LINE
COMP_POINT=${#COMP_LINE}
COMP_TYPE=9
COMP_KEY=9
COMPREPLY=()
"${BASH_REMATCH[1]}" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
for r in "${COMPREPLY[@]}"; do printf 'REPLY %s\n' "$r"; done
"""


def bash_complete(w, case, mode):
    env = w.env(case)
    env["OKURU_TEST_MODE"] = mode
    env["OKURU_TEST_LINE"] = case["line"]
    env["OKURU_TEST_SCRIPT"] = os.path.join(COMPLETIONS, "okuru.bash")
    # Installed layout: the script named after the command, sendmail a link to it.
    env["BASH_COMPLETION_USER_DIR"] = os.path.join(w.root, "bash-completion")
    env["XDG_DATA_DIRS"] = os.path.join(w.root, "nothing")
    env["OKURU_TEST_COMPOPT"] = os.path.join(w.root, "compopt")
    open(env["OKURU_TEST_COMPOPT"], "w").close()
    words = bash_words(case["line"])
    r = run(["bash", "--norc", "--noprofile", "-c", BASH_DRIVER, "bash"] + words, env, w.cwd)
    out, err = r.stdout, r.stderr
    with open(env["OKURU_TEST_COMPOPT"]) as f:
        compopt = f.read()
    replies = [l[len("REPLY "):] for l in out.splitlines() if l.startswith("REPLY ")]
    other = [l for l in out.splitlines() if not l.startswith("REPLY ")]
    return replies, err + "\n".join(other), r.returncode, compopt


def test_bash(w):
    if not shutil.which("bash"):
        check(False, "bash is installed")
        return
    script = os.path.join(COMPLETIONS, "okuru.bash")
    r = run(["bash", "--norc", "--noprofile", "-c",
             'source "$1" && complete -p okuru && complete -p sendmail', "bash", script],
            w.env({}), w.cwd)
    check(r.returncode == 0 and r.stderr == "", "bash: okuru.bash loads without errors",
          r.stderr)
    check(r.stdout.splitlines() == ["complete -F _okuru okuru", "complete -F _okuru sendmail"],
          "bash: registered for okuru and sendmail", r.stdout)
    r = run(["bash", "--norc", "--noprofile", "-c",
             "source /usr/share/bash-completion/bash_completion && source \"$1\"", "bash",
             script], w.env({}), w.cwd)
    check(r.returncode == 0 and r.stderr == "",
          "bash: okuru.bash loads after bash-completion without errors", r.stderr)

    bcdir = os.path.join(w.root, "bash-completion", "completions")
    os.makedirs(bcdir)
    shutil.copy(script, os.path.join(bcdir, "okuru"))
    os.symlink("okuru", os.path.join(bcdir, "sendmail"))
    for mode in ("sourced", "bash-completion"):
        for case in cases(w):
            want = case["want"]["bash"] if isinstance(case["want"], dict) else case["want"]
            got, err, rc, compopt = bash_complete(w, case, mode)
            what = f"bash ({mode}): '{case['line']}'"
            check(sorted(got) == sorted(want) and err.strip() == "" and rc == 0, what,
                  f"want {sorted(want)}\ngot  {sorted(got)}\nerrors: {err.strip()} rc={rc}")
            if "bash_compopt" in case:
                check(("COMPOPT " + case["bash_compopt"]) in compopt.splitlines(),
                      what + " asks for " + case["bash_compopt"], compopt)


# ---- zsh ----------------------------------------------------------------------------

# Interactive zsh -f style setup: compinit over the completions directory, and a
# compadd that also writes every match it adds to a file. ^T writes an end mark.
ZSHRC = r"""
PS1='%% '
RPS1=
fpath=("$OKURU_TEST_FPATH" $fpath)
autoload -Uz compinit
compinit -u -D
exec 2>>"$OKURU_TEST_ERR"
LISTMAX=100000
zstyle ':completion:*' list-prompt ''
zstyle ':completion:*' menu no
compadd() {
  # Calls that only filter or look (-O, -A, -D) add nothing: pass them on.
  local a
  for a in "$@"; do
    [[ $a == (-|--) ]] && break
    [[ $a == -[OAD]* ]] && { builtin compadd "$@"; return }
  done
  local -a __okuru_matched
  builtin compadd -O __okuru_matched "$@"
  (( $#__okuru_matched )) && print -rl -- "${__okuru_matched[@]}" >>"$OKURU_TEST_OUT"
  builtin compadd "$@"
}
_okuru_test_done() {
  print -r -- '@@END@@' >>"$OKURU_TEST_OUT"
  zle -I
  print -r -- '@@DONE@@'
}
zle -N _okuru_test_done
bindkey -e
bindkey '^I' complete-word
bindkey '^T' _okuru_test_done
print -r -- '@@READY@@'
"""


def pty_session(argv, env, cwd, inputs, marker, timeout=20):
    """Runs argv on a terminal; waits for `marker` after start and after each input."""
    argv = [shutil.which(argv[0]) or argv[0]] + argv[1:]
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.chdir(cwd)
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 100, 200, 0, 0))
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    seen = b""
    try:
        deadline = time.monotonic() + timeout
        for i, data in enumerate([None] + inputs):
            if data is not None:
                os.write(fd, data.encode())
            want = marker[i > 0].encode()
            while seen.count(want) < (i if i > 0 else 1):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {want!r} from {argv[0]}; terminal said:\n"
                                       + seen.decode(errors="replace"))
                ready, _, _ = select.select([fd], [], [], left)
                if ready:
                    try:
                        chunk = os.read(fd, 65536)
                    except OSError:
                        chunk = b""
                    if not chunk:
                        raise EOFError(f"{argv[0]} ended; terminal said:\n"
                                       + seen.decode(errors="replace"))
                    seen += chunk
        return seen.decode(errors="replace")
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


def zsh_complete(w, case):
    zdot = tempfile.mkdtemp(dir=w.root)
    World.write(os.path.join(zdot, ".zshrc"), ZSHRC)
    out = os.path.join(zdot, "matches")
    err = os.path.join(zdot, "errors")
    open(out, "w").close()
    open(err, "w").close()
    env = w.env(case)
    env.update(ZDOTDIR=zdot, OKURU_TEST_FPATH=COMPLETIONS, OKURU_TEST_OUT=out,
               OKURU_TEST_ERR=err)
    pty_session(["zsh", "-d", "-i"], env, w.cwd, [case["line"] + "\t\x14"],
                ("@@READY@@", "@@DONE@@"))
    with open(out) as f:
        text = f.read()
    with open(err) as f:
        errors = f.read()
    check(text.endswith("@@END@@\n"), f"zsh: '{case['line']}' completed", text)
    return sorted(set(text.replace("@@END@@\n", "").splitlines())), errors


def test_zsh(w):
    if not shutil.which("zsh"):
        check(False, "zsh is installed")
        return
    script = os.path.join(COMPLETIONS, "_okuru")
    r = run(["zsh", "-n", script], w.env({}), w.cwd)
    check(r.returncode == 0 and r.stderr == "", "zsh: _okuru parses", r.stderr)
    r = run(["zsh", "-f", "-c", 'fpath=("$1" $fpath); autoload -Uz compinit; compinit -u -D; '
             'print -r -- $_comps[okuru] $_comps[sendmail]', "zsh", COMPLETIONS],
            w.env({}), w.cwd)
    check(r.stdout.split() == ["_okuru", "_okuru"] and r.stderr == "",
          "zsh: compinit maps okuru and sendmail to _okuru", r.stdout + r.stderr)
    for case in cases(w):
        want = case["want"]["zsh"] if isinstance(case["want"], dict) else case["want"]
        try:
            got, errors = zsh_complete(w, case)
        except (TimeoutError, EOFError) as e:
            check(False, f"zsh: '{case['line']}'", str(e))
            continue
        check(got == sorted(want) and errors == "", f"zsh: '{case['line']}'",
              f"want {sorted(want)}\ngot  {got}\nerrors: {errors.strip()}")


# ---- fish ---------------------------------------------------------------------------

def fish_complete(w, case, mode):
    env = w.env(case)
    env["OKURU_TEST_LINE"] = case["line"]
    if mode == "sourced":
        setup = "source $argv[1]"
    else:
        # Installed layout: autoloaded by command name from a vendor directory.
        setup = "set -p fish_complete_path $argv[2]"
    r = run(["fish", "--no-config", "-c", setup + "; complete --do-complete=$OKURU_TEST_LINE",
             os.path.join(COMPLETIONS, "okuru.fish"), os.path.join(w.root, "fish")],
            env, w.cwd)
    return [l.split("\t")[0] for l in r.stdout.splitlines()], r.stderr, r.returncode


def test_fish(w):
    if not shutil.which("fish"):
        check(False, "fish is installed")
        return
    script = os.path.join(COMPLETIONS, "okuru.fish")
    r = run(["fish", "--no-config", "-n", script], w.env({}), w.cwd)
    check(r.returncode == 0 and r.stderr == "", "fish: okuru.fish parses", r.stderr)
    r = run(["fish", "--no-config", "-c", "source $argv[1]; and complete -c okuru | count; "
             "and complete -c sendmail | count", script], w.env({}), w.cwd)
    counts = r.stdout.split()
    check(r.returncode == 0 and r.stderr == "" and len(counts) == 2 and counts[0] == counts[1]
          and int(counts[0]) > 20, "fish: okuru.fish loads, for okuru and sendmail alike",
          r.stdout + r.stderr)
    vendor = os.path.join(w.root, "fish")
    os.makedirs(vendor)
    shutil.copy(script, os.path.join(vendor, "okuru.fish"))
    os.symlink("okuru.fish", os.path.join(vendor, "sendmail.fish"))
    for mode in ("sourced", "autoloaded"):
        for case in cases(w):
            want = case["want"]["fish"] if isinstance(case["want"], dict) else case["want"]
            got, err, rc = fish_complete(w, case, mode)
            check(sorted(got) == sorted(want) and err == "" and rc == 0,
                  f"fish ({mode}): '{case['line']}'",
                  f"want {sorted(want)}\ngot  {sorted(got)}\nerrors: {err.strip()} rc={rc}")


def main():
    if SHELL not in ("bash", "zsh", "fish"):
        sys.exit("usage: test_completion.py bash|zsh|fish OKURU COMPLETIONS_DIR")
    with tempfile.TemporaryDirectory(prefix="okuru-completion-") as root:
        w = World(root)
        # The sample's accounts are what okuru itself lists: the test's ground truth.
        r = run([OKURU, "-C", w.sample, "--list-accounts"], w.env({}), w.cwd)
        check(r.returncode == 0 and sorted(r.stdout.split()) == SAMPLE_NAMES,
              "okuru --list-accounts lists the sample's accounts",
              f"rc={r.returncode} out={r.stdout!r} err={r.stderr!r}")
        {"bash": test_bash, "zsh": test_zsh, "fish": test_fish}[SHELL](w)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
