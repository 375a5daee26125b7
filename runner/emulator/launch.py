"""Starts the emulator so that no user module can shadow it: ``python3 -I -S <package>/launch.py ARGS``.

The container backend mounts the package read-only as a folder and runs this file. ``-I`` keeps the
script's folder, the working directory (/var/task) and PYTHON* variables (a function's PYTHONPATH)
off ``sys.path``; ``-S`` keeps site-packages off. The package's parent folder is then appended after
the standard library, so the only name found there is the package itself (a user's ``emulator``,
``runtime_api`` or ``json`` module is never imported). The emulator is stdlib only, so nothing else
is needed. The environment is untouched: the runtimes still get PYTHONPATH and the rest.
"""

from __future__ import annotations

import importlib
import os
import sys


def _run() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.append(os.path.dirname(here))
    cli = importlib.import_module(os.path.basename(here) + ".cli")
    return int(cli.main(sys.argv[1:]))


if __name__ == "__main__":
    sys.exit(_run())
