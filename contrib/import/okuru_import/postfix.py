"""Postfix -> okuru: main.cf (relayhost and the smtp_* client settings) and
the tables it names (postfix_tables.py reads them). Each relay, and each
login on it, becomes an account; sender-dependent relays give from patterns,
transport entries [routes], alias_maps [aliases]."""

import re

from .inputs import name_from_host
from .model import EX_DATAERR, Conversion, Failure
from .postfix_tables import (Nexthop, PostfixParams, PostfixTables, postfix_duration,
                             split_list)
from .validate import (is_system_ca_dir, is_system_ca_file, sha256_fingerprint, valid_address,
                       valid_domain, valid_ehlo, valid_fqdn, valid_mechanism)

POSTFIX_UNMAPPED = {
    "smtp_tls_session_cache_database": "okuru keeps no TLS session cache (one connection "
                                       "per submission)",
    "smtp_tls_loglevel": "okuru -v shows the TLS details",
    "smtp_tls_policy_maps": "per-destination TLS policies: set tls in each account by hand",
    "smtp_tls_protocols": "okuru's tls_priority (a GnuTLS priority string) sets protocols",
    "smtp_tls_mandatory_protocols": "okuru's tls_priority (a GnuTLS priority string) sets "
                                    "protocols",
    "smtp_tls_ciphers": "okuru's tls_priority (a GnuTLS priority string) sets ciphers",
    "smtp_tls_mandatory_ciphers": "okuru's tls_priority (a GnuTLS priority string) sets ciphers",
    "smtp_tls_exclude_ciphers": "okuru's tls_priority (a GnuTLS priority string) sets ciphers",
    "smtp_tls_note_starttls_offer": "okuru -v shows what the server offers",
    "smtp_sasl_security_options": "okuru picks the strongest mechanism the server offers and "
                                  "never sends a password without TLS",
    "smtp_sasl_tls_security_options": "okuru picks the strongest mechanism the server offers",
    "smtp_sasl_type": "okuru uses GNU SASL",
    "smtp_sasl_path": "okuru uses GNU SASL",
    "smtp_bind_address": "okuru does not bind to a source address",
    "smtp_bind_address6": "okuru does not bind to a source address",
    "smtp_generic_maps": "okuru does not rewrite addresses (aliases apply to bare names only)",
    "sender_canonical_maps": "okuru does not rewrite addresses (envelope_from and "
                             "from_header force one address per account)",
    "canonical_maps": "okuru does not rewrite addresses",
    "masquerade_domains": "okuru does not rewrite addresses",
    "sender_dependent_default_transport_maps": "translate it into accounts with from "
                                               "patterns by hand",
    "relay_transport": "okuru relays everything through its accounts",
    "default_transport": "okuru relays everything through its accounts",
    "smtp_header_checks": "okuru does not filter headers",
    "smtp_body_checks": "okuru does not filter bodies",
    "smtp_mime_header_checks": "okuru does not filter headers",
    "smtp_nested_header_checks": "okuru does not filter headers",
    "smtp_dns_support_level": "okuru resolves the host with the system resolver",
}
# Values that ask for what okuru does anyway: nothing to report.
POSTFIX_SAME_AS_OKURU = {
    "smtp_sasl_security_options": {"noanonymous"},
    "smtp_sasl_tls_security_options": {"noanonymous", "$smtp_sasl_security_options"},
    "smtp_tls_loglevel": {"0"},
    "smtp_tls_note_starttls_offer": {"no"},
    "smtp_tls_wrappermode": {"no"},
}
# Not about the SMTP client: reported together, as one line.
POSTFIX_RELEVANT = re.compile(r"smtp_|relay_transport|sender_dependent|transport_maps|"
                              r"default_transport|fallback_relay|sender_canonical|canonical_maps|"
                              r"masquerade")
