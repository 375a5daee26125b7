"""Entry point of the frozen bundle: the same `app.cli.main` as the `lambda-studio` console script.

The bundle's executable is the app, not a Python, so `<exe> -m pip` cannot work. It ships pip instead
and runs it when the first argument is `--run-pip` (runner.deps.pip_command builds that command):
installing a function's requirements for the container backend and building deploy packages.
"""

from __future__ import annotations

import sys

RUN_PIP_FLAG = "--run-pip"  # runner.deps.RUN_PIP_FLAG


def run_pip(args: list[str]) -> int:
    from pip._internal.cli.main import main as pip_main  # the pip collected into the bundle

    return int(pip_main(args) or 0)


if __name__ == "__main__":
    if sys.argv[1:2] == [RUN_PIP_FLAG]:
        sys.exit(run_pip(sys.argv[2:]))
    from app.cli import main

    sys.exit(main())
