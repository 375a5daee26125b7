"""`lambda-studio remote list|show|invoke|logs|download`: work with functions deployed in AWS."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.commands.deploy import aws_arguments, exit_code, open_connection, print_error, stderr_sink
from app.deploy.errors import DeployError
from app.deploy.progress import CancelToken

NAME = "remote"


def register(sub: Any) -> None:
    p = sub.add_parser(NAME, help="list, inspect, invoke, read logs of, or download deployed functions")
    rs = p.add_subparsers(dest="remote_command", metavar="ACTION", required=True)
    aws = aws_arguments()

    ls = rs.add_parser("list", parents=[aws], help="list the functions of a region")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=run_list)

    show = rs.add_parser(
        "show", parents=[aws], help="configuration, tags, versions and aliases of a function"
    )
    show.add_argument("function")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=run_show)

    inv = rs.add_parser("invoke", parents=[aws], help="invoke a deployed function (log tail on stderr)")
    inv.add_argument("function")
    src = inv.add_mutually_exclusive_group()
    src.add_argument("--payload", help="the event as JSON text")
    src.add_argument("--event", type=Path, help="a JSON file holding the event")
    inv.add_argument("--qualifier", help="version or alias")
    inv.add_argument("--async", dest="is_async", action="store_true", help="InvocationType=Event")
    inv.add_argument("--json", action="store_true")
    inv.set_defaults(func=run_invoke)

    logs = rs.add_parser("logs", parents=[aws], help="CloudWatch logs of a function")
    logs.add_argument("function")
    logs.add_argument("--since", default="15m", help="15m, 2h, 1d or an ISO time (default 15m)")
    logs.add_argument("--until", help="end of the range (same forms as --since)")
    logs.add_argument("--filter", help="CloudWatch filter pattern")
    logs.add_argument(
        "-f", "--follow", action="store_true", help="keep polling for new events (Ctrl-C stops)"
    )
    logs.add_argument("--json", action="store_true", help="one JSON object per event")
    logs.set_defaults(func=run_logs)

    dl = rs.add_parser("download", parents=[aws], help="download a function's code as a new local project")
    dl.add_argument("function")
    dl.add_argument("dest", type=Path, help="new project folder")
    dl.add_argument("--qualifier", help="version or alias")
    dl.set_defaults(func=run_download)


def _guard(fn: Any, args: argparse.Namespace) -> int:
    try:
        return int(fn(args))
    except DeployError as exc:
        print_error(exc, getattr(args, "json", False))
        return exit_code(exc)


def run_list(args: argparse.Namespace) -> int:
    from app.deploy.remote import list_functions

    def body(args: argparse.Namespace) -> int:
        funcs = list_functions(open_connection(args))
        if args.json:
            print(json.dumps([f.to_json() for f in funcs], indent=2))
            return 0
        for f in funcs:
            print(
                f"{f.name:<40} {f.runtime or '-':<11} {f.memory_size or 0:>6} MB {f.timeout or 0:>4} s  {f.last_modified or ''}"
            )
        if not funcs:
            print("No functions in this region.")
        return 0

    return _guard(body, args)


def run_show(args: argparse.Namespace) -> int:
    from app.deploy.remote import describe_function

    def body(args: argparse.Namespace) -> int:
        details = describe_function(open_connection(args), args.function)
        data = details.to_json()
        if args.json:
            print(json.dumps(data, indent=2, default=str))
            return 0
        cfg = details.configuration
        for key in ("FunctionName", "FunctionArn", "Runtime", "Handler", "MemorySize", "Timeout", "Architectures",
                    "Role", "CodeSize", "CodeSha256", "LastModified", "State"):  # fmt: skip
            print(f"{key:<14}{cfg.get(key, '-')}")
        env = (cfg.get("Environment") or {}).get("Variables") or {}
        print(f"{'Environment':<14}{', '.join(f'{k}={v}' for k, v in env.items()) or '-'}")
        print(f"{'Layers':<14}{', '.join(layer['Arn'] for layer in cfg.get('Layers') or []) or '-'}")
        print(f"{'Tags':<14}{', '.join(f'{k}={v}' for k, v in details.tags.items()) or '-'}")
        print(f"{'Versions':<14}{', '.join(v['version'] for v in data['versions']) or '-'}")
        print(f"{'Aliases':<14}{', '.join(a['name'] + '->' + a['version'] for a in data['aliases']) or '-'}")
        return 0

    return _guard(body, args)


def run_invoke(args: argparse.Namespace) -> int:
    from app.deploy.remote import invoke

    def body(args: argparse.Namespace) -> int:
        try:
            text = args.event.read_text(encoding="utf-8") if args.event else (args.payload or "{}")
            payload = json.loads(text)
        except (OSError, ValueError) as exc:
            raise DeployError(f"The event is not readable JSON: {exc}", kind="invalid")
        result = invoke(
            open_connection(args),
            args.function,
            payload,
            qualifier=args.qualifier,
            invocation_type="Event" if args.is_async else "RequestResponse",
        )
        if args.json:
            print(json.dumps(result.to_json(), indent=2))
        else:
            if result.log_tail:
                print(result.log_tail.rstrip(), file=sys.stderr)
            if result.function_error:
                print(f"function error ({result.function_error}):", file=sys.stderr)
            print(result.payload_text if result.payload else f"(status {result.status_code}, no payload)")
        return 0 if result.ok else 1

    return _guard(body, args)


def run_logs(args: argparse.Namespace) -> int:
    from app.deploy.remote import fetch_logs, follow_logs, parse_since

    def emit(events: list[Any]) -> None:
        for ev in events:
            print(json.dumps(ev.to_json()) if args.json else ev.line(), flush=True)

    def body(args: argparse.Namespace) -> int:
        conn = open_connection(args)
        start = parse_since(args.since)
        if args.follow:
            try:
                follow_logs(conn, args.function, emit, CancelToken(), start=start, filter_pattern=args.filter)
            except KeyboardInterrupt:
                return 0
            return 0
        end = parse_since(args.until) if args.until else None
        emit(fetch_logs(conn, args.function, start=start, end=end, filter_pattern=args.filter))
        return 0

    return _guard(body, args)


def run_download(args: argparse.Namespace) -> int:
    from app.deploy.download import download_function

    def body(args: argparse.Namespace) -> int:
        dest = download_function(
            open_connection(args), args.function, args.dest, qualifier=args.qualifier, sink=stderr_sink()
        )
        print(f"Downloaded {args.function} to {dest} (open it with: lambda-studio {dest})")
        return 0

    return _guard(body, args)
