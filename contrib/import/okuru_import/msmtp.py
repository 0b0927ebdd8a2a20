"""msmtp -> okuru: each msmtp account (as msmtprc.py resolved it) becomes an
okuru account; logfile, syslog, maildomain and aliases, per account in msmtp,
become okuru's whole-file settings."""

import os
import re

from .inputs import comment_anywhere, expand_home, read_text
from .model import EX_DATAERR, Conversion, Failure
from .msmtp_sender import EXACT, NONE, USER_AT, Sender, map_senders, msmtp_expand, msmtp_from
from .msmtprc import parse_msmtprc
from .validate import is_system_ca_file, sha256_fingerprint, valid_ehlo, valid_fqdn, valid_host

# Every command msmtp 1.8 reads (msmtp(1), "Commands"), and the old spellings
# it still accepts (msmtprc.msmtp_modernise): okuru-import(1) says what each
# becomes, and anything else is reported as unknown.
MSMTP_COMMANDS = (
    "defaults", "account", "host", "port", "source_ip", "proxy_host", "proxy_port", "socket",
    "timeout", "protocol", "domain", "auth", "user", "password", "passwordeval", "ntlmdomain",
    "tls", "tls_starttls", "tls_trust_file", "tls_crl_file", "tls_fingerprint", "tls_key_file",
    "tls_cert_file", "tls_certcheck", "tls_min_dh_prime_bits", "tls_priorities",
    "tls_host_override", "from", "from_full_name", "allow_from_override", "set_from_header",
    "set_date_header", "set_msgid_header", "remove_bcc_headers", "undisclosed_recipients",
    "dsn_notify", "dsn_return", "logfile", "logfile_time_format", "syslog", "aliases",
    "auto_from", "maildomain", "eval")
MSMTP_OLD_COMMANDS = ("connect_timeout", "add_missing_from_header", "add_missing_date_header",
                      "keepbcc", "tls_nocertcheck", "tls_nostarttls", "tls_force_sslv3")

MSMTP_SYSLOG = {"LOG_USER": "user", "LOG_MAIL": "mail",
                **{f"LOG_LOCAL{i}": f"local{i}" for i in range(8)}}
NO_PASSWORD_MECHANISMS = {"GSSAPI", "EXTERNAL"}
TOKEN_MECHANISMS = {"XOAUTH2", "OAUTHBEARER"}

# Commands with no okuru counterpart, and why.
MSMTP_UNMAPPED = {
    "proxy_host": "okuru does not connect through a SOCKS proxy (run it under a wrapper "
                  "such as torsocks if you need one)",
    "proxy_port": "okuru does not connect through a SOCKS proxy",
    "socket": "okuru connects over TCP only, not to a local socket",
    "source_ip": "okuru does not bind to a source address",
    "tls_crl_file": "okuru has no CRL file setting (GnuTLS's default checks apply)",
    "tls_host_override": "okuru checks the certificate against host (set host to the name "
                         "in the certificate, or pin it with fingerprint)",
    "tls_min_dh_prime_bits": "obsolete in msmtp too; okuru uses GnuTLS's defaults "
                             "(tls_priority changes them)",
    "tls_force_sslv3": "SSLv3 is insecure and not supported",
    "ntlmdomain": "okuru has no NTLM domain setting",
    "logfile_time_format": "okuru's log lines use ISO 8601 UTC times",
    "from_full_name": "okuru has no display-name setting; use okuru -F NAME",
    "eval": "not run while converting (it may print a secret); put its result in by hand, "
            "or use password_command for a password",
}

# Commands whose msmtp default is what okuru does: reported only when set otherwise.
MSMTP_SAME_AS_OKURU = {
    "protocol": (("smtp",), "okuru speaks SMTP submission only, not LMTP"),
    "dsn_notify": (("off",), "okuru takes DSN requests on the command line only (-N)"),
    "dsn_return": (("off",), "okuru takes DSN requests on the command line only (-R)"),
    "set_date_header": (("auto", ""), "okuru adds a Date: header when the message has none"),
    "set_msgid_header": (("auto", ""),
                         "okuru adds a Message-ID: header when the message has none"),
    "remove_bcc_headers": (("on", ""), "okuru always removes Bcc: headers"),
    "undisclosed_recipients": (("off",), "okuru does not rewrite To/Cc"),
}


