"""Deploy benchmark: package builds, a no-op function redeploy, and stack deploys (first, no-op) on moto."""

from __future__ import annotations

import os
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
            stack_rows = _stack_rows(conn, cache)
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
    rows += stack_rows
    rows.append(lint_row())
    lines += [f"| {what} | {sec:.3f} | {ok} |" for what, sec, ok in rows]
    lines += [
        "",
        "The no-op redeploy sends one GetFunction plus, for the local layer, ListLayerVersions and "
        "GetLayerVersion; nothing is uploaded and no update call is made (asserted in "
        "tests/integration/test_deploy_moto.py).",
        "",
        "The stack rows deploy the whole example (`lambda-studio stack deploy`, `--transform local`: "
        "aws-sam-translator on this machine, since moto cannot run the SAM transform) to a stack. The first "
        "deploy includes cfn-lint, the two builds and the layer (requirements already cached by the rows above), "
        "creating the artifacts bucket, three uploads, the change set and its execution; moto executes change "
        "sets synchronously, so the time to the first stack event here is the client's own overhead, not "
        "CloudFormation's. The no-op stack deploy sends GetCallerIdentity, DescribeStacks and GetTemplate and finds nothing "
        "changed: no upload, no change set (asserted in tests/integration/test_stack_moto.py).",
        "The editor's cfn-lint row is the time from a project opening (or a template save) to its "
        "cfn-lint marks when the lint cache does not hold the text: a fresh Python, cfn-lint's import and "
        "the SAM transform; the window stays responsive meanwhile (the lint runs in that child process).",
        f"Load average (1 min) when this section finished: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.",
    ]
    return "\n".join(lines)


def lint_row() -> tuple[str, float, str]:
    """The template editor's cfn-lint of the example, uncached, in its child process (as the window runs it)."""
    from app.deploy.stack.lint import lint_template

    t = time.perf_counter()
    lint_template(PROJECT / "template.yaml", region="us-east-1", cache_dir=None, isolated=True)
    return ("editor's cfn-lint of template.yaml, uncached, in a child process", time.perf_counter() - t, "-")


def _stack_rows(conn: object, cache: Path) -> list[tuple[str, float, str]]:
    """First stack deploy of the example, time to its first stack event, and the no-op stack deploy."""
    from app.deploy.stack.model import StackOptions, StackProgress
    from app.deploy.stack.operations import execute_plan, plan_stack

    opts = StackOptions(stack_name="bench-hello", cache_dir=cache, transform="local", poll_s=0.05)
    first_event: list[float] = []

    def sink(progress: object) -> None:
        if isinstance(progress, StackProgress) and progress.event is not None and not first_event:
            first_event.append(time.perf_counter())

    t = time.perf_counter()
    plan = plan_stack(conn, PROJECT, opts)  # type: ignore[arg-type]
    planned = time.perf_counter()
    result = execute_plan(conn, plan, sink=sink)  # type: ignore[arg-type]
    first = time.perf_counter() - t
    assert result.status == "CREATE_COMPLETE", result.summary()
    to_event = first_event[0] - planned
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        again = plan_stack(conn, PROJECT, opts)  # type: ignore[arg-type]
        runs.append(time.perf_counter() - t)
        assert again.review.no_changes and again.uploaded == 0
    noop = statistics.median(runs)
    return [
        ("first stack deploy of the example: lint, build, upload, change set, execute (moto)", first, "-"),
        ("time from executing the change set to the first stack event shown (moto)", to_event, "-"),
        (
            "no-op stack deploy round trip: build + compare, no change set (moto, median of 5)",
            noop,
            _ok(noop),
        ),
    ]
