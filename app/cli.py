"""The `lambda-studio` command: subcommands for the terminal, and the window when given a folder."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app import __version__
from app.commands import COMMANDS
from runner.errors import UserFacingError

EXIT_OK = 0
EXIT_FUNCTION_ERROR = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lambda-studio",
        description="Lambda Studio: author, invoke, debug and deploy AWS Lambda functions in Python. "
        "Run with a folder (or nothing) to open the window.",
    )
    parser.add_argument("--version", action="version", version=f"lambda-studio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def _gui_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="lambda-studio", description="Open the Lambda Studio window.")
    parser.add_argument("path", nargs="?", help="project folder to open")
    args = parser.parse_args(list(argv))
    try:
        from widgets.app_main import run_gui  # Qt is imported only for the window
    except ImportError as exc:  # pragma: no cover - depends on the installation
        print(f"lambda-studio: the window cannot start: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return run_gui(args.path)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    names = {m.NAME for m in COMMANDS}
    if argv and argv[0] in names or argv[:1] in (["-h"], ["--help"], ["--version"]):
        parser = build_parser()
        args = parser.parse_args(argv)
        try:
            return int(args.func(args))
        except KeyboardInterrupt:
            return 130
        except BrokenPipeError:
            return EXIT_OK
        except UserFacingError as exc:  # one a command did not handle: message and hint, no traceback
            print(f"lambda-studio: {exc.message}", file=sys.stderr)
            if exc.hint:
                print(f"  {exc.hint}", file=sys.stderr)
            return EXIT_USAGE
    return _gui_main(argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
