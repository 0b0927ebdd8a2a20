"""python3 -m okuru_import: the same as the okuru-import command."""

import sys

from .cli import main

sys.exit(main())
