"""Deploy benchmark: package builds (cold and cached requirements) and a no-op redeploy round trip on moto."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bench.moto import start_moto_server

TITLE = "Deploy"
REPO = Path(__file__).resolve().parent.parent
PROJECT = REPO / "examples" / "hello-sam"
FUNCTION = "HelloFunction"
BUDGET_S = 1.0


def _ok(seconds: float) -> str:
    return "yes" if seconds <= BUDGET_S else "**no**"


def run() -> str:
    import boto3

    from app.deploy.connection import Connection
    from app.deploy.deploy import deploy_function
    from app.deploy.packaging import package_function
    from app.deploy.plan import DeployOptions
    from app.project.loader import load_project

    fn = load_project(PROJECT).function(FUNCTION)
    assert fn is not None
    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        t = time.perf_counter()
        first = package_function(fn, cache_dir=cache)
        cold = time.perf_counter() - t
        warm_runs = []
        for _ in range(5):
            t = time.perf_counter()
            again = package_function(fn, cache_dir=cache)
            warm_runs.append(time.perf_counter() - t)
        assert again.sha256 == first.sha256 and again.deps_cached
        warm = statistics.median(warm_runs)
        rows.append(("first build (pip install of requirements.txt from PyPI)", cold, "-"))
        rows.append(("second build, unchanged requirements (median of 5)", warm, _ok(warm)))

        proc, url = start_moto_server()
        try:
            session = boto3.Session(
                aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1"
            )
            conn = Connection(session=session, region="us-east-1", endpoint_url=url)
            opts = DeployOptions(cache_dir=cache, create_role=True)
            t = time.perf_counter()
            deploy_function(conn, fn, opts)
            create = time.perf_counter() - t
            noop_runs = []
            for _ in range(5):
                t = time.perf_counter()
                plan, result = deploy_function(conn, fn, DeployOptions(cache_dir=cache))
                noop_runs.append(time.perf_counter() - t)
                assert plan.action == "none" and result is not None and not result.changed
            noop = statistics.median(noop_runs)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        rows.append(("first deploy: create role, publish layer, create function (moto)", create, "-"))
        rows.append(
            ("no-op redeploy round trip: package + plan + nothing to do (moto, median of 5)", noop, _ok(noop))
        )
    lines = [
        f"Function `{FUNCTION}` of `examples/hello-sam` ({first.files} files, {first.zipped_size / 1024:.0f} KB "
        f"zipped, requirement `humanize`, local layer `common`), against a `moto_server` on 127.0.0.1.",
        "",
        "| what | seconds | within 1 s |",
        "|---|---:|---|",
    ]
    lines += [f"| {what} | {sec:.3f} | {ok} |" for what, sec, ok in rows]
    lines += [
        "",
        "The no-op redeploy sends one GetFunction plus, for the local layer, ListLayerVersions and "
        "GetLayerVersion; nothing is uploaded and no update call is made (asserted in "
        "tests/integration/test_deploy_moto.py).",
    ]
    return "\n".join(lines)