# Parameters this module reads: never reported.
POSTFIX_HANDLED = {
    "relayhost", "smtp_fallback_relay", "fallback_relay", "smtp_sasl_auth_enable",
    "smtp_sasl_password_maps", "smtp_sender_dependent_authentication",
    "sender_dependent_relayhost_maps", "transport_maps", "smtp_tls_security_level",
    "smtp_use_tls", "smtp_enforce_tls", "smtp_tls_wrappermode",
    "smtp_sasl_mechanism_filter", "smtp_tls_CAfile", "smtp_tls_CApath",
    "tls_append_default_CA", "smtp_tls_cert_file", "smtp_tls_key_file",
    "smtp_tls_fingerprint_digest", "smtp_tls_fingerprint_cert_match",
    "smtp_helo_name", "smtp_connect_timeout", "myorigin", "mydomain", "myhostname",
    "alias_maps", "alias_database", "smtp_tls_verify_cert_match",
    "smtp_tls_secure_cert_match"}


class PostfixBuilder:
    """Accounts from next hops and credentials, shared by relayhost, sender-dependent
    relays and transport entries."""

    def __init__(self, conv, params, tables):
        self.conv = conv
        self.p = params
        self.by_key = {}
        self.sasl = {}
        self.sasl_static = None  # (user:password, where) of a static: table: every next hop
        self.inline = {}   # table -> accounts whose password came from it
        self.files = []    # ({key: value}, [(path, where, what)]) for every account
        self.sasl_enabled = params.yes("smtp_sasl_auth_enable")
        self.load_credentials(tables)
        self.level, self.level_where = self.tls_level()
        self.wrapper = params.yes("smtp_tls_wrappermode")
        self.mechanisms = self.mechanism_filter()
        self.account_extras = self.tls_files()
        self.helo_and_timeout()
        self.default_tls_notes()

    def load_credentials(self, tables):
        params, conv = self.p, self.conv
        if self.sasl_enabled:
            if params.get("smtp_sasl_password_maps"):
                for key, value, where in tables.load("smtp_sasl_password_maps",
                                                     static_ok=True):
                    self.sasl[key.lower()] = (value, where)
                self.sasl_static = tables.fallbacks.get("smtp_sasl_password_maps")
            else:
                conv.warn(params.where("smtp_sasl_auth_enable"),
                          "smtp_sasl_auth_enable = yes but no smtp_sasl_password_maps: "
                          "there are no credentials to convert")
        elif params.get("smtp_sasl_password_maps"):
            conv.warn(params.where("smtp_sasl_password_maps"),
                      "smtp_sasl_password_maps not converted: smtp_sasl_auth_enable is not "
                      "yes, so Postfix did not log in")

    def helo_and_timeout(self):
        params, conv = self.p, self.conv
        helo = params.get("smtp_helo_name") if params.has("smtp_helo_name") else ""
        if helo:
            if valid_ehlo(helo):
                self.account_extras["ehlo"] = helo
            else:
                conv.warn(params.where("smtp_helo_name"), f'smtp_helo_name "{helo}" is not a '
                                                          "name okuru can send: not converted")
        if params.has("smtp_connect_timeout"):
            seconds = postfix_duration(params.get("smtp_connect_timeout"))
            if seconds and seconds <= 86400:
                self.account_extras["connect_timeout"] = seconds
            else:
                conv.warn(params.where("smtp_connect_timeout"), "smtp_connect_timeout not "
                                                                "converted: not 1 to 86400 seconds")

    def tls_level(self):
        p = self.p
        if p.has("smtp_tls_security_level") and p.get("smtp_tls_security_level"):
            return p.get("smtp_tls_security_level").lower(), p.where("smtp_tls_security_level")
        if p.yes("smtp_enforce_tls"):
            return "encrypt", p.where("smtp_enforce_tls")
        if p.yes("smtp_use_tls"):
            return "may", p.where("smtp_use_tls")
        return "none", p.where("smtp_tls_security_level")

    def default_tls_notes(self):
        where = self.level_where
        if self.level == "may":
            self.conv.warn(where, 'smtp_tls_security_level = may became tls = "starttls": '
                                  "okuru never falls back to plain text, so a server without "
                                  "STARTTLS now fails instead of receiving mail in clear")
        elif self.level == "encrypt":
            self.conv.warn(where, "smtp_tls_security_level = encrypt did not verify the "
                                  "server's certificate; okuru does (pin a self-signed one "
                                  'with fingerprint = "...")')
        elif self.level in ("dane", "dane-only"):
            self.conv.warn(where, f"smtp_tls_security_level = {self.level} not converted: "
                                  "okuru does not use DANE; it verifies the certificate "
                                  "against the CAs")
        elif self.level not in ("none", "verify", "secure", "fingerprint"):
            raise Failure(EX_DATAERR, f'{where}: unknown smtp_tls_security_level "{self.level}"')
        for name in ("smtp_tls_verify_cert_match", "smtp_tls_secure_cert_match"):
            if self.p.has(name):
                self.conv.warn(self.p.where(name), f"{name} not converted: okuru checks the "
                                                   "certificate against the account's host")

    def mechanism_filter(self):
        p = self.p
        value = p.get("smtp_sasl_mechanism_filter")
        if not value:
            return None
        names = split_list(value)
        if all(valid_mechanism(n) for n in names):
            return [n.upper() for n in names]
        self.conv.warn(p.where("smtp_sasl_mechanism_filter"),
                       "smtp_sasl_mechanism_filter with exclusions, files or tables not "
                       "converted: okuru's auth is a plain list of mechanism names")
        return None

    def tls_files(self):
        """Keys every account gets; the ones naming files go to self.files, checked
        for each account."""
        p = self.p
        extras = {}
        ca_file = p.get("smtp_tls_CAfile")
        ca_path = p.get("smtp_tls_CApath")
        system_dir = is_system_ca_dir(ca_path)
        if ca_path and not system_dir:
            self.conv.warn(p.where("smtp_tls_CApath"), f'smtp_tls_CApath "{ca_path}" not '
                                                       "converted: okuru takes one PEM file "
                                                       "(ca_file) besides the system CAs")
        if ca_file and not is_system_ca_file(ca_file):
            values = {"ca_file": ca_file}
            if not system_dir and not p.yes("tls_append_default_CA"):
                values["system_trust"] = False
            self.files.append((values, [(ca_file, p.where("smtp_tls_CAfile"),
                                         "smtp_tls_CAfile")]))
        cert, key = p.get("smtp_tls_cert_file"), p.get("smtp_tls_key_file")
        if cert:
            values = {"client_cert": cert}
            files = [(cert, p.where("smtp_tls_cert_file"), "smtp_tls_cert_file")]
            if key and key != cert:
                values["client_key"] = key
                files.append((key, p.where("smtp_tls_key_file"), "smtp_tls_key_file"))
            self.files.append((values, files))
        if self.level == "fingerprint":
            self.pinned_fingerprint(extras)
        return extras

    def pinned_fingerprint(self, extras):
        p = self.p
        digest = p.get("smtp_tls_fingerprint_digest", "sha256").lower()
        match = split_list(p.get("smtp_tls_fingerprint_cert_match"))
        fp = sha256_fingerprint(match[0]) if digest == "sha256" and len(match) == 1 else None
        if fp:
            extras["fingerprint"] = fp
        else:
            self.conv.warn(self.level_where,
                           "fingerprint level not converted: okuru pins one SHA-256 "
                           "certificate fingerprint (okuru --serverinfo shows it); the "
                           "certificate is verified against the CAs instead")

    def credentials(self, keys):
        """(user, password, where) for the first key with an entry, else None."""
        for key in keys:
            if key.lower() in self.sasl:
                return self.split_credentials(*self.sasl[key.lower()], f"the entry for {key}")
        if self.sasl_static is not None:
            return self.split_credentials(*self.sasl_static, "the static: table")
        return None

    @staticmethod
    def split_credentials(value, where, what):
        user, colon, password = value.partition(":")
        if not colon or not user:
            raise Failure(EX_DATAERR, f'{where}: not "user:password" ({what})')
        return user, password, where

    def account(self, hop, creds, where, wanted=None):
        key = (hop.host.lower(), hop.port, creds[0] if creds else None,
               creds[1] if creds else None)
        if key in self.by_key:
            return self.by_key[key]
        account = self.conv.add_account(wanted or name_from_host(hop.host), where)
        self.by_key[key] = account
        account.values["host"] = hop.host
        account.values["port"] = hop.port
        self.tls_mode(account, hop, creds, where)
        self.login(account, hop, creds)
        account.values.update(self.account_extras)
        for values, files in self.files:
            self.conv.set_file(account, values, *files)
        self.hop_warnings(account, hop, where)
        return account

    def tls_mode(self, account, hop, creds, where):
        conv, values = self.conv, account.values
        if self.wrapper or hop.port == 465:
            values["tls"] = "implicit"
            if not self.wrapper:
                conv.warn(where, f"{hop.text}: Postfix spoke STARTTLS on port 465 "
                                 "(smtp_tls_wrappermode is not yes); okuru uses implicit TLS "
                                 "there, as the port expects", account)
        elif self.level == "none" and creds:
            conv.plaintext_login(account, self.level_where, "Postfix",
                                 "Postfix used no TLS (smtp_tls_security_level none or "
                                 "unset), but logs in")
        elif self.level == "none":
            values["tls"] = "none"
            conv.note(f'{self.level_where}: Postfix used no TLS; tls = "none" keeps that '
                      "(nothing secret is sent)", account)
        else:
            values["tls"] = "starttls"

    def login(self, account, hop, creds):
        conv, values = self.conv, account.values
        if creds:
            values["user"], values["password"] = creds[0], creds[1]
            conv.note(f"{creds[2]}: the password is written inline, as in the table", account)
            table = creds[2].rsplit(":", 1)[0]
            self.inline.setdefault(table, []).append(account.name)
            if self.mechanisms:
                values["auth"] = list(self.mechanisms)
        elif self.sasl_enabled:
            conv.note(f"no entry for {hop.text} in smtp_sasl_password_maps: Postfix did not "
                      "log in here, and neither does okuru", account)

    def hop_warnings(self, account, hop, where):
        if hop.mx:
            self.conv.warn(where, f"{hop.text}: without [brackets] Postfix looked up the MX "
                                  f"records of {hop.host}; okuru connects to {hop.host} itself "
                                  "(put the server's name there if it is a mail domain)",
                           account)
        if not hop.explicit_port:
            self.conv.warn(where, f"{hop.text}: no port, so Postfix used 25 and so does this "
                                  "file; many networks block outgoing port 25 (OP25B): if the "
                                  "server offers submission, use port = 587", account)


