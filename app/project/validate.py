"""Checks a FunctionSpec against Lambda's limits and the code on disk, producing diagnostics."""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import Any

from app.deploy.limits import function_name_problem, setting_problems
from app.project.context import TemplateContext
from app.project.model import FunctionSpec, Severity

ARCHITECTURES = ("x86_64", "arm64")

SUPPORTED_RUNTIMES = frozenset(
    {"python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14",
     "nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x",
     "java8.al2", "java11", "java17", "java21", "java25",
     "dotnet8", "dotnet10", "ruby3.2", "ruby3.3", "ruby3.4",
     "provided", "provided.al2", "provided.al2023"}
)  # fmt: skip
DEPRECATED_RUNTIMES = frozenset(
    {"python2.7", "python3.6", "python3.7", "python3.8", "nodejs", "nodejs4.3", "nodejs6.10",
     "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x", "java8", "dotnetcore1.0",
     "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1", "dotnet6", "dotnet7", "ruby2.5", "ruby2.7",
     "go1.x"}
)  # fmt: skip


def validate_function(ctx: TemplateContext, spec: FunctionSpec, props: dict[str, Any]) -> None:
    """Append to spec.diagnostics every limit or code problem of the function."""

    def report(severity: Severity, code: str, message: str, key: str | None, on_value: bool = True) -> None:
        where_key = key if key is not None and key in props else None
        container = props if where_key else None
        ctx.report(severity, code, message, container, where_key, spec.logical_id, spec.diagnostics, on_value)
        if container is None:  # point at the resource itself
            last = spec.diagnostics.pop()
            spec.diagnostics.append(
                type(last)(
                    last.severity, last.code, last.message, ctx.path, spec.line, spec.column, spec.logical_id
                )
            )

    for problem in setting_problems(spec):  # the one copy of Lambda's limits, shared with deploy
        on_value = problem.field != "Environment"
        report(Severity.ERROR, problem.code, problem.message, problem.field, on_value=on_value)
    if "FunctionName" in props:
        name_problem = function_name_problem(spec.function_name)
        if name_problem:
            report(Severity.ERROR, "function-name", name_problem, "FunctionName")
    if len(spec.architectures) != 1 or spec.architectures[0] not in ARCHITECTURES:
        report(
            Severity.ERROR,
            "architecture",
            f"Architectures must be one of {', '.join(ARCHITECTURES)}, got {spec.architectures}",
            "Architectures",
        )
    if spec.package_type == "Image":
        if not spec.image_uri and not spec.image_metadata.get("Dockerfile"):
            report(
                Severity.ERROR,
                "image-missing",
                "PackageType Image needs ImageUri or Metadata.Dockerfile",
                "ImageUri",
            )
        return
    if spec.package_type != "Zip":
        report(
            Severity.ERROR,
            "package-type",
            f"PackageType must be Zip or Image, got {spec.package_type}",
            "PackageType",
        )
    if not spec.runtime and "Runtime" not in props:
        report(Severity.ERROR, "runtime-missing", "Runtime is required for a Zip function", "Runtime")
    elif not spec.runtime:
        pass  # present but unresolvable: already reported
    elif spec.runtime in DEPRECATED_RUNTIMES:
        report(
            Severity.WARNING,
            "runtime-deprecated",
            f"runtime {spec.runtime} is deprecated by Lambda",
            "Runtime",
        )
    elif spec.runtime not in SUPPORTED_RUNTIMES:
        report(Severity.ERROR, "runtime-unknown", f"unknown runtime {spec.runtime!r}", "Runtime")
    if not spec.handler:
        if "Handler" not in props:
            report(Severity.ERROR, "handler-missing", "Handler is required for a Zip function", "Handler")
        return
    if spec.handler_module_and_function is None:
        report(
            Severity.ERROR,
            "handler-malformed",
            f"Handler {spec.handler!r} must be 'module.function' (for example app.lambda_handler)",
            "Handler",
        )
        return
    code_dir = spec.code_dir
    if (
        spec.runtime
        and spec.runtime.startswith("python")
        and code_dir
        and ctx.cached(("is-dir", code_dir), code_dir.is_dir)
    ):
        key = ("handler-file", code_dir, spec.handler_module_and_function[0])
        missing = check_python_handler(spec, ctx.cached(key, lambda: spec.handler_file))
        if missing:
            report(Severity.ERROR, "handler-not-found", missing, "Handler")


def check_python_handler(spec: FunctionSpec, handler_file: Path | None | object = ...) -> str | None:
    """Why the handler cannot be found in the code directory, or None when it is there (or cannot be told).

    `handler_file` is spec.handler_file when the caller already knows it (shared by many functions).
    """
    parts, code_dir = spec.handler_module_and_function, spec.code_dir
    if parts is None or code_dir is None:
        return None
    module, func = parts
    path = spec.handler_file if handler_file is ... else handler_file
    if path is not None and not isinstance(path, Path):
        return None
    if path is None:
        rel = Path(*module.split("."))
        if any(code_dir.glob(f"{rel}.*.so")) or any(code_dir.glob(f"{rel}.*.pyd")):
            return None  # a compiled extension module: cannot be inspected
        return f"handler module {module!r} not found: no {rel.with_suffix('.py')} in {code_dir}"
    try:
        st = path.stat()
    except OSError:
        return None
    summary = _module_summary(str(path), st.st_mtime_ns, st.st_size)
    if isinstance(summary, str):
        return summary
    if summary is None or func in summary:
        return None
    return f"handler function {func!r} not found in {path.relative_to(code_dir)}"


@functools.lru_cache(maxsize=512)
def _module_summary(path: str, mtime_ns: int, size: int) -> frozenset[str] | str | None:
    """A module's top-level names (None: cannot be told) or its syntax error; parsed once per version.

    Thousands of functions often share one handler module: keyed by path, mtime and size, the
    module is parsed once per load (and again only when it changes).
    """
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            tree = ast.parse(f.read(), path)
    except SyntaxError as exc:
        return f"handler module {Path(path).name} has a syntax error at line {exc.lineno}: {exc.msg}"
    except (OSError, ValueError, RecursionError):
        return None
    names = top_level_names(tree)
    return None if names is None else frozenset(names)


def module_parse_count() -> int:
    """How many times a handler module was parsed in this process (the cache's misses)."""
    return _module_summary.cache_info().misses


def top_level_names(tree: ast.Module) -> set[str] | None:
    """Names a module defines at top level; None when it may define more than can be seen."""
    names: set[str] = set()
    for node in _top_level_statements(tree.body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            if node.name == "__getattr__":
                return None
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        names.add(sub.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    return None
                names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            # globals().update(...) and similar can define anything
            func = node.value.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
                return None
    return names


def _top_level_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements at module level, looking inside if/try/with blocks which also define globals."""
    out: list[ast.stmt] = []
    for node in body:
        out.append(node)
        if isinstance(node, ast.If | ast.For | ast.While | ast.With):
            out.extend(_top_level_statements(node.body + getattr(node, "orelse", [])))
        elif isinstance(node, ast.Try):
            blocks = node.body + node.orelse + node.finalbody
            for handler in node.handlers:
                blocks += handler.body
            out.extend(_top_level_statements(blocks))
    return out
