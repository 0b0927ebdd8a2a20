"""Throwaway certificates for the integration tests, made with GnuTLS's certtool.

Everything lives in one directory and is thrown away with it: a test CA and a
localhost server certificate (the good case), plus the certificates negative tests
need (expired, not yet valid, wrong host name, signed by another CA, self-signed,
wildcard). Standard library only; run with /usr/bin/python3.
"""

import os
import subprocess
from dataclasses import dataclass


@dataclass
class CertPair:
    cert: str  # PEM certificate (leaf first, no chain needed: CAs sign leaves directly)
    key: str   # PEM private key


@dataclass
class Pki:
    ca: CertPair            # the CA the tests trust (ca_file)
    other_ca: CertPair      # an unrelated CA (ca_file for "unknown CA" cases)
    server: CertPair        # localhost + 127.0.0.1, signed by ca
    expired: CertPair       # localhost, signed by ca, validity ended in 2020
    not_yet_valid: CertPair # localhost, signed by ca, valid from 2090
    wrong_host: CertPair    # wrong.example.test only, signed by ca
    other_ca_server: CertPair  # localhost, signed by other_ca
    self_signed: CertPair   # localhost, signed by itself (not a CA)
    wildcard: CertPair      # *.example.test, signed by ca
    # The certificate policy (issue 12): each must be refused before AUTH.
    client_only: CertPair   # localhost, signed by ca, key purpose TLS client only
    rsa1024: CertPair       # localhost, signed by ca, a 1024-bit RSA key
    sha1_chain: CertPair    # localhost, signed by an intermediate ca signed with SHA-1
    rsa_server: CertPair    # localhost, signed by ca, a 2048-bit RSA key (static RSA)


def _certtool(args, template_text, workdir):
    template = os.path.join(workdir, "template.cfg")
    with open(template, "w", encoding="ascii") as f:
        f.write(template_text)
    try:
        subprocess.run(["certtool", *args, "--template", template],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except subprocess.CalledProcessError as e:
        raise RuntimeError("certtool %s failed: %s" % (" ".join(args), e.stderr.decode()))
    finally:
        os.unlink(template)


def _privkey(path, key_type=("--key-type", "ecdsa")):
    subprocess.run(["certtool", "--generate-privkey", *key_type, "--outfile", path],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.chmod(path, 0o644)  # Postfix's smtpd reads it after dropping privileges


def _make_ca(workdir, name, cn):
    pair = CertPair(os.path.join(workdir, name + ".pem"), os.path.join(workdir, name + "-key.pem"))
    _privkey(pair.key)
    _certtool(["--generate-self-signed", "--load-privkey", pair.key, "--outfile", pair.cert],
              'cn = "%s"\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 30\n' % cn,
              workdir)
    return pair


def _make_leaf(workdir, name, ca, cn, dns_names, ip=None, validity=None, purpose="tls_www_server",
               key_type=("--key-type", "ecdsa")):
    """validity: None for now..+30 days, else (activation, expiration) "YYYY-MM-DD hh:mm:ss".
    purpose: the certtool key purpose line; key_type: certtool's key options."""
    pair = CertPair(os.path.join(workdir, name + ".pem"), os.path.join(workdir, name + "-key.pem"))
    _privkey(pair.key, key_type)
    lines = ['cn = "%s"' % cn, purpose, "signing_key", "encryption_key"]
    lines += ['dns_name = "%s"' % d for d in dns_names]
    if ip:
        lines.append('ip_address = "%s"' % ip)
    if validity:
        lines.append('activation_date = "%s"' % validity[0])
        lines.append('expiration_date = "%s"' % validity[1])
    else:
        lines.append("expiration_days = 30")
    template = "\n".join(lines) + "\n"
    if ca is None:
        _certtool(["--generate-self-signed", "--load-privkey", pair.key,
                   "--outfile", pair.cert], template, workdir)
    else:
        _certtool(["--generate-certificate", "--load-privkey", pair.key,
                   "--load-ca-certificate", ca.cert, "--load-ca-privkey", ca.key,
                   "--outfile", pair.cert], template, workdir)
    return pair


def _make_sha1_chain(workdir, ca, local):
    """A leaf signed (SHA-256) by an intermediate CA that ca signed with SHA-1; the
    certificate file holds leaf then intermediate, as a server presents them."""
    inter = CertPair(os.path.join(workdir, "sha1-ca.pem"), os.path.join(workdir, "sha1-ca-key.pem"))
    _privkey(inter.key)
    _certtool(["--generate-certificate", "--load-privkey", inter.key, "--hash", "SHA1",
               "--load-ca-certificate", ca.cert, "--load-ca-privkey", ca.key,
               "--outfile", inter.cert],
              'cn = "okuru SHA-1 intermediate"\nca\ncert_signing_key\nexpiration_days = 30\n',
              workdir)
    leaf = _make_leaf(workdir, "sha1-leaf", inter, "localhost", *local)
    chain = os.path.join(workdir, "sha1-chain.pem")
    with open(chain, "w") as out:
        for part in (leaf.cert, inter.cert):
            with open(part) as f:
                out.write(f.read())
    return CertPair(chain, leaf.key)


def make_pki(workdir):
    """Creates every certificate in workdir (which must exist) and returns their paths."""
    ca = _make_ca(workdir, "ca", "okuru test CA")
    other = _make_ca(workdir, "other-ca", "okuru unrelated CA")
    local = (["localhost"], "127.0.0.1")
    return Pki(
        ca=ca,
        other_ca=other,
        server=_make_leaf(workdir, "server", ca, "localhost", *local),
        expired=_make_leaf(workdir, "expired", ca, "localhost", *local,
                           validity=("2019-01-01 00:00:00", "2020-01-01 00:00:00")),
        not_yet_valid=_make_leaf(workdir, "future", ca, "localhost", *local,
                                 validity=("2090-01-01 00:00:00", "2091-01-01 00:00:00")),
        wrong_host=_make_leaf(workdir, "wronghost", ca, "wrong.example.test",
                              ["wrong.example.test"]),
        other_ca_server=_make_leaf(workdir, "otherca-server", other, "localhost", *local),
        self_signed=_make_leaf(workdir, "selfsigned", None, "localhost", *local),
        wildcard=_make_leaf(workdir, "wildcard", ca, "*.example.test", ["*.example.test"]),
        client_only=_make_leaf(workdir, "clientonly", ca, "localhost", *local,
                               purpose="tls_www_client"),
        rsa1024=_make_leaf(workdir, "rsa1024", ca, "localhost", *local,
                           key_type=("--key-type", "rsa", "--bits", "1024")),
        sha1_chain=_make_sha1_chain(workdir, ca, local),
        rsa_server=_make_leaf(workdir, "rsa2048", ca, "localhost", *local,
                              key_type=("--key-type", "rsa", "--bits", "2048")),
    )


if __name__ == "__main__":
    import sys
    import tempfile
    print(make_pki(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="okuru-pki-")))
