#!/usr/bin/python3
"""Test helper for doc/meson.build: contrib/debian/okuru-mta.equivs still makes
the package README.md describes.

  check_equivs.py FILE

The package must provide, conflict with and replace mail-transport-agent (so
that apt neither installs an MTA beside it nor keeps one), and its links must
make /usr/sbin/sendmail, /usr/bin/mailq and /usr/bin/newaliases point at one
okuru binary. Exits 1 naming what is wrong.
"""
import sys


def fields(path):
    """The deb822 paragraphs of an equivs file (comments dropped), as dicts."""
    paragraphs, current, key = [], {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                continue
            if not line.strip():
                if current:
                    paragraphs.append(current)
                current, key = {}, None
            elif line[0] in " \t":
                if key is None:
                    sys.exit(f"{path}: continuation line without a field: {line!r}")
                current[key] += "\n" + line.strip()
            else:
                key, _, value = line.partition(":")
                if not _:
                    sys.exit(f"{path}: not a field: {line!r}")
                current[key] = value.strip()
    if current:
        paragraphs.append(current)
    return paragraphs


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    path = sys.argv[1]
    package = [p for p in fields(path) if "Package" in p]
    if len(package) != 1:
        sys.exit(f"{path}: expected one Package paragraph, found {len(package)}")
    p = package[0]
    errors = []
    for name in ("Provides", "Conflicts", "Replaces"):
        relations = [r.strip() for r in p.get(name, "").split(",")]
        if "mail-transport-agent" not in relations:
            errors.append(f"{name} does not list mail-transport-agent")
    links = {}
    for line in p.get("Links", "").splitlines():
        parts = line.split()
        if len(parts) != 2:
            errors.append(f"Links line {line!r} is not 'target link'")
            continue
        links[parts[1]] = parts[0]
    wanted = ["/usr/sbin/sendmail", "/usr/bin/mailq", "/usr/bin/newaliases"]
    targets = {links.get(w) for w in wanted}
    for w in wanted:
        if w not in links:
            errors.append(f"no link {w}")
    if len(targets) != 1 or not all(t and t.endswith("/bin/okuru") for t in targets):
        errors.append(f"sendmail, mailq and newaliases must point at one .../bin/okuru, not {sorted(map(str, targets))}")
    for name in ("Package", "Version", "Architecture", "Description"):
        if not p.get(name):
            errors.append(f"no {name}")
    if errors:
        print(f"{path}:\n  " + "\n  ".join(errors))
        return 1
    print(f"{path}: {p['Package']} provides, conflicts with and replaces mail-transport-agent; "
          f"links to {targets.pop()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