class MsmtpContext:
    """What several msmtp accounts contribute to one okuru file."""

    def __init__(self, conv, path):
        self.conv = conv
        self.path = path
        self.domains = []      # (domain, where, account)
        self.logfiles = []     # (path, where, account)
        self.syslogs = []
        self.alias_files = []  # (path, where)
        self.senders = {}      # okuru account name -> Sender (what msmtp sent without -f)
        self.default_name = None
        self.names = {}        # msmtp account name -> okuru account name


def is_on(s):
    return s is not None and s.arg in ("", "on")


def is_off(s):
    return s is not None and s.arg == "off"


class AccountConversion:
    """One msmtp account into one okuru account. Each step reads one group of
    msmtp commands through get(), which marks them handled; whatever the steps
    did not read is reported at the end."""

    def __init__(self, section, account, conv, ctx):
        self.section = section
        self.account = account
        self.values = account.values
        self.conv = conv
        self.ctx = ctx
        self.handled = set()

    def get(self, cmd):
        self.handled.add(cmd)
        return self.section.resolved.get(cmd)

    def warn(self, where, message):
        self.conv.warn(where, message, self.account)

    def note(self, text):
        self.conv.note(text, self.account)

    def logs_in(self):
        """msmtp logs in when auth is on (or names a mechanism) and user is set."""
        auth, user = self.get("auth"), self.get("user")
        return auth is not None and auth.arg != "off" and user is not None and user.arg != ""

    def run(self):
        self.host()
        self.port_and_tls()
        self.server_certificate()
        self.client_certificate()
        self.tls_priorities()
        self.authentication()
        self.sender()
        self.ehlo_and_timeouts()
        self.whole_file_settings()
        self.report_the_rest()

    def host(self):
        host = self.get("host")
        if not valid_host(host.arg):
            raise Failure(EX_DATAERR, f'{host.where}: host "{host.arg}" is not a host name '
                                      "okuru accepts")
        self.values["host"] = host.arg

    def port_and_tls(self):
        """msmtp: TLS off by default; port 25, or 465 for TLS without STARTTLS."""
        tls, starttls, port = self.get("tls"), self.get("tls_starttls"), self.get("port")
        implicit = is_on(tls) and is_off(starttls)
        values = self.values
        if port is not None:
            if not port.arg.isdigit() or not 0 < int(port.arg) < 65536:
                raise Failure(EX_DATAERR, f'{port.where}: port "{port.arg}" is not a port number')
            values["port"] = int(port.arg)
        else:
            values["port"] = 465 if implicit else 25
            if not implicit:
                self.note(f"{self.section.where}: no port line: msmtp's default, 25, is written "
                          "out (okuru's own default would be 587)")
        for s in (tls, starttls):
            if s is not None and s.arg not in ("", "on", "off"):
                raise Failure(EX_DATAERR, f'{s.where}: "{s.arg}" is not on or off')
        where = (tls or self.section).where
        if is_on(tls) and not implicit and values["port"] == 465:
            values["tls"] = "implicit"
            self.warn((port or tls).where,
                      "msmtp spoke STARTTLS on port 465 (tls_starttls on is its default; "
                      "msmtp needs tls_starttls off there); okuru uses implicit TLS on this "
                      "port, as the server expects")
        elif is_on(tls):
            values["tls"] = "implicit" if implicit else "starttls"
        elif self.logs_in():
            self.conv.plaintext_login(self.account, where, "msmtp",
                                      "msmtp used no TLS here, but the account logs in")
        else:
            values["tls"] = "none"
            self.note(f"{where}: msmtp used no TLS here; tls = \"none\" keeps that (nothing "
                      "secret is sent)")
        if values["port"] == 25 and values["tls"] != "none":
            self.note("port 25 is often blocked for home connections (OP25B); if the server "
                      "offers submission, port = 587 is the better choice")

    def server_certificate(self):
        trust, fingerprint = self.get("tls_trust_file"), self.get("tls_fingerprint")
        certcheck = self.get("tls_certcheck")
        name = self.account.name
        if is_off(certcheck):
            self.warn(certcheck.where,
                      "tls_certcheck off not converted: okuru always verifies the server "
                      "certificate. For a self-signed server, pin it: fingerprint = \"...\" "
                      f"(okuru --serverinfo -a {name} shows it)")
        if fingerprint is not None and fingerprint.arg:
            fp = sha256_fingerprint(fingerprint.arg)
            if fp:
                self.values["fingerprint"] = fp
            else:
                self.warn(fingerprint.where,
                          "tls_fingerprint is not a SHA-256 fingerprint (SHA-1 and MD5 ones are "
                          "not accepted by okuru): not converted, the certificate is verified "
                          f"against the CAs instead; okuru --serverinfo -a {name} shows the "
                          "SHA-256 one")
        if trust is not None and "fingerprint" not in self.values:
            self.trust_file(trust)

    def trust_file(self, trust):
        path = trust.arg
        if path == "":
            self.warn(trust.where, "empty tls_trust_file (trust no CA) not converted: without "
                                   "a fingerprint okuru verifies against the system CAs")
        elif path == "system" or is_system_ca_file(path):
            if path != "system" and not os.path.exists(path):
                self.note(f'{trust.where}: tls_trust_file "{path}" is the system CA bundle of '
                          "another system: okuru trusts this system's CAs (system_trust, "
                          "its default)")
        else:
            self.conv.set_file(self.account, {"ca_file": path, "system_trust": False},
                               (path, trust.where, "tls_trust_file"))

    def client_certificate(self):
        cert, key = self.get("tls_cert_file"), self.get("tls_key_file")
        for s, name in ((cert, "tls_cert_file"), (key, "tls_key_file")):
            if s is not None and s.arg.startswith("pkcs11:"):
                self.warn(s.where, f"{name} with a PKCS #11 URI not converted: okuru reads PEM "
                                   "files only")
        if cert is None or not cert.arg or cert.arg.startswith("pkcs11:"):
            return  # msmtp uses a key only with its certificate
        values = {"client_cert": cert.arg}
        files = [(cert.arg, cert.where, "tls_cert_file")]
        if key is not None and key.arg and not key.arg.startswith("pkcs11:"):
            values["client_key"] = key.arg
            files.append((key.arg, key.where, "tls_key_file"))
        self.conv.set_file(self.account, values, *files)  # both or neither

    def tls_priorities(self):
        priorities = self.get("tls_priorities")
        if priorities is not None and priorities.arg:
            if re.match(r"(PROTOCOLS|CIPHERS|ECDHECURVES)=", priorities.arg):
                self.warn(priorities.where, "tls_priorities in libtls syntax not converted: "
                                            "okuru's tls_priority is a GnuTLS priority string")
            else:
                self.values["tls_priority"] = priorities.arg

    def authentication(self):
        """msmtp logs in only when auth says so; okuru whenever user is set."""
        auth, user = self.get("auth"), self.get("user")
        password, passwordeval = self.get("password"), self.get("passwordeval")
        if auth is None or auth.arg == "off":
            for s in (user, password, passwordeval):
                if s is not None and s.arg:
                    self.warn(s.where, "auth is off (msmtp's default), so msmtp did not log in "
                                       "with this; not converted (okuru logs in whenever user "
                                       "is set)")
        elif not self.logs_in():
            self.warn(auth.where, "auth is on but no user is set: okuru logs in only with a "
                                  "user, so this account does not authenticate")
        else:
            mechanism = auth.arg.upper() if auth.arg not in ("", "on") else None
            self.values["user"] = user.arg
            if mechanism:
                self.values["auth"] = [mechanism]
            self.password_source(mechanism, password, passwordeval)

    def password_source(self, mechanism, password, passwordeval):
        values = self.values
        if password is not None and password.arg:
            values["password"] = password.arg
            self.warn(password.where, "the password is written inline, as it was: okuru "
                                      "requires the file to be private (chmod 600); "
                                      "password_file or password_command would keep it out "
                                      "of the configuration")
            if passwordeval is not None and passwordeval.arg:
                self.warn(passwordeval.where, "passwordeval not converted: password is set "
                                              "too, and msmtp uses that one")
        elif passwordeval is not None and passwordeval.arg:
            command = ["sh", "-c", passwordeval.arg]
            if mechanism in TOKEN_MECHANISMS:
                values["oauth_token_command"] = command
                self.note(f"{passwordeval.where}: passwordeval gives the OAuth token "
                          f"({mechanism}): it became oauth_token_command")
            else:
                values["password_command"] = command
        elif mechanism not in NO_PASSWORD_MECHANISMS:
            values["password_command"] = ["secret-tool", "lookup", "host", values["host"],
                                          "service", "smtp", "user", values["user"]]
            self.warn(self.section.where,
                      "no password or passwordeval: msmtp took the password from the keyring "
                      "(else ~/.netrc, else by asking); written as a secret-tool lookup of "
                      "msmtp's keyring entry. If it lives elsewhere, use password_file or "
                      "password_command instead")

    def sender(self):
        f = self.get("from")
        sender = msmtp_from(f, self.conv, self.ctx, self.account) if f is not None \
            else Sender(NONE)
        exact = sender.value if sender.kind == EXACT else None
        override = self.get("allow_from_override")
        if is_off(override):
            if exact:
                self.values["envelope_from"] = exact
            else:
                self.warn(override.where, "allow_from_override off not converted: okuru's "
                                          "envelope_from needs one fixed address")
        from_header = self.get("set_from_header")
        if from_header is not None and from_header.arg in ("", "on"):
            if exact:
                self.values["from_header"] = exact
            else:
                self.warn(from_header.where, "set_from_header on not converted: okuru's "
                                             "from_header needs one fixed address")
        elif from_header is not None and from_header.arg == "off":
            self.warn(from_header.where, "set_from_header off not converted: okuru adds a "
                                         "From: header when the message has none")
        self.ctx.senders[self.account.name] = self.maildomain() or sender

    def maildomain(self):
        """auto_from on + maildomain: msmtp replaced from with USER@maildomain."""
        auto_from, maildomain = self.get("auto_from"), self.get("maildomain")
        if not is_on(auto_from):
            if maildomain is not None and maildomain.arg:
                self.warn(maildomain.where, "maildomain not converted: msmtp uses it only with "
                                            "auto_from on")
            return None
        if maildomain is None or not maildomain.arg:
            self.warn(auto_from.where, "auto_from without maildomain not converted: okuru "
                                       "qualifies bare senders with domain = ...")
            return None
        if not valid_fqdn(maildomain.arg):
            self.warn(maildomain.where, f'maildomain "{maildomain.arg}" is not a fully '
                                        "qualified domain: not converted")
            return None
        domain = maildomain.arg.lower()
        self.ctx.domains.append((domain, maildomain.where, self.account))
        self.note(f"{auto_from.where}: auto_from: msmtp sent from USER@{domain}, and "
                  f'domain = "{domain}" does the same for bare senders')
        return Sender(USER_AT, domain, maildomain.where)

    def ehlo_and_timeouts(self):
        domain = self.get("domain")
        if domain is not None and domain.arg:
            name = msmtp_expand(domain.arg, domain, self.conv, self.account)
            if valid_ehlo(name):
                self.values["ehlo"] = name
            else:
                self.warn(domain.where, f'domain "{name}" is not a name okuru can send in '
                                        "EHLO: not converted")
        timeout = self.get("timeout")
        if timeout is not None and timeout.arg != "off":
            seconds = int(timeout.arg) if timeout.arg.isdigit() else 0
            if not 0 < seconds <= 86400:
                self.warn(timeout.where, f'timeout "{timeout.arg}" not converted: okuru takes '
                                         "1 to 86400 seconds")
            else:
                self.values["connect_timeout"] = seconds
                self.values["timeout"] = seconds

    def whole_file_settings(self):
        """logfile, syslog and aliases: collected here, one value chosen in convert_msmtp."""
        logfile = self.get("logfile")
        if logfile is not None and logfile.arg:
            if logfile.arg == "-":
                self.warn(logfile.where, "logfile - (standard output) not converted: okuru "
                                         "logs to a file (log_file) or syslog")
            else:
                self.ctx.logfiles.append((logfile.arg, logfile.where, self.account))
        syslog = self.get("syslog")
        if syslog is not None and syslog.arg != "off":
            facility = MSMTP_SYSLOG.get(syslog.arg or "LOG_USER", None)
            if facility is None and syslog.arg == "on":
                facility = "user"
            if facility:
                self.ctx.syslogs.append((facility, syslog.where, self.account))
            else:
                self.warn(syslog.where, f'syslog "{syslog.arg}" is not a facility okuru knows: '
                                        "not converted")
        aliases = self.get("aliases")
        if aliases is not None and aliases.arg:
            self.ctx.alias_files.append((aliases.arg, aliases.where))

    def report_the_rest(self):
        for cmd, s in self.section.resolved.items():
            if cmd in self.handled:
                continue
            if cmd == "protocol" and s.arg not in ("smtp", "lmtp"):
                self.warn(s.where, f'protocol "{s.arg}" not converted: msmtp knows smtp and '
                                   "lmtp only, and refuses this file (implicit TLS is "
                                   'tls_starttls off for msmtp, tls = "implicit" for okuru)')
            elif cmd in MSMTP_SAME_AS_OKURU:
                expected, why = MSMTP_SAME_AS_OKURU[cmd]
                if s.arg not in expected:
                    self.warn(s.where, f"{cmd} {s.arg} not converted: {why}")
            elif cmd in MSMTP_UNMAPPED:
                if s.arg or cmd == "eval":
                    self.warn(s.where, f"{cmd} not converted: {MSMTP_UNMAPPED[cmd]}")
            elif cmd in MSMTP_COMMANDS or cmd in MSMTP_OLD_COMMANDS:
                self.warn(s.where, f"{cmd} not converted")
            else:
                self.warn(s.where, f'unknown msmtp command "{cmd}": not converted')


