"""``python -m runner.emulator ARGS``: the emulator's command line (containers start it with launch.py)."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
