"""Loading benchmark: 5,000 functions sharing one module, and a 10 MB template (time and peak RSS)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

TITLE = "Loading"
REPO = Path(__file__).resolve().parent.parent
BUDGET_S = 3.0
BUDGET_MB = 300
SHARED_FUNCTIONS = 5000
TEMPLATE_BYTES = 10 * 1024 * 1024 - 64 * 1024  # just under the 10 MB Lambda Studio reads

# Runs in a fresh interpreter so that the peak RSS (VmHWM) is the load's own.
_PROBE = """
import json, sys, time
t, c = time.perf_counter(), time.process_time()
from app.project.loader import load_project
project = load_project(sys.argv[1])
seconds, cpu = time.perf_counter() - t, time.process_time() - c
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
errors = [d for d in project.all_diagnostics if d.severity == "error"]
print(json.dumps({"seconds": seconds, "cpu": cpu, "rss_mb": hwm / 1024, "functions": len(project.functions),
                  "errors": len(errors), "first_error": str(errors[0]) if errors else ""}))
"""


def shared_module_project(root: Path, functions: int = SHARED_FUNCTIONS) -> Path:
    """`functions` functions whose handlers all live in one module src/app.py (one def each)."""
    src = root / "src"
    src.mkdir(parents=True, exist_ok=True)
    body = "".join(f"def handler_{i}(event, context):\n    return {{'n': {i}}}\n\n" for i in range(functions))
    (src / "app.py").write_text("import json\n\n" + body)
    lines = ["AWSTemplateFormatVersion: '2010-09-09'", "Transform: AWS::Serverless-2016-10-31", "Resources:"]
    for i in range(functions):
        lines += [
            f"  Fn{i}:",
            "    Type: AWS::Serverless::Function",
            f"    Properties: {{CodeUri: src, Handler: app.handler_{i}, Runtime: python3.12}}",
        ]
    (root / "template.yaml").write_text("\n".join(lines) + "\n")
    return root


def big_template_project(root: Path, target_bytes: int = TEMPLATE_BYTES) -> Path:
    """A template of about `target_bytes`: functions with environments, events and descriptions."""
    src = root / "src"
    src.mkdir(parents=True, exist_ok=True)
    (src / "app.py").write_text("def handler(event, context):\n    return {}\n")
    head = "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n"
    head += "Globals:\n  Function:\n    Runtime: python3.12\n    Timeout: 10\nResources:\n"
    parts = [head]
    size, i = len(head), 0
    while True:
        block = (
            f"  Fn{i}:\n    Type: AWS::Serverless::Function\n    Properties:\n"
            f"      CodeUri: src\n      Handler: app.handler\n      MemorySize: 256\n"
            f"      Description: {'function number ' + str(i) + ' ' + 'x' * 200}\n"
            "      Environment:\n        Variables:\n"
            + "".join(f"          VAR_{j}: value-{i}-{j}-{'y' * 40}\n" for j in range(20))
            + "      Events:\n"
            + "".join(
                f"        Api{j}:\n          Type: Api\n          Properties: {{Path: /f{i}/r{j}, Method: get}}\n"
                for j in range(5)
            )
        )
        if size + len(block) > target_bytes:
            break
        parts.append(block)
        size += len(block)
        i += 1
    (root / "template.yaml").write_text("".join(parts))
    return root


def measure(project: Path) -> dict[str, float | int | str]:
    """Load `project` in a fresh interpreter; seconds, peak RSS (MB), functions, error diagnostics."""
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, str(project)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    result: dict[str, float | int | str] = json.loads(proc.stdout)
    return result


def _row(what: str, size: str, r: dict[str, float | int | str]) -> str:
    secs, cpu, rss = float(r["seconds"]), float(r["cpu"]), float(r["rss_mb"])
    ok = "yes" if cpu <= BUDGET_S and rss <= BUDGET_MB else "**no**"
    return (
        f"| {what} | {size} | {r['functions']:,} | {secs:.2f} s | {cpu:.2f} s | {rss:.0f} MB "
        f"| {r['errors']} | {ok} |"
    )


def run() -> str:
    rows = []
    load = os.getloadavg()[0]  # the machine is shared: CPU time says what the load cost us, wall what we felt
    with tempfile.TemporaryDirectory() as tmp:
        shared = shared_module_project(Path(tmp) / "shared")
        size = (shared / "src" / "app.py").stat().st_size
        rows.append(_row("functions sharing one module", f"module {size / 1024:.0f} KB", measure(shared)))
    with tempfile.TemporaryDirectory() as tmp:
        big = big_template_project(Path(tmp) / "big")
        size = (big / "template.yaml").stat().st_size
        rows.append(_row("one large template", f"template {size / 1024 / 1024:.1f} MB", measure(big)))
    return (
        f"`load_project` in a fresh interpreter (times include importing the loader); peak RSS is VmHWM. "
        f"Targets: ≤ {BUDGET_S:.0f} s and ≤ {BUDGET_MB} MB. Load average (1 min) at the start: {load:.2f} "
        f"on {os.cpu_count()} cores: on a busy machine the wall time exceeds the CPU time, so 'within target' "
        "judges the CPU time (and the peak RSS); on an idle machine the two are close.\n\n"
        "| project | size | functions | wall time | CPU time | peak RSS | error diagnostics | within target |\n"
        "|---|---|---:|---:|---:|---:|---:|---|\n" + "\n".join(rows) + "\n"
    )


if __name__ == "__main__":
    print(run())
