"""ssmtp -> okuru: /etc/ssmtp/ssmtp.conf and /etc/ssmtp/revaliases.

ssmtp.conf holds "Key=value" lines, keys in any case; '#' starts a comment
anywhere on the line. Booleans are YES or anything else. revaliases lines are
"local:address[:mailhub[:port]]": the address and server ssmtp uses when that
local user sends mail."""

import os
import socket

from .inputs import comment_anywhere, name_from_host, read_text
from .model import EX_DATAERR, Conversion, Failure, Setting
from .validate import (is_system_ca_dir, is_system_ca_file, port_number, valid_address,
                       valid_domain, valid_fqdn, valid_host, valid_mechanism)

SSMTP_KEYS = {k.lower(): k for k in (
    "Root", "MailHub", "RemotePort", "HostName", "RewriteDomain", "FromLineOverride",
    "UseTLS", "UseSTARTTLS", "UseTLSCert", "TLSCert", "TLSKey", "TLS_CA_File", "TLS_CA_Dir",
    "AuthUser", "AuthPass", "AuthMethod", "UseOldAuth", "Debug", "AddHeader")}


def parse_ssmtp_conf(path, conv):
    """{canonical key: Setting}; lines that are not settings are reported."""
    text = read_text(path, "ssmtp configuration", comment_anywhere)
    settings = {}
    for no, raw in enumerate(text.split("\n"), 1):
        where = f"{path}:{no}"
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "#" in line:
            before = line.split("#", 1)[0]
            if "=" in before and before.split("=", 1)[1].strip():
                conv.warn(where, f"{before.split('=', 1)[0].strip()}: '#' starts a comment "
                                 "for ssmtp, even inside a value: converted as ssmtp read "
                                 "it, up to the '#'")
            line = before.strip()
        key, eq, value = line.partition("=")
        if not eq:
            conv.warn(where, 'not "Key=value": left out')
            continue
        key = key.strip()
        canonical = SSMTP_KEYS.get(key.lower())
        if canonical is None:
            conv.warn(where, f'unknown ssmtp setting "{key}": not converted')
            continue
        settings[canonical] = Setting(value.strip(), where)
    return settings


def ssmtp_yes(s):
    return s is not None and s.arg.lower() == "yes"


def parse_hub(text, where, default_port):
    host, _, port = text.strip().partition(":")
    host = host.strip()
    if not valid_host(host):
        raise Failure(EX_DATAERR, f'{where}: "{host}" is not a host name okuru accepts')
    if port.strip():
        if port_number(port) is None:
            raise Failure(EX_DATAERR, f'{where}: port "{port.strip()}" is not a port number')
        return host, port_number(port)
    return host, default_port


