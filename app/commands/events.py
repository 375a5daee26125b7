"""`lambda-studio events ...`: list and generate catalog events, save and show a project's saved events."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.events.catalog import CatalogError, CatalogLookupError, parse_assignments, shipped_catalog
from app.events.render import RenderError
from app.events.store import EventStore, EventStoreError, load_saved_event
from app.project.loader import ProjectLoadError, load_project

NAME = "events"
PROJECT_WIDE = "-"
EXIT_OK = 0
EXIT_ERROR = 2


def register(sub: Any) -> None:
    p = sub.add_parser(
        NAME, help="test events: the catalog of AWS event templates and a project's saved events"
    )
    ev = p.add_subparsers(dest="events_command", metavar="ACTION", required=True)

    lst = ev.add_parser("list", help="list the event templates (service, type, title)")
    lst.add_argument("--service", help="only this service's templates")
    lst.add_argument("--json", action="store_true", help="machine-readable, with each template's parameters")
    lst.set_defaults(func=run_list)

    gen = ev.add_parser("generate", help="print an event rendered from a template")
    gen.add_argument("service", help="e.g. sqs, s3, apigateway (see `events list`)")
    gen.add_argument("type", help="e.g. receive-message, put, aws-proxy")
    gen.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a parameter")
    gen.set_defaults(func=run_generate)

    save = ev.add_parser("save", help="save an event for a function of a project")
    _project_args(save)
    src = save.add_mutually_exclusive_group()
    src.add_argument(
        "--from", dest="source", metavar="FILE|-", help="read the event from a file or stdin (-)"
    )
    src.add_argument("--template", nargs=2, metavar=("SERVICE", "TYPE"), help="render a catalog template")
    save.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="with --template")
    save.add_argument("--force", action="store_true", help="replace an existing event of that name")
    save.set_defaults(func=run_save)

    show = ev.add_parser("show", help="print a saved event")
    _project_args(show)
    show.set_defaults(func=run_show)

    saved = ev.add_parser("saved", help="list a project's saved events")
    saved.add_argument("project", help="project folder or template")
    saved.add_argument("--json", action="store_true", help="machine-readable")
    saved.set_defaults(func=run_saved)


def _project_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project folder or template")
    p.add_argument("function", help=f"function logical id or name; {PROJECT_WIDE!r} for project-wide events")
    p.add_argument("name", help="event name (the file name without .json)")


def _fail(message: str, as_json: bool = False) -> int:
    if as_json:
        print(json.dumps({"error": message}))
    print(f"lambda-studio events: {message}", file=sys.stderr)
    return EXIT_ERROR


def run_list(args: argparse.Namespace) -> int:
    try:
        catalog = shipped_catalog()
    except CatalogError as exc:
        return _fail(str(exc), args.json)
    templates = [t for t in catalog if not args.service or t.service == args.service]
    if args.service and not templates:
        return _fail(
            f"unknown service {args.service!r}; services: {', '.join(catalog.services())}", args.json
        )
    if args.json:
        print(json.dumps([t.summary() for t in templates], indent=2))
        return EXIT_OK
    width = max(len(t.key) for t in templates)
    for t in templates:
        print(f"{t.key:<{width}}  {t.title}")
    services = {t.service for t in templates}
    print(f"\n{len(templates)} event types from {len(services)} services", file=sys.stderr)
    return EXIT_OK


def run_generate(args: argparse.Namespace) -> int:
    try:
        template = shipped_catalog().get(args.service, args.type)
        sys.stdout.write(template.render_text(parse_assignments(args.set)))
    except (CatalogError, CatalogLookupError, RenderError) as exc:
        return _fail(str(exc))
    return EXIT_OK


def _resolve(project_arg: str, function_arg: str) -> tuple[Path, str | None]:
    """The project root and the folder id of the function (None for project-wide events)."""
    try:
        project = load_project(project_arg)
    except ProjectLoadError as exc:
        raise EventStoreError(str(exc))
    if function_arg == PROJECT_WIDE:
        return project.root, None
    fn = project.function(function_arg)
    if fn is None:
        known = ", ".join(f.logical_id for f in project.functions) or "none found"
        raise EventStoreError(f"no function {function_arg!r} in {project.root} (functions: {known})")
    return project.root, fn.logical_id


def run_save(args: argparse.Namespace) -> int:
    try:
        root, function_id = _resolve(args.project, args.function)
        store = EventStore(root)
        if args.template:
            template = shipped_catalog().get(*args.template)
            saved = store.create_from_template(
                function_id, args.name, template, parse_assignments(args.set), overwrite=args.force
            )
        else:
            if args.set:
                return _fail("--set needs --template")
            source = args.source or "-"
            data = sys.stdin.buffer.read() if source == "-" else _read(Path(source))
            saved = store.save(function_id, args.name, data, overwrite=args.force)
    except (EventStoreError, CatalogLookupError, CatalogError, RenderError) as exc:
        return _fail(str(exc))
    print(f"saved {saved.path}")
    return EXIT_OK


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise EventStoreError(f"cannot read {path}: {exc.strerror or exc}")


def run_show(args: argparse.Namespace) -> int:
    try:
        root, function_id = _resolve(args.project, args.function)
        data = load_saved_event(root, function_id, args.name)
    except EventStoreError as exc:
        return _fail(str(exc))
    sys.stdout.buffer.write(data if data.endswith(b"\n") else data + b"\n")
    sys.stdout.flush()
    return EXIT_OK


def run_saved(args: argparse.Namespace) -> int:
    try:
        project = load_project(args.project)
    except ProjectLoadError as exc:
        return _fail(str(exc), args.json)
    events = EventStore(project.root).list_all()
    if args.json:
        rows = [{"function": e.function_id, "name": e.name, "path": str(e.path)} for e in events]
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    if not events:
        print(f"No saved events in {project.root / 'events'}")
    for e in events:
        print(f"{e.function_id or '(project)'}  {e.name}")
    return EXIT_OK
