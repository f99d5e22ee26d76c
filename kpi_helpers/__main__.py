"""``python -m kpi_helpers COMMAND ...``: see :mod:`kpi_helpers.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
