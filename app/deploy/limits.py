"""Lambda's documented limits on a function's name and settings, checked locally before any AWS call."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.deploy.errors import KIND_LIMIT, DeployError
from app.project.model import FunctionSpec

MEMORY_RANGE = (128, 10_240)  # MB
TIMEOUT_RANGE = (1, 900)  # seconds
EPHEMERAL_RANGE = (512, 10_240)  # MB of /tmp
MAX_LAYERS = 5
MAX_ENV_BYTES = 4 * 1024  # keys and values together
MAX_NAME = 64  # the bare function name
MAX_NAME_OR_ARN = 140  # CreateFunction's FunctionName, ARN forms included
MAX_HANDLER = 128

_NAME = re.compile(r"[A-Za-z0-9_-]+")
# Lambda's FunctionName pattern: a name, a partial ARN (account:function:name) or a full ARN,
# each optionally with a :version or :alias qualifier.
_NAME_OR_ARN = re.compile(
    r"(?:arn:aws[a-zA-Z-]*:lambda:)?(?:[a-z]{2}(?:-gov)?-[a-z]+-\d:)?(?:\d{12}:)?(?:function:)?"
    r"(?P<name>[A-Za-z0-9_-]+)(?::(?:\$LATEST|[A-Za-z0-9_-]+))?"
)
_HANDLER = re.compile(r"\S+")


@dataclass(frozen=True)
class LimitProblem:
    """One setting outside Lambda's limits: the template field, a short code and the message."""

    field: str
    code: str
    message: str

    def __str__(self) -> str:
        return self.message


def function_name_problem(name: str | None) -> str | None:
    """Why `name` is not a valid Lambda function name or ARN (name, account:function:name, full ARN)."""
    if not name:
        return "FunctionName is empty; Lambda needs 1 to 64 characters"
    if len(name) > MAX_NAME_OR_ARN:
        return f"FunctionName {name[:40]!r}... is {len(name)} characters; Lambda allows {MAX_NAME_OR_ARN} with an ARN"
    m = _NAME_OR_ARN.fullmatch(name)
    if m is None:
        bad = sorted({c for c in name if not (c.isascii() and (c.isalnum() or c in "-_:$"))})
        shown = "".join(bad) or ":"
        return (
            f"FunctionName {name!r} is not a function name or ARN: a name is 1 to 64 letters, digits, "
            f"hyphens or underscores (not {shown!r})"
        )
    if len(m.group("name")) > MAX_NAME:
        return (
            f"FunctionName {m.group('name')!r} is {len(m.group('name'))} characters; "
            f"Lambda allows at most {MAX_NAME}"
        )
    return None


def handler_problem(handler: str | None) -> str | None:
    """Why a Python handler string cannot work: missing, too long, spaces, or not module.function."""
    if not handler:
        return "the function has no Handler"
    if len(handler) > MAX_HANDLER:
        return f"Handler is {len(handler)} characters; Lambda allows at most {MAX_HANDLER}"
    if not _HANDLER.fullmatch(handler):
        return f"Handler {handler!r} may not contain spaces"
    module, _, func = handler.rpartition(".")
    if not module or not func:
        return f"Handler {handler!r} must be 'module.function' (for example app.lambda_handler)"
    return None


def env_bytes(environment: dict[str, str]) -> int:
    return sum(len(str(k).encode()) + len(str(v).encode()) for k, v in environment.items())


def setting_problems(fn: FunctionSpec) -> list[LimitProblem]:
    """Memory, timeout, /tmp size, layer count and environment size outside Lambda's limits."""
    out = []
    lo, hi = MEMORY_RANGE
    if not lo <= fn.memory_size <= hi:
        out.append(
            LimitProblem(
                "MemorySize", "memory-range", f"MemorySize {fn.memory_size} MB is outside {lo}–{hi:,} MB"
            )
        )
    lo, hi = TIMEOUT_RANGE
    if not lo <= fn.timeout <= hi:
        out.append(LimitProblem("Timeout", "timeout-range", f"Timeout {fn.timeout} s is outside {lo}–{hi} s"))
    lo, hi = EPHEMERAL_RANGE
    if not lo <= fn.ephemeral_storage <= hi:
        out.append(
            LimitProblem(
                "EphemeralStorage",
                "ephemeral-storage-range",
                f"EphemeralStorage {fn.ephemeral_storage} MB is outside {lo}–{hi:,} MB",
            )
        )
    if len(fn.layers) > MAX_LAYERS:
        out.append(
            LimitProblem(
                "Layers", "too-many-layers", f"{len(fn.layers)} layers; Lambda allows at most {MAX_LAYERS}"
            )
        )
    size = env_bytes(fn.environment)
    if size > MAX_ENV_BYTES:
        out.append(
            LimitProblem(
                "Environment",
                "environment-too-large",
                f"environment variables take {size:,} bytes; Lambda allows 4 KB (4,096 bytes) in total",
            )
        )
    return out


def function_problems(fn: FunctionSpec) -> list[LimitProblem]:
    """Every local reason Lambda would refuse to create or update this zip function."""
    out = []
    name = function_name_problem(fn.function_name)
    if name:
        out.append(LimitProblem("FunctionName", "function-name", name))
    if fn.package_type == "Zip":
        handler = handler_problem(fn.handler)
        if handler:
            out.append(LimitProblem("Handler", "handler", handler))
    return out + setting_problems(fn)


def refuse_function(fn: FunctionSpec) -> None:
    """Raise a DeployError listing every limit the function breaks; call it before any AWS call."""
    problems = function_problems(fn)
    if problems:
        raise DeployError(
            f"Cannot deploy {fn.function_name}: " + "; ".join(p.message for p in problems) + ".",
            "Fix these in the template; Lambda would refuse them.",
            KIND_LIMIT,
        )


def refuse_name(name: str) -> None:
    """Raise a DeployError when `name` cannot be a Lambda function name or ARN (before calling AWS)."""
    problem = function_name_problem(name)
    if problem:
        raise DeployError(
            problem + ".", "Check the name: `lambda-studio remote list` shows them.", KIND_LIMIT
        )
