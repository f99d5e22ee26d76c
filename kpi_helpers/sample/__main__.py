"""``python -m kpi_helpers.sample OUT_DIR [options]``: the same as ``kpi sample``."""

import sys

from . import main

raise SystemExit(main(sys.argv[1:]))
