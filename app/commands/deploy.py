"""`lambda-studio deploy PROJECT FUNCTION`: package, plan and deploy one function to AWS."""

from __future__ import annotations

import argparse
import sys
from typing import Any

NAME = "deploy"


def register(sub: Any) -> None:
    p = sub.add_parser(NAME, help="package a function and deploy it to AWS Lambda (plan first)")
    p.add_argument("project", help="project folder, or a template file")
    p.add_argument("function", help="logical id or function name")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print("lambda-studio deploy: not available yet", file=sys.stderr)
    return 2
