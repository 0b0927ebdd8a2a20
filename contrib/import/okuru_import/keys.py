"""The keys okuru-import writes, in the order it writes them: the one place
that order is kept. Each is a dotted TOML path in the form
`okuru --list-config-keys` prints ("domain", "accounts.*.host", "aliases.*"),
so the table can be checked against the list okuru itself gives, and in the
same relative order as okuru's documentation."""

WRITTEN = (
    "domain",
    "log_file",
    "syslog",
    "accounts.*.default",
    "accounts.*.host",
    "accounts.*.port",
    "accounts.*.tls",
    "accounts.*.fallback",
    "accounts.*.user",
    "accounts.*.password",
    "accounts.*.password_command",
    "accounts.*.password_file",
    "accounts.*.password_credential",
    "accounts.*.auth",
    "accounts.*.oauth_token_command",
    "accounts.*.from",
    "accounts.*.envelope_from",
    "accounts.*.from_header",
    "accounts.*.ehlo",
    "accounts.*.connect_timeout",
    "accounts.*.timeout",
    "accounts.*.ca_file",
    "accounts.*.system_trust",
    "accounts.*.fingerprint",
    "accounts.*.tls_priority",
    "accounts.*.client_cert",
    "accounts.*.client_key",
    "accounts.*.insecure_allow_plaintext_auth",
    "routes.*",
    "aliases.*",
)

ACCOUNT_PREFIX = "accounts.*."

# The top-level keys (before any table) and the keys of one [accounts.NAME]
# table, in writing order.
TOP_KEY_ORDER = [p for p in WRITTEN if "." not in p]
ACCOUNT_KEY_ORDER = [p[len(ACCOUNT_PREFIX):] for p in WRITTEN if p.startswith(ACCOUNT_PREFIX)]


def not_listed(listed):
    """The paths written here that are missing from `listed` (the lines of
    `okuru --list-config-keys`), in writing order: each one is a key okuru
    would refuse."""
    known = {line.strip() for line in listed if line.strip()}
    return [p for p in WRITTEN if p not in known]


def out_of_order(listed):
    """The paths written here whose order differs from `listed`: pairs (a, b)
    where a is written before b but listed after it."""
    position = {p.strip(): i for i, p in enumerate(listed) if p.strip()}
    present = [p for p in WRITTEN if p in position]
    return [(a, b) for a, b in zip(present, present[1:]) if position[a] > position[b]]
