"""Per-template state shared while a template is turned into functions: resolver and diagnostics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.project.cfn_yaml import position, value_position
from app.project.intrinsics import NO_VALUE, Resolver, Unresolvable
from app.project.model import Diagnostic, Severity

_MISSING = object()


@dataclass
class TemplateContext:
    """One template being loaded: where it is, how to resolve its values, what went wrong."""

    path: Path
    data: dict[str, Any]
    resolver: Resolver
    id_prefix: str = ""
    depth: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # File-system answers shared by the functions of this load (thousands may share one CodeUri).
    memo: dict[Any, Any] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        """compute() once per key for this load: path resolution and stat calls repeat otherwise."""
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    def report(
        self,
        severity: Severity,
        code: str,
        message: str,
        container: Any = None,
        key: Any = None,
        function_id: str | None = None,
        sink: list[Diagnostic] | None = None,
        on_value: bool = False,
    ) -> None:
        """Record a diagnostic at the position of container[key] (or the container itself)."""
        line, column = (
            value_position(container, key) if on_value and key is not None else position(container, key)
        )
        diag = Diagnostic(severity, code, message, self.path, line, column, function_id)
        (self.diagnostics if sink is None else sink).append(diag)

    def resolve_property(
        self,
        props: Any,
        key: str,
        default: Any = None,
        function_id: str | None = None,
        sink: list[Diagnostic] | None = None,
    ) -> Any:
        """props[key] with intrinsics evaluated; an unresolvable value is reported and gives default."""
        if not isinstance(props, dict) or key not in props:
            return default
        try:
            value = self.resolver.resolve(props[key])
        except Unresolvable as exc:
            self.report(
                Severity.ERROR, "unresolvable-reference", f"{key}: {exc}", props, key, function_id, sink, True
            )
            return default
        return default if value is NO_VALUE else value
