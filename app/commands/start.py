"""`lambda-studio start PROJECT`: the local application — endpoint, resources, triggers — until stopped."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from app.invoke import BACKENDS, select_backend
from app.local.cloud import LocalCloud, summary
from app.project.loader import ProjectLoadError, load_project
from runner.env_vars import load_env_vars_file
from runner.result import SetupError

NAME = "start"


def register(sub: Any) -> None:
    p = sub.add_parser(
        NAME,
        help="run the application locally: its queues, buckets, tables and schedules with their triggers",
    )
    p.add_argument("project", help="project folder, or a template file")
    p.add_argument(
        "--port",
        type=int,
        default=3000,
        help="port of the local HTTP API's routes (default 3000; 0: any free)",
    )
    p.add_argument(
        "--aws-port",
        type=int,
        default=4566,
        help="port of the local AWS endpoint (default 4566; 0: any free)",
    )
    p.add_argument(
        "--backend",
        choices=BACKENDS,
        default="auto",
        help="where functions run (default auto, as `invoke`: a container when docker and the image are "
        "there; a function in a container reaches the local endpoint through a token gate)",
    )
    p.add_argument("--env-vars", "-n", help="SAM --env-vars JSON file overriding environment variables")
    p.set_defaults(func=run)


def _log(line: str) -> None:
    sys.stderr.write(line.rstrip("\n") + "\n")
    sys.stderr.flush()


def run(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    try:
        project = load_project(args.project)
        env_vars = load_env_vars_file(args.env_vars) if args.env_vars else None
        backend = select_backend(args.backend, project=project.root.name)
    except (ProjectLoadError, SetupError) as exc:
        print(f"lambda-studio: {exc}", file=sys.stderr)
        return 2
    cloud = LocalCloud(project, aws_port=args.aws_port)
    event = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        # SIGTERM (docker stop, systemd, an IDE's stop button) ends as cleanly as Ctrl-C.
        signal.signal(signal.SIGTERM, lambda *_: event.set())
    try:
        try:
            functions = cloud.start(backend, _log, env_vars, api_port=args.port)
        except SetupError as exc:
            print(f"lambda-studio: {exc}", file=sys.stderr)
            return 2
        # Every function warms while the endpoint already answers (Backend.warm_up, as serve does).
        threading.Thread(target=functions.prewarm, args=(_log,), name="prewarm", daemon=True).start()
        for line in summary(cloud):
            print(line, file=sys.stderr)
        print("Running (Ctrl-C to stop; the local resources and their data go away then).", file=sys.stderr)
        sys.stderr.flush()
        try:
            while not event.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        return 0
    finally:
        cloud.stop()
        backend.close()
