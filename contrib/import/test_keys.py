#!/usr/bin/python3
"""okuru-import writes only keys okuru accepts, in okuru's documented order:
keys.WRITTEN is compared with what `okuru --list-config-keys` prints (the
binary's own key table, not a copy of it). Usage: test_keys.py OKURU"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okuru_import import keys  # noqa: E402


def main(okuru):
    listed = subprocess.run([okuru, "--list-config-keys"], check=True, capture_output=True,
                            text=True).stdout.splitlines()
    if len(listed) < 30:
        print("okuru --list-config-keys printed only %d keys" % len(listed))
        return 1
    failures = 0
    for path in keys.not_listed(listed):
        print("okuru-import writes %s, which okuru does not list" % path)
        failures += 1
    for a, b in keys.out_of_order(listed):
        print("okuru-import writes %s before %s; okuru lists them the other way" % (a, b))
        failures += 1
    # The check itself must be able to fail.
    if not keys.not_listed([p for p in listed if p != "accounts.*.host"]):
        print("not_listed() missed a key removed from the list")
        failures += 1
    print("%d keys written by okuru-import, all listed by okuru in the same order"
          % len(keys.WRITTEN) if not failures else "%d problems" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
