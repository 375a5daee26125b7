"""`lambda-studio start-api PROJECT`: the template's HTTP routes served locally on warm runtimes."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from app.invoke import BACKENDS, profile_credentials, select_backend
from app.local.api import LocalApi
from app.local.functions import LocalFunctions
from app.project.loader import ProjectLoadError, load_project
from app.project.model import Project
from runner.env_vars import load_env_vars_file
from runner.errors import UserFacingError
from runner.gateway.model import Exchange, Route
from runner.result import SetupError

NAME = "start-api"


def register(sub: Any) -> None:
    p = sub.add_parser(
        NAME, help="serve the template's API routes and function URLs locally (like sam local start-api)"
    )
    p.add_argument("project", help="project folder, or a template file")
    p.add_argument("--port", "-p", type=int, default=3000, help="port of the API routes (default 3000)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1 only)")
    p.add_argument(
        "--backend", choices=BACKENDS, default="auto", help="where the functions run (default auto)"
    )
    p.add_argument("--stage", help="stage name to report in events (default: the template's StageName)")
    p.add_argument("--env-vars", "-n", help="SAM --env-vars JSON file overriding environment variables")
    p.add_argument("--jwks", help="JWKS file or URL for JWT authorizers (default: see docs/local-api.md)")
    p.add_argument("--container-image", help="run every function in this image (container backend)")
    p.add_argument(
        "--profile", help="pass this AWS profile's credentials to the functions (default: dummy ones)"
    )
    p.set_defaults(func=run)


def _err(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _auth_label(route: Route) -> str:
    if route.authorizer is None:
        return "-"
    label = f"{route.authorizer.kind.value}:{route.authorizer.name}"
    return label + " (not enforced)" if route.authorizer.kind.value == "AWS_IAM" else label


def routes_table(api: LocalApi) -> list[str]:
    """The routes as a text table: method, path, function, API kind and payload version, auth, URL."""
    rows = [("METHOD", "PATH", "FUNCTION", "API", "AUTH", "URL")]
    for listener in api.listeners:
        for r in listener.routes:
            rows.append(
                (
                    r.method,
                    r.path,
                    r.function_id,
                    f"{r.api.kind.value} {r.payload_version}",
                    _auth_label(r),
                    listener.url,
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]


def _exchange_line(exchange: Exchange) -> str:
    target = exchange.route.function_id if exchange.route else "-"
    return f"{exchange.method} {exchange.path} -> {target} {exchange.status} ({exchange.duration_ms:.1f} ms)"


def _template_stamp(templates: list[Path]) -> tuple[tuple[str, float], ...]:
    out = []
    for path in templates:
        try:
            out.append((str(path), path.stat().st_mtime))
        except OSError:
            out.append((str(path), -1.0))
    return tuple(out)


def _make_api(args: argparse.Namespace, project: Project, functions: LocalFunctions) -> LocalApi:
    api = LocalApi(
        project,
        functions,
        stage=args.stage,
        jwks=args.jwks,
        log=_err,
        on_exchange=lambda ex: _err(_exchange_line(ex)),
    )
    for diagnostic in api.diagnostics:
        _err(str(diagnostic))
    return api


def _reloaded(args: argparse.Namespace, api: LocalApi, functions: LocalFunctions) -> None:
    """The API serves the re-read template's routes on its open ports and warm backend; the old routes if
    the template cannot be read."""
    try:
        project = load_project(args.project)
    except ProjectLoadError as exc:
        _err(f"lambda-studio: the template changed but cannot be read ({exc}); still serving the old routes")
        return
    functions.update_project(project)
    try:
        api.reload(project)
    except UserFacingError as exc:
        _err(f"lambda-studio: {exc.message} ({exc.hint})")
    for diagnostic in api.diagnostics:
        _err(str(diagnostic))
    _err("The template changed: serving its routes now")
    print("\n".join(routes_table(api)), flush=True)


def run(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    try:
        project = load_project(args.project)
        env_vars = load_env_vars_file(args.env_vars) if args.env_vars else None
        options: dict[str, Any] = {"credentials": profile_credentials(args.profile)} if args.profile else {}
        if args.backend != "process":
            options["project"] = str(project.root)
            if args.container_image:
                options["container_image"] = args.container_image
        backend = select_backend(args.backend, **options)
    except (ProjectLoadError, SetupError) as exc:
        _err(f"lambda-studio: {exc}")
        return 2
    functions = LocalFunctions(project, backend, env_vars)
    try:
        api = _make_api(args, project, functions)
        if not api.routes:
            _err(f"lambda-studio: {project.root} declares no HTTP routes (Api, HttpApi or FunctionUrlConfig)")
            return 2
        try:
            api.start(args.host, args.port)
        except UserFacingError as exc:
            _err(f"lambda-studio: {exc.message}" + (f" ({exc.hint})" if exc.hint else ""))
            return 2
        print("\n".join(routes_table(api)), flush=True)
        # The routes' functions warm while the API already answers (Backend.warm_up, as serve does).
        routed = {route.function_id for route in api.routes}
        threading.Thread(target=functions.prewarm, args=(_err, routed), name="prewarm", daemon=True).start()
        _err(f"Serving {len(api.routes)} route(s) on {api.listeners[0].url} (Ctrl-C to stop)")
        event = stop or threading.Event()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: event.set())
        stamp = _template_stamp(project.templates)
        try:
            while not event.wait(0.5):
                now = _template_stamp(project.templates)
                if now != stamp:  # routes follow template edits, as code edits reload the functions
                    stamp = now
                    _reloaded(args, api, functions)
        except KeyboardInterrupt:
            pass
        api.stop()
        return 0
    finally:
        functions.close()