def sender_pattern(key):
    local, at, domain = key.rpartition("@")
    if not at:
        return None
    if not local and valid_domain(domain):
        return f"*@{domain.lower()}"
    if valid_address(key):
        return key
    return None


class PostfixConversion:
    """main.cf, step by step: relays, sender-dependent relays and logins,
    transports, the sender domain, aliases, and the report of the rest."""

    def __init__(self, main_cf):
        self.main_cf = main_cf
        self.params = PostfixParams(main_cf)
        self.conv = Conversion("postfix", main_cf)
        for no in self.params.bad_lines:
            self.conv.warn(f"{main_cf}:{no}", 'not "name = value": left out')
        self.tables = PostfixTables(self.conv, self.params)
        self.build = PostfixBuilder(self.conv, self.params, self.tables)
        self.relays = []
        self.default = None

    def run(self):
        params = self.params
        self.relays = [Nexthop(t, params.where("relayhost"))
                       for t in split_list(params.get("relayhost"))]
        fallbacks = [Nexthop(t, params.where("smtp_fallback_relay"))
                     for t in split_list(params.get("smtp_fallback_relay", "$fallback_relay"))]
        sender_relays = self.tables.load("sender_dependent_relayhost_maps")
        sda = self.sender_dependent_authentication()
        self.relayhost(fallbacks, sender_relays)
        self.sender_dependent(sender_relays, sda)
        self.transports(sender_relays)
        self.inline_password_warnings()
        self.sender_domain()
        params.get("mydomain")
        params.get("myhostname")
        convert_postfix_aliases(self.conv, self.tables.load("alias_maps", "hash:/etc/aliases",
                                                            aliases=True))
        self.report_the_rest()
        return self.conv

    def sender_dependent_authentication(self):
        params = self.params
        sda = params.yes("smtp_sender_dependent_authentication")
        if sda and not self.build.sasl_enabled:
            self.conv.warn(params.where("smtp_sender_dependent_authentication"),
                           "smtp_sender_dependent_authentication not converted: SASL is not "
                           "enabled")
            return False
        return sda

    def relayhost(self, fallbacks, sender_relays):
        params, conv, build = self.params, self.conv, self.build
        if self.relays:
            main = self.relays[0]
            self.default = build.account(main, build.credentials(main.lookup_keys()),
                                         params.where("relayhost"))
            extra = self.relays[1:] + fallbacks
            if extra:
                self.default.values["fallback"] = [h.okuru_form() for h in extra]
                conv.note("fallback servers use this account's login and TLS settings",
                          self.default)
            conv.default = self.default.name
        elif not sender_relays:
            raise Failure(EX_DATAERR, f"{self.main_cf}: relayhost is empty: this Postfix "
                                      "delivers straight to each recipient's MX host, which "
                                      "okuru does not do (it hands mail to one submission "
                                      "server). Set relayhost, or write the okuru configuration "
                                      "by hand")
        elif fallbacks:
            conv.warn(params.where("smtp_fallback_relay"), "smtp_fallback_relay not converted: "
                                                           "there is no relayhost to fall back "
                                                           "from")

    def add_sender(self, account, key, where):
        pattern = sender_pattern(key)
        if pattern is None:
            self.conv.warn(where, f'sender "{key}" not converted: okuru matches senders as '
                                  "me@example.org or *@example.org", account)
            return
        patterns = account.values.setdefault("from", [])
        if pattern not in patterns:
            patterns.append(pattern)

    def sender_dependent(self, sender_relays, sda):
        """Sender-dependent relays, and credentials (smtp_sender_dependent_authentication)."""
        conv, build = self.conv, self.build
        seen_senders = set()
        for key, value, where in sender_relays:
            seen_senders.add(key.lower())
            if value.upper() == "DUNNO":
                if self.default is None:
                    conv.warn(where, f"{key}: DUNNO, but there is no relayhost: left out")
                    continue
                hop = self.relays[0]
            else:
                hop = Nexthop(value, where)
            creds = (sda and build.credentials([key])) or build.credentials(hop.lookup_keys())
            self.add_sender(build.account(hop, creds, where), key, where)
        if not sda:
            return
        for key, (_, where) in build.sasl.items():
            if "@" not in key or key in seen_senders:
                continue
            if self.default is None:
                conv.warn(where, f"credentials for sender {key}, but there is no relayhost: "
                                 "left out")
                continue
            self.add_sender(build.account(self.relays[0], build.credentials([key]), where),
                            key, where)

    def transports(self, sender_relays):
        """transport(5) entries that name an SMTP relay become [routes]."""
        conv, build = self.conv, self.build
        for key, value, where in self.tables.load("transport_maps"):
            transport, colon, nexthop = value.partition(":")
            if not colon:
                transport, nexthop = value, ""
            if transport not in ("smtp", "relay", "") or not nexthop.strip():
                conv.warn(where, f'transport "{key} {value}" not converted: okuru routes a '
                                 "domain to an account (an SMTP relay) only")
                continue
            if key.startswith("."):
                domain = "*" + key
            elif "@" not in key and key != "*":
                domain = key
            else:
                conv.warn(where, f'transport key "{key}" not converted: okuru routes by '
                                 "recipient domain only")
                continue
            if not valid_domain(domain.removeprefix("*.")):
                conv.warn(where, f'transport key "{key}" is not a domain: not converted')
                continue
            hop = Nexthop(nexthop, where)
            account = build.account(hop, build.credentials(hop.lookup_keys()), where)
            conv.routes[domain.lower()] = account.name
        if conv.routes and sender_relays:
            conv.warn(self.params.where("transport_maps"),
                      "both transport_maps and sender-dependent relays are converted: in "
                      "Postfix a transport entry wins over the sender's relay, in okuru a from "
                      "pattern wins over [routes]; check the messages that match both")

    def inline_password_warnings(self):
        for table, names in self.build.inline.items():
            self.conv.warn(table, "passwords are written inline, as in the table (accounts "
                                  f"{', '.join(names)}): okuru requires the file to be private "
                                  "(chmod 600); password_file or password_command would keep "
                                  "them out of the configuration")

    def sender_domain(self):
        """Postfix qualifies bare senders with myorigin (by default $myhostname)."""
        params, conv = self.params, self.conv
        origin_param = "myorigin" if params.has("myorigin") else "myhostname"
        origin = params.get("myorigin", "$myhostname").strip()
        origin_where = params.where(origin_param)
        if origin.startswith("/"):
            try:
                with open(origin, encoding="utf-8") as f:
                    origin = f.readline().strip()
            except OSError as e:
                conv.warn(origin_where, f"{origin_param} names {origin}, which cannot be read "
                                        f"({e.strerror}): no domain")
                origin = ""
        if origin and valid_fqdn(origin):
            conv.set_top("domain", origin.lower(), origin_where)
            if not params.has(origin_param):
                conv.warn(self.main_cf, f'domain "{origin.lower()}" is this host\'s name, which '
                                        "Postfix used by default for bare senders (myorigin = "
                                        "$myhostname)")
        elif origin:
            conv.warn(origin_where, f'{origin_param} "{origin}" is not a fully qualified '
                                    "domain: no domain written (bare names such as root need "
                                    "one)")

    def report_the_rest(self):
        """Everything else in main.cf is reported."""
        conv, params, main_cf = self.conv, self.params, self.main_cf
        elsewhere = []
        for name, (value, no) in params.raw.items():
            if name in POSTFIX_HANDLED or value in POSTFIX_SAME_AS_OKURU.get(name, ()):
                continue
            if name in POSTFIX_UNMAPPED:
                conv.warn(f"{main_cf}:{no}", f"{name} not converted: {POSTFIX_UNMAPPED[name]}")
            elif POSTFIX_RELEVANT.match(name):
                conv.warn(f"{main_cf}:{no}", f"{name} not converted: okuru has no counterpart")
            elif name not in params.used:
                elsewhere.append(f"{name} (line {no})")
        if elsewhere:
            conv.warn(main_cf, "not converted, as they are about receiving or delivering mail "
                               "here rather than relaying it: " + ", ".join(elsewhere))


def convert_postfix(main_cf):
    return PostfixConversion(main_cf).run()


def convert_postfix_aliases(conv, entries):
    """aliases(5): local names to addresses; chains of local names are followed here,
    since okuru does not look alias targets up again."""
    table = {key.lower(): (key, [t.strip() for t in value.split(",") if t.strip()], where)
             for key, value, where in entries}

    def resolve(name, chain):
        out = []
        where = table[name][2]
        for target in table[name][1]:
            t = target.strip('"')
            if t.startswith(("|", "/", ":include:")):
                conv.warn(where, f"alias {table[name][0]}: {t.split()[0]} (a program, file or "
                                 "include) not converted: okuru only forwards to addresses")
            elif "@" not in t and t.lower() in chain:
                conv.warn(where, f"alias {table[name][0]}: {t} (a copy kept in the local "
                                 "mailbox) not converted: okuru has no local mailboxes")
            elif "@" not in t and t.lower() in table:
                out += resolve(t.lower(), chain | {t.lower()})
            else:
                out.append(t)
        return out

    for key, (name, _, where) in table.items():
        targets = resolve(key, {key})
        if targets:
            conv.add_alias(name, list(dict.fromkeys(targets)), where)
