"""Local HTTP API speed: `start-api` (process and container backends) beside `sam local start-api`."""

from __future__ import annotations

import http.client
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.load import load_average, load_sentence
from runner.ports import free_port

TITLE = "Local HTTP API (start-api)"
WARM_N = 200
CLIENTS = 8
PER_CLIENT = 50
SAM_IMAGE = "public.ecr.aws/lambda/python:3.11-x86_64"
TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
      Architectures: [x86_64]
      MemorySize: 128
      Timeout: 10
      Events:
        Get:
          Type: HttpApi
          Properties: {Path: "/hello/{name}", Method: get}
"""
HANDLER = (
    "import json\n\ndef handler(event, context):\n"
    "    return {'statusCode': 200, 'body': json.dumps({'hi': event['pathParameters']['name']})}\n"
)


def sam_binary() -> Path | None:
    """SAM CLI as scripts/sam-cli.sh installs it (LAMBDA_STUDIO_SAM, else found in the test cache), or None."""
    found = os.environ.get("LAMBDA_STUDIO_SAM")
    if found and Path(found).exists():
        return Path(found)
    cache = Path(
        os.environ.get("LAMBDA_STUDIO_TEST_CACHE")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lambda-studio-test"
    )
    ready = sorted(cache.glob("sam-cli-*/.complete"))
    return ready[-1].parent / "bin" / "sam" if ready else None


def _get(port: int, path: str, timeout: float = 60) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _ok(port: int) -> None:
    status, body = _get(port, "/hello/ada")
    if status != 200:
        raise RuntimeError(f"HTTP {status}: {body[:200]!r}")


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def measure(port: int) -> dict[str, float]:
    """Warm median/p95 over WARM_N sequential requests, then requests/s at CLIENTS concurrent clients."""
    for _ in range(10):
        _ok(port)
    out: dict[str, float] = {}
    out["warm_median"], out["warm_p95"] = _stats([_timed(lambda: _ok(port)) for _ in range(WARM_N)])
    errors: list[str] = []

    def client() -> None:
        for _ in range(PER_CLIENT):
            try:
                _ok(port)
            except (OSError, RuntimeError) as exc:
                errors.append(str(exc))

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join(300)
    elapsed = time.perf_counter() - t
    out["rps"] = (CLIENTS * PER_CLIENT - len(errors)) / elapsed
    out["errors"] = len(errors)
    out["error_sample"] = errors[0] if errors else ""  # type: ignore[assignment]
    return out


def project(root: Path) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "template.yaml").write_text(TEMPLATE)
    (root / "src" / "app.py").write_text(HANDLER)
    return root


def ours(root: Path, backend_name: str, image: str | None) -> dict[str, float]:
    from app.invoke import select_backend
    from app.local.api import LocalApi
    from app.local.functions import LocalFunctions
    from app.project.loader import load_project

    loaded = load_project(project(root))
    options: dict[str, Any] = {}
    if backend_name == "container":
        options = {"project": f"bench-api-{os.getpid()}", "container_image": image}
    backend = select_backend(backend_name, **options)
    functions = LocalFunctions(loaded, backend)
    problems: list[str] = []
    api = LocalApi(loaded, functions, log=lambda line: problems.append(line) if "] 5" in line else None)
    api.start("127.0.0.1", 0)
    try:
        port = int(api.listeners[0].url.rsplit(":", 1)[1])
        out = {"cold": _timed(lambda: _ok(port))}
        out.update(measure(port))
        return out
    except RuntimeError as exc:
        raise RuntimeError(f"{exc}; the gateway said: {problems[-3:]}") from None
    finally:
        api.stop()
        functions.close()


def sam(sam_bin: Path, root: Path) -> dict[str, float]:
    project(root)
    port = free_port()
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    cmd = [
        str(sam_bin), "local", "start-api", "--port", str(port), "--skip-pull-image",
        "--warm-containers", "EAGER", "--template", str(root / "template.yaml"),
    ]  # fmt: skip
    log = open(root / "sam.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        started = time.perf_counter()
        while True:
            if proc.poll() is not None or time.perf_counter() - started > 180:
                raise RuntimeError(
                    "sam local start-api did not serve: " + (root / "sam.log").read_text()[-500:]
                )
            try:
                out = {"cold": _timed(lambda: _ok(port))}
                break
            except OSError:
                time.sleep(0.2)
        out.update(measure(port))
        return out
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def run() -> str:
    from runner.backends.container.engine import EngineUnavailable, connect, has_image

    load_before = load_average()
    rows: list[tuple[str, dict[str, float]]] = []
    notes: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="bench-api-"))
    try:
        rows.append(("lambda-studio start-api, process backend", ours(root / "process", "process", None)))
        image = os.environ.get("LAMBDA_STUDIO_TEST_IMAGE", "lambda-studio-test/python:3.11")
        try:
            client = connect()
            if has_image(client, image):
                rows.append(
                    (
                        "lambda-studio start-api, container backend",
                        ours(root / "container", "container", image),
                    )
                )
            else:
                notes.append(f"container rows skipped: {image} is missing")
            sam_ready = has_image(client, SAM_IMAGE)
            client.close()
        except EngineUnavailable as exc:
            notes.append(f"container and SAM rows skipped: {exc}")
            sam_ready = False
        sam_bin = sam_binary()
        if sam_bin is None:
            notes.append("SAM CLI is not installed (scripts/sam-cli.sh); its row is missing.")
        elif sam_ready:
            version = subprocess.run(
                [str(sam_bin), "--version"], capture_output=True, text=True
            ).stdout.strip()
            try:
                rows.append(
                    (f"`sam local start-api --warm-containers EAGER` ({version})", sam(sam_bin, root / "sam"))
                )
            except RuntimeError as exc:
                notes.append(f"SAM CLI failed: {exc}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    lines = [
        f"One `GET /hello/{{name}}` HttpApi route (payload 2.0), python3.11, 128 MB. Each request on a new "
        f"connection. Cold = the first request after the server listens; warm = median and p95 of {WARM_N} "
        f"sequential requests; requests/s = {CLIENTS} concurrent clients × {PER_CLIENT} requests.",
        "",
        "| server | cold first request | warm median | warm p95 | requests/s (8 clients) |",
        "|---|---|---|---|---|",
    ]
    for name, r in rows:
        errors = (
            f" ({int(r['errors'])} errors, e.g. {str(r['error_sample'])[:80]})" if r.get("errors") else ""
        )
        lines.append(
            f"| {name} | {r['cold']:.0f} ms | {r['warm_median']:.2f} ms | {r['warm_p95']:.2f} ms | "
            f"{r['rps']:.0f}{errors} |"
        )
    sam_rows = [r for n, r in rows if n.startswith("`sam")]
    if sam_rows:
        for name, r in rows:
            if not name.startswith("`sam"):
                lines.append("")
                lines.append(
                    f"{name}: warm median {sam_rows[0]['warm_median'] / r['warm_median']:.1f}× faster than SAM's warm mode."
                )
    lines += ["", load_sentence(load_before, load_average())]
    lines += [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"