def read_msmtp_aliases(path, where, conv):
    """msmtp's aliases file: 'local: address, address' lines; 'default' is the fallback."""
    full = expand_home(path)
    try:
        text = read_text(full, "msmtp aliases file", comment_anywhere)
    except Failure as e:
        conv.warn(where, f"aliases not converted: {e}")
        return
    for no, line in enumerate(text.split("\n"), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, colon, targets = line.partition(":")
        here = f"{full}:{no}"
        if not colon:
            conv.warn(here, 'not "local: address, ..." : left out')
            continue
        name = name.strip()
        conv.add_alias("*" if name == "default" else name, targets.split(","), here)


def default_alias_of(sections):
    """NAME when the file says "account default : NAME" and nothing else, else None."""
    d = sections.get("default")
    if d is not None and not d.own and len(d.parents) == 1:
        return d.parents[0]
    return None


def convert_accounts(sections, conv, ctx, default_alias):
    """{msmtp name: okuru name} of the accounts converted."""
    names = {}
    for name, section in sections.items():
        if name == "default" and default_alias:
            continue
        if "host" not in section.resolved:
            conv.warn(section.where, f"account {name} has no host (msmtp would not use it "
                                     "on its own): left out")
            continue
        account = conv.add_account(name, section.where)
        names[name] = account.name
        AccountConversion(section, account, conv, ctx).run()
    return names


def mark_default(sections, conv, names, default_alias, path):
    default = default_alias or ("default" if "default" in sections else None)
    if default in names:
        conv.default = names[default]
        if default_alias:
            conv.note(f'{sections["default"].where}: "account default : {default_alias}" makes '
                      f"{names[default]} the default account", conv.find(names[default]))
    elif len(conv.accounts) > 1:
        conv.warn(path, "no account is called default: msmtp then needs -a or a matching "
                        "-f, and so does okuru (or a [routes] entry); mark one account with "
                        "default = true to give every other message a way out")


def warn_if_widened(conv, key, command, candidates):
    """msmtp logs per account, okuru for the whole file: say so when only some
    accounts logged."""
    logged = {c[2].name for c in candidates}
    if not logged or len(logged) == len(conv.accounts):
        return
    names = [a.name for a in conv.accounts if a.name in logged]
    others = [a.name for a in conv.accounts if a.name not in logged]
    conv.warn(candidates[0][1], f"{command} is set for account{'s' if len(names) > 1 else ''} "
                                f"{', '.join(names)} only, and okuru's {key} covers "
                                f"the whole file: submissions through {', '.join(others)} are "
                                "logged there too")


def set_whole_file(conv, ctx):
    """One file, one domain, log_file and syslog: the default account's wins."""
    def preferred(candidates):
        for c in candidates:
            if c[2].name == conv.default:
                return [c] + [x for x in candidates if x is not c]
        return candidates

    for key, candidates in (("domain", ctx.domains), ("log_file", ctx.logfiles),
                            ("syslog", ctx.syslogs)):
        for value, where, account in preferred(candidates):
            conv.set_top(key, value, where, f" (account {account.name})")
    for key, command, candidates in (("log_file", "logfile", ctx.logfiles),
                                     ("syslog", "syslog", ctx.syslogs)):
        warn_if_widened(conv, key, command, candidates)
    seen = set()
    for file, where in ctx.alias_files:
        if file not in seen:
            seen.add(file)
            read_msmtp_aliases(file, where, conv)
    map_senders(conv, ctx.senders, ctx.names.get(ctx.default_name))


def convert_msmtp(path):
    conv = Conversion("msmtp", path)
    ctx = MsmtpContext(conv, path)
    sections = parse_msmtprc(path)
    if not sections:
        raise Failure(EX_DATAERR, f"{path}: no account is defined")
    # "account default : NAME" with nothing of its own names the default account.
    default_alias = default_alias_of(sections)
    ctx.default_name = default_alias or ("default" if "default" in sections else None)
    if ctx.default_name is None and len(sections) == 1:
        ctx.default_name = next(iter(sections))
    names = convert_accounts(sections, conv, ctx, default_alias)
    ctx.names = names
    mark_default(sections, conv, names, default_alias, path)
    set_whole_file(conv, ctx)
    return conv