class SsmtpConversion:
    """The mailhub's account, the accounts revaliases adds, and the rest."""

    def __init__(self, path):
        self.path = path
        self.conv = Conversion("ssmtp", path)
        self.s = parse_ssmtp_conf(path, self.conv)
        use_starttls = ssmtp_yes(self.s.get("UseSTARTTLS"))
        self.use_starttls = use_starttls
        self.use_tls = ssmtp_yes(self.s.get("UseTLS")) or use_starttls  # STARTTLS implies TLS
        user = self.s.get("AuthUser")
        self.logs_in = user is not None and user.arg != ""
        self.common = {}   # what every account shares: login, EHLO name
        self.files = []    # and the certificate files: ({key: value}, [(path, where, what)])
        self.revaliased = {}  # local name -> (address, where) from revaliases

    def run(self):
        host, port = self.mailhub()
        self.login()
        self.certificates()
        self.hostname()
        main = self.make_account(host, port, self.s["MailHub"].where)
        self.conv.default = main.name
        self.sender_domain()
        self.report()
        self.revaliases(main, host, port)
        self.root_alias()
        if not self.conv.bare_senders_qualified():
            self.qualify_somehow()
        return self.conv

    def mailhub(self):
        s = self.s
        hub = s.get("MailHub")
        if hub is None or not hub.arg:
            raise Failure(EX_DATAERR, f"{self.path}: no mailhub= line: there is no server to "
                                      "convert")
        port = 25
        remote_port = s.get("RemotePort")
        if remote_port is not None:
            if port_number(remote_port.arg) is None:
                raise Failure(EX_DATAERR, f'{remote_port.where}: "{remote_port.arg}" is not a '
                                          "port")
            port = int(remote_port.arg)
        return parse_hub(hub.arg, hub.where, port)

    def login(self):
        s, conv, common = self.s, self.conv, self.common
        user, password = s.get("AuthUser"), s.get("AuthPass")
        if self.logs_in:
            common["user"] = user.arg
            if password is not None and password.arg:
                common["password"] = password.arg
                conv.warn(password.where, "the password is written inline, as it was: okuru "
                                          "requires the file to be private (chmod 600); "
                                          "password_file or password_command would keep it out "
                                          "of the configuration")
            else:
                conv.warn(user.where, "AuthUser without AuthPass: okuru needs a password "
                                      "source; add password_file or password_command")
        elif password is not None and password.arg:
            conv.warn(password.where, "AuthPass without AuthUser: ssmtp did not log in; not "
                                      "converted")
        method = s.get("AuthMethod")
        if method is not None and method.arg:
            if self.logs_in and valid_mechanism(method.arg):
                common["auth"] = [method.arg.upper()]
            elif self.logs_in:
                conv.warn(method.where, f'AuthMethod "{method.arg}" is not a SASL mechanism '
                                        "name: not converted (okuru chooses)")

    def certificates(self):
        """Kept in self.files, checked for each account: (values, files needing them)."""
        s, conv = self.s, self.conv
        ca_file, ca_dir = s.get("TLS_CA_File"), s.get("TLS_CA_Dir")
        if ca_file is not None and ca_file.arg and not is_system_ca_file(ca_file.arg):
            self.files.append(({"ca_file": ca_file.arg, "system_trust": False},
                               [(ca_file.arg, ca_file.where, "TLS_CA_File")]))
        if ca_dir is not None and ca_dir.arg and not is_system_ca_dir(ca_dir.arg):
            conv.warn(ca_dir.where, f'TLS_CA_Dir "{ca_dir.arg}" not converted: okuru takes one '
                                    "PEM file (ca_file) besides the system CAs")
        use = s.get("UseTLSCert")
        if ssmtp_yes(use):
            cert, key = s.get("TLSCert"), s.get("TLSKey")
            if cert is not None and cert.arg:
                cert_path, cert_where = cert.arg, cert.where
            else:
                cert_path, cert_where = "/etc/ssl/certs/ssmtp.pem", use.where  # ssmtp's default
            values = {"client_cert": cert_path}
            files = [(cert_path, cert_where, "TLSCert")]
            if key is not None and key.arg:
                values["client_key"] = key.arg
                files.append((key.arg, key.where, "TLSKey"))
            self.files.append((values, files))

    def hostname(self):
        hostname = self.s.get("HostName")
        if hostname is not None and hostname.arg:
            if valid_domain(hostname.arg):
                self.common["ehlo"] = hostname.arg
            else:
                self.conv.warn(hostname.where, f'hostname "{hostname.arg}" is not a name okuru '
                                               "can send in EHLO: not converted")

    def make_account(self, hub_host, hub_port, where):
        conv = self.conv
        account = conv.add_account(name_from_host(hub_host), where)
        values = account.values
        values["host"] = hub_host
        values["port"] = hub_port
        if self.use_tls and self.use_starttls and hub_port == 465:
            values["tls"] = "implicit"
            conv.warn(where, "ssmtp spoke STARTTLS on port 465 (UseSTARTTLS=YES); okuru "
                             "uses implicit TLS there, as the port expects", account)
        elif self.use_tls:
            values["tls"] = "starttls" if self.use_starttls else "implicit"
        elif self.logs_in:
            conv.plaintext_login(account, where, "ssmtp",
                                 "ssmtp used no TLS (UseTLS/UseSTARTTLS not YES), but logs in")
        else:
            values["tls"] = "none"
            conv.note(f"{where}: ssmtp used no TLS here; tls = \"none\" keeps that (nothing "
                      "secret is sent)", account)
        values.update(self.common)
        for file_values, files in self.files:
            conv.set_file(account, file_values, *files)
        if self.use_tls:
            conv.note("ssmtp did not verify the server's certificate; okuru does. If the "
                      "server's certificate is self-signed, pin it with fingerprint = "
                      f'"..." (okuru --serverinfo -a {account.name} shows it)', account)
        if hub_port == 25 and values["tls"] != "none":
            conv.note("port 25 is often blocked for home connections (OP25B); if the server "
                      "offers submission, port = 587 is the better choice", account)
        return account

    def sender_domain(self):
        s, conv = self.s, self.conv
        rewrite, hostname = s.get("RewriteDomain"), s.get("HostName")
        if rewrite is not None and rewrite.arg:
            if valid_fqdn(rewrite.arg):
                conv.set_top("domain", rewrite.arg.lower(), rewrite.where)
            else:
                conv.warn(rewrite.where, f'rewriteDomain "{rewrite.arg}" is not a fully '
                                         "qualified domain: not converted")
        elif hostname is not None and valid_fqdn(hostname.arg):
            conv.set_top("domain", hostname.arg.lower(), hostname.where)
            conv.note(f"{hostname.where}: no rewriteDomain: ssmtp qualified bare names with "
                      "hostname, and so does domain here")
        override = s.get("FromLineOverride")
        if not ssmtp_yes(override):
            message = ("ssmtp replaced each sender with user@rewriteDomain (FromLineOverride "
                       "not YES); okuru keeps the sender given with -f or in From: "
                       "(envelope_from and from_header in an account force one address)")
            if override is not None:
                conv.warn(override.where, message)
            else:
                conv.note(message)

    def root_alias(self):
        """root=: where ssmtp sent mail for system accounts, qualified with
        rewriteDomain (or hostname) as ssmtp did. revaliases, the sender mapping,
        comes first in the alias: okuru gives a bare sender its alias's first
        address (and sends mail for root to every address of the alias)."""
        root, conv = self.s.get("Root"), self.conv
        if root is None or not root.arg:
            return
        target = root.arg
        domain = conv.top.get("domain")
        if "@" not in target and domain:
            target = f"{target}@{domain}"
        entry = conv.aliases.get("root")  # from revaliases, if any
        sender = (entry[1][0], entry[2]) if entry else None
        if sender is None:
            conv.add_alias("root", [target], root.where)
            conv.note(f"{root.where}: ssmtp sent mail for every system account (UID < 1000) "
                      f"to {target}; okuru's [aliases] lists names one by one (add others, "
                      'or "*" for every local name)')
            if "@" in target and domain and target != f"root@{domain}":
                conv.warn(root.where, f"mail from root now leaves from {target} (the alias "
                                      f"root), where ssmtp used root@{domain}")
        elif "@" not in target:
            conv.warn(root.where, f'root={root.arg} not converted: "{root.arg}" has no domain '
                                  "and none is known (no rewriteDomain, no fully qualified "
                                  f"hostname); mail for root goes to {sender[0]}, root's "
                                  "address in revaliases")
        elif target != sender[0]:
            conv.aliases["root"] = ("root", [sender[0], target], sender[1])
            conv.warn(root.where, f"alias root = [{sender[0]}, {target}]: root's mail leaves "
                                  f"from {sender[0]} (revaliases), as with ssmtp, and mail for "
                                  f"root goes to {target} (root=) and, unlike ssmtp, to "
                                  f"{sender[0]} too")

    def qualify_somehow(self):
        """No domain and no "*": ssmtp sent bare names as name@hostname; okuru needs
        a real domain or an address for them."""
        conv, hostname = self.conv, self.s.get("HostName")
        if hostname is None or not hostname.arg:
            host = os.environ.get("HOSTNAME") or socket.gethostname()
            fqdn = socket.getfqdn(host).lower()
            if valid_fqdn(fqdn) and not fqdn.startswith("localhost"):
                conv.set_top("domain", fqdn, conv.source)
                conv.warn(conv.source, f'domain = "{fqdn}": ssmtp qualified bare senders with '
                                       "this host's name (no rewriteDomain, no hostname)")
                return
        user = self.s.get("AuthUser")
        candidates = [(a, w) for a, w in self.revaliased.values()]
        if user is not None:
            candidates.append((user.arg, user.where))
        for address, where in candidates:
            if valid_address(address):
                conv.add_alias("*", [address], where)
                conv.warn(where, f'[aliases] "*" = "{address}": ssmtp qualified bare names with '
                                 "a hostname that is not a domain, and okuru needs an address "
                                 "for them (senders and recipients alike)")
                return
        conv.warn(self.path, "no rewriteDomain and no fully qualified hostname: set domain = "
                             "..., or okuru sends bare names such as root unqualified")

    def report(self):
        s, conv = self.s, self.conv
        for key, why in (("Debug", "use okuru -v (or -X FILE) to see the dialogue"),
                         ("UseOldAuth", "okuru chooses the login mechanism itself"),
                         ("AddHeader", "okuru does not add headers")):
            if s.get(key) is not None and (key != "Debug" or ssmtp_yes(s[key])):
                conv.warn(s[key].where, f"{key} not converted: {why}")
        for key in ("TLSCert", "TLSKey"):
            if s.get(key) is not None and not ssmtp_yes(s.get("UseTLSCert")):
                conv.warn(s[key].where, f"{key} not converted: UseTLSCert is not YES, so ssmtp "
                                        "did not use it")

    def revaliases(self, main, host, port):
        """The sender address (an alias, which okuru also applies to bare senders)
        and, when it differs, the server for that user."""
        conv = self.conv
        path = os.path.join(os.path.dirname(self.path), "revaliases")
        if not os.path.exists(path):
            return
        conv.source += f" and {path}"
        text = read_text(path, "ssmtp revaliases", comment_anywhere)
        by_hub = {(host, port): main}
        for no, raw in enumerate(text.split("\n"), 1):
            where = f"{path}:{no}"
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            fields = [f.strip() for f in line.split(":")]
            if len(fields) < 2 or not fields[0] or not fields[1]:
                conv.warn(where, 'not "local:address[:mailhub[:port]]": left out')
                continue
            local, address = fields[0], fields[1]
            conv.add_alias(local, [address], where)
            self.revaliased.setdefault(local.lower(), (address, where))
            if len(fields) >= 3 and fields[2]:
                account = self.revalias_account(fields, port, where, by_hub, local)
                if account is not main and valid_address(address):
                    patterns = account.values.setdefault("from", [])
                    if address not in patterns:
                        patterns.append(address)
        if conv.aliases:
            conv.note(f"{path}: its addresses are aliases here: okuru gives a bare "
                      "sender (root) the first address of its alias, and also sends mail "
                      "for that name there")

    def revalias_account(self, fields, port, where, by_hub, local):
        hub_port = port
        if len(fields) >= 4 and fields[3]:
            if port_number(fields[3]) is None:
                raise Failure(EX_DATAERR, f'{where}: "{fields[3]}" is not a port')
            hub_port = int(fields[3])
        if not valid_host(fields[2]):
            raise Failure(EX_DATAERR, f'{where}: "{fields[2]}" is not a host name')
        key = (fields[2], hub_port)
        if key not in by_hub:
            by_hub[key] = self.make_account(fields[2], hub_port, where)
            self.conv.note(f"{where}: ssmtp used this server for mail sent by {local}, "
                           "with the same login as the mailhub", by_hub[key])
        return by_hub[key]


def convert_ssmtp(path):
    return SsmtpConversion(path).run()
