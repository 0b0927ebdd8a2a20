"""Checks that mirror okuru's own (src/config/config_values.cpp), so that what
okuru-import writes is what okuru accepts; and the facts about trust stores and
fingerprints that decide how a TLS setting is carried over."""

import os
import re


def _ascii_name_char(c):
    return c.isascii() and (c.isalnum() or c in "-._")


def valid_domain(s):
    if not s or len(s) > 253 or s[0] == "." or s[-1] == "." or ".." in s:
        return False
    return all(_ascii_name_char(c) or ord(c) >= 0x80 for c in s)


def valid_fqdn(s):
    return valid_domain(s) and "." in s


def valid_host(s):
    if valid_domain(s):
        return True
    return ":" in s and all(c.isascii() and (c.isalnum() or c in ":.%") for c in s)


def valid_local(s):
    if not s or len(s) > 64 or s[0] == "-":
        return False
    return not any(ord(c) <= 0x20 or ord(c) == 0x7F or c in '<>@,"' for c in s)


def valid_address(s):
    at = s.rfind("@")
    return at > 0 and len(s) <= 256 and valid_local(s[:at]) and valid_domain(s[at + 1:])


def valid_ehlo(s):
    """A name okuru can send in EHLO: a domain or an address literal."""
    return valid_domain(s) or bool(re.fullmatch(r"\[[0-9A-Fa-f:.]+\]", s))


def valid_mechanism(s):
    return bool(re.fullmatch(r"[A-Za-z0-9_-]{1,20}", s))


def is_ip_address(s):
    return bool(re.fullmatch(r"[0-9.]+", s)) or ":" in s


def is_loopback(host):
    """A server on this machine (127.0.0.0/8, ::1, localhost): a local bridge such
    as ProtonMail Bridge or DavMail, where a password in clear never leaves it."""
    host = host.lower().strip("[]")
    return host in ("localhost", "localhost.localdomain", "ip6-localhost", "::1") or \
        bool(re.fullmatch(r"127(\.\d{1,3}){3}", host))


def port_number(text):
    """The port as an int, or None when the text is not one (1 to 65535)."""
    text = text.strip()
    return int(text) if text.isdigit() and 0 < int(text) < 65536 else None


# CA bundles that are some system's trust store (Debian and Alpine, Fedora and
# RHEL, openSUSE, Arch, NixOS, the BSDs, macOS with Homebrew or MacPorts,
# Termux, Cygwin): a configuration copied from one of them names "the system
# CAs" in that system's words, which is okuru's default (system_trust = true).
SYSTEM_CA_FILES = {
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/usr/local/share/certs/ca-root-nss.crt",
}
SYSTEM_CA_PATTERNS = [re.compile(p) for p in (
    r"/etc/ssl/certs/ca-(certificates|bundle)\.crt",
    r"/etc/ssl/(cert|certs|ca-bundle)\.pem",
    r"/etc/pki/tls/(cert\.pem|certs/ca-bundle(\.trust)?\.crt)",
    r"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle\.pem",
    r"/etc/ca-certificates/extracted/tls-ca-bundle\.pem",
    r"/etc/(static/)?ssl/certs/ca-(bundle|certificates)\.crt",
    r"/usr/local/share/certs/ca-root-nss\.crt",
    r"/usr/local/etc/ssl/cert\.pem",
    r"/usr/(share/)?ssl/certs/ca-bundle\.crt",
    r"(/usr/local|/opt/homebrew|/home/linuxbrew/\.linuxbrew)/etc/"
    r"(openssl(@[0-9.]+)?|ca-certificates)/cert\.pem",
    r"/opt/local/etc/openssl/cert\.pem",
    r"/opt/local/share/curl/curl-ca-bundle\.crt",
    r"/data/data/com\.termux/files/usr/etc/tls/cert\.pem",
)]
SYSTEM_CA_DIRS = {"/etc/ssl/certs", "/etc/pki/tls/certs", "/etc/ssl/certs/"}


def is_system_ca_file(path):
    """Whether path names a system's CA bundle, this one's or another's."""
    if path in SYSTEM_CA_FILES or any(p.fullmatch(os.path.normpath(path))
                                      for p in SYSTEM_CA_PATTERNS):
        return True
    return os.path.realpath(os.path.expanduser(path)) in {
        os.path.realpath(p) for p in SYSTEM_CA_FILES}


def is_system_ca_dir(path):
    return path.rstrip("/") in {d.rstrip("/") for d in SYSTEM_CA_DIRS}


def sha256_fingerprint(text):
    """'AB:CD:...' or 'abcd...' -> 'AB:CD:...' when it is 32 bytes, else None."""
    hexdigits = re.sub(r"[: ]", "", text)
    if not re.fullmatch(r"[0-9A-Fa-f]{64}", hexdigits):
        return None
    hexdigits = hexdigits.upper()
    return ":".join(hexdigits[i:i + 2] for i in range(0, 64, 2))
