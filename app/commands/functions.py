"""`lambda-studio functions PATH`: list a project's functions as SAM sees them."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.project.loader import ProjectLoadError, load_project

NAME = "functions"


def register(sub: Any) -> None:
    p = sub.add_parser(NAME, help="list the Lambda functions of a project folder or template")
    p.add_argument("path", help="project folder, or a template file")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON (see docs/cli.md)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        project = load_project(args.path)
    except ProjectLoadError as exc:
        if args.json:
            print(json.dumps({"error": str(exc)}))
        print(f"lambda-studio: {exc}", file=sys.stderr)
        return 2
    status = 0 if project.readable else 2
    if args.json:
        print(json.dumps(project.to_json(), indent=2))
        return status
    for diag in project.diagnostics:
        print(str(diag))
    if not project.functions:
        print(f"No Lambda functions found in {project.root}")
    for fn in project.functions:
        print(f"{fn.logical_id}  ({fn.function_name})")
        rows: list[tuple[str, str]] = [
            ("handler", fn.handler or "-"),
            ("runtime", fn.runtime or "-"),
            ("architectures", ", ".join(fn.architectures)),
            ("code", str(fn.code_dir) if fn.code_dir else _code_text(fn)),
            ("memory", f"{fn.memory_size} MB"),
            ("timeout", f"{fn.timeout} s"),
        ]
        if fn.environment:
            rows.append(("environment", ", ".join(f"{k}={v}" for k, v in fn.environment.items())))
        if fn.layers:
            rows.append(("layers", ", ".join(_layer_text(layer) for layer in fn.layers)))
        if fn.events:
            rows.append(("events", ", ".join(f"{e.name} ({e.type})" for e in fn.events)))
        for key, value in rows:
            print(f"    {key:<14}{value}")
        for diag in fn.diagnostics:
            print(f"    ! {diag}")
    return status


def _code_text(fn: Any) -> str:
    if fn.inline_code is not None:
        return "inline code"
    if fn.image_uri:
        return f"image {fn.image_uri}"
    if fn.code_s3:
        return f"s3://{fn.code_s3.get('Bucket')}/{fn.code_s3.get('Key')}"
    return "-"


def _layer_text(layer: Any) -> str:
    if layer.content_dir:
        return f"{layer.label} ({layer.content_dir})"
    return layer.label
