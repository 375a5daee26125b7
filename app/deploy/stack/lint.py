"""cfn-lint on the project's template: findings at their line and column, for the deploy and the editor."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from app.fsutil import atomic_write
from app.project.model import Diagnostic, Severity

_SEVERITIES = {"error": Severity.ERROR}


def lint_text(text: str, *, filename: Path | None = None, region: str = "us-east-1") -> list[Diagnostic]:
    """Blocks: cfn-lint findings for template text (SAM templates are transformed by cfn-lint itself).

    Errors are Severity.ERROR; warnings and informational findings are Severity.WARNING. The template
    editor can call this with the buffer's text and mark each finding at its line and column.
    """
    from cfnlint.api import ManualArgs, lint

    matches = lint(text, config=ManualArgs(regions=[region]))
    out = []
    for m in matches:
        rule = m.rule
        severity = _SEVERITIES.get(str(getattr(rule, "severity", "error")).lower(), Severity.WARNING)
        out.append(
            Diagnostic(
                severity,
                f"cfn-lint {rule.id}",
                str(m.message),
                filename,
                int(m.linenumber) if m.linenumber else None,
                int(m.columnnumber) if m.columnnumber else None,
            )
        )
    return out


def _version() -> str:
    from importlib.metadata import version

    return version("cfn-lint")


def lint_template(
    path: Path,
    *,
    region: str,
    cache_dir: Path | None = None,
    isolated: bool = False,
    cancel: threading.Event | None = None,
) -> list[Diagnostic]:
    """Blocks: cfn-lint the template file; results are cached by content (the same text, the same findings).

    isolated=True lints in a child Python process (the window uses it: cfn-lint is pure Python and
    would hold the GIL for seconds, freezing the GUI thread); `cancel` stops that child.
    """
    text = path.read_text(encoding="utf-8")
    cache: Path | None = None
    if cache_dir is not None:
        key = hashlib.sha256(f"{_version()}|{region}|{text}".encode()).hexdigest()[:32]
        cache = cache_dir / "lint" / f"{key}.json"
        try:
            rows = json.loads(cache.read_text(encoding="utf-8"))
            return [
                Diagnostic(Severity(r["severity"]), r["code"], r["message"], path, r["line"], r["column"])
                for r in rows
            ]
        except (OSError, ValueError, KeyError):
            pass
    found = (
        _lint_in_child(text, path, region, cancel)
        if isolated
        else lint_text(text, filename=path, region=region)
    )
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(cache, json.dumps([d.to_json() for d in found]))  # two windows may lint at once
    return found


def _lint_in_child(text: str, path: Path, region: str, cancel: threading.Event | None) -> list[Diagnostic]:
    if getattr(sys, "frozen", False):  # a frozen bundle's executable is not a Python: lint in this process
        return lint_text(text, filename=path, region=region)
    child = subprocess.Popen(
        [sys.executable, "-m", "app.deploy.stack.lint", region],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    result: dict[str, bytes] = {}
    talk = threading.Thread(
        target=lambda: result.update(zip(("out", "err"), child.communicate(text.encode()), strict=True))
    )
    talk.start()
    while talk.is_alive():
        talk.join(0.1)
        if cancel is not None and cancel.is_set() and child.poll() is None:
            child.kill()
    if child.returncode != 0:
        message = result.get("err", b"").decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError("cfn-lint failed: " + (message[-1] if message else f"exit {child.returncode}"))
    rows = json.loads(result["out"])
    return [
        Diagnostic(Severity(r["severity"]), r["code"], r["message"], path, r["line"], r["column"])
        for r in rows
    ]


if __name__ == "__main__":  # the child of _lint_in_child: template text on stdin, findings as JSON on stdout
    if hasattr(os, "nice"):  # background work: the window's clicks and invokes come first on a busy CPU
        os.nice(10)
    found = lint_text(sys.stdin.read(), region=sys.argv[1] if len(sys.argv) > 1 else "us-east-1")
    json.dump([d.to_json() for d in found], sys.stdout)
