"""`lambda-studio remote list|invoke|logs|download`: work with functions deployed in AWS."""

from __future__ import annotations

import argparse
import sys
from typing import Any

NAME = "remote"


def register(sub: Any) -> None:
    p = sub.add_parser(NAME, help="list, invoke, read logs of, or download deployed functions")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print("lambda-studio remote: not available yet", file=sys.stderr)
    return 2
