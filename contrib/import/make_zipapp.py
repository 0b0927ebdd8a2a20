#!/usr/bin/python3
"""Build step for meson: zip the okuru_import package and its launcher into one
executable file, a Python zip application (PEP 441).

usage: make_zipapp.py OUTPUT LAUNCHER PACKAGE_FILE...

LAUNCHER becomes the archive's __main__.py, and each PACKAGE_FILE is stored as
okuru_import/NAME; every .py file of the package directory must be listed. The archive is reproducible: names sorted, every entry
dated 1980-01-01, no bytecode (Python compiles the sources as it imports them
from the archive)."""

import os
import stat
import sys
import zipfile

INTERPRETER = b"#!/usr/bin/python3\n"
EPOCH = (1980, 1, 1, 0, 0, 0)


def entry(name):
    info = zipfile.ZipInfo(name, EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: make_zipapp.py OUTPUT LAUNCHER PACKAGE_FILE...")
    output, launcher, package = sys.argv[1], sys.argv[2], sys.argv[3:]
    # A module missing from meson's list would be left out of the archive (or
    # its changes would not rebuild it): refuse rather than build a broken one.
    directory = os.path.dirname(package[0])
    on_disk = {n for n in os.listdir(directory) if n.endswith(".py")}
    missing = sorted(on_disk - {os.path.basename(p) for p in package})
    if missing:
        sys.exit(f"make_zipapp.py: {', '.join(missing)} in {directory} not listed in "
                 "contrib/import/meson.build (import_package)")
    members = {"__main__.py": launcher}
    for path in package:
        members["okuru_import/" + os.path.basename(path)] = path
    tmp = output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(INTERPRETER)
        with zipfile.ZipFile(f, "w") as z:
            for name in sorted(members):
                with open(members[name], "rb") as src:
                    z.writestr(entry(name), src.read())
    os.chmod(tmp, 0o755)
    os.replace(tmp, output)


main()
