"""The differential case list: handler code and what every runtime/emulator pair must agree on."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.result import Outcome

FUNCTION_NAME = "difffn"
TIMEOUT_S = 1
# Only the cases about time run with TIMEOUT_S; the others get this much, so a loaded 2-core machine
# (a runtime starting slowly, a starved warm invoke) does not turn them into timeouts.
LOADED_TIMEOUT_S = 30
TIME_CASES = ("timeout", "context")
MEMORY_MB = 128

FILES = {
    "app.py": """
        import decimal, logging, os, sys, time
        import layermod

        def ok(event, context):
            return {"hello": event.get("name")}

        def output(event, context):
            print("printed line")
            logging.getLogger().warning("warned %s", 1)
            logging.getLogger().info("hidden at the default level")
            sys.stderr.write("to stderr\\n")
            return "done"

        def ctx(event, context):
            return {
                "aws_request_id": context.aws_request_id,
                "function_name": context.function_name,
                "function_version": context.function_version,
                "invoked_function_arn": context.invoked_function_arn,
                "memory_limit_in_mb": context.memory_limit_in_mb,
                "log_group_name": context.log_group_name,
                "log_stream_name": context.log_stream_name,
                "remaining": context.get_remaining_time_in_millis(),
                "identity": [context.identity.cognito_identity_id, context.identity.cognito_identity_pool_id],
                "client_context": context.client_context,
            }

        ENV_KEYS = [
            "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
            "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_REGION", "AWS_DEFAULT_REGION",
            "AWS_LAMBDA_RUNTIME_API", "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "TZ", "LANG", "AWS_LAMBDA_INITIALIZATION_TYPE",
            "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "AWS_EXECUTION_ENV", "MY_VAR",
        ]

        def env(event, context):
            return {k: os.environ.get(k) for k in ENV_KEYS}

        def raises(event, context):
            raise ValueError("boom")

        def returns_set(event, context):
            return {1, 2}

        def returns_none(event, context):
            return None

        def returns_decimal(event, context):
            return {"d": decimal.Decimal("1.10"), "i": decimal.Decimal("3"), "s": "é"}

        def sleeps(event, context):
            time.sleep(5)

        def exits(event, context):
            sys.exit(3)

        def hog(event, context):
            chunks = [b"x" * (32 * 1024 * 1024) for _ in range(8)]
            time.sleep(0.2)  # hold it: our limit is enforced by polling (every <= 20 ms), not by a cgroup
            return len(chunks)

        def too_big(event, context):
            return "x" * 7_000_000

        def uses_layer(event, context):
            return layermod.VALUE
    """,
    "imperr.py": "import nonexistent_mod_xyz\n\ndef handler(event, context):\n    return 1\n",
    "synerr.py": "def handler(event, context:\n    return 1\n",
    "pkg/__init__.py": "",
    "pkg/sub/__init__.py": "",
    "pkg/sub/mod.py": "def fn(event, context):\n    return {'nested': True}\n",
}
LAYER_FILES = {"python/layermod.py": "VALUE = 'from the layer'\n"}


def write_project(root: Path) -> tuple[Path, Path]:
    """Writes the handler code and the layer; returns (code_dir, layer_dir)."""
    code, layer = root / "code", root / "layer"
    for base, files in ((code, FILES), (layer, LAYER_FILES)):
        for rel, text in files.items():
            path = base / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip())
    return code, layer


@dataclass
class Observed:
    """What one stack returned for one case."""

    function_error: bool
    payload: bytes
    log: str
    outcome: str = ""  # ours only: success|function_error|timeout|crash|init_error

    @property
    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass
class Case:
    name: str
    handler: str
    error_type: str | None = None  # expected errorType; None = success
    message: str | None = None  # expected errorMessage (exact) or a prefix ending with '…'
    payload: Any = field(default=None)
    raw_payload: bytes | None = None  # exact bytes expected
    check: Callable[[Observed], None] | None = None
    ours_only: str | None = None  # why the RIE oracle differs (named deliberate difference)


def _check_output(obs: Observed) -> None:
    assert "printed line" in obs.log
    assert "to stderr" in obs.log
    assert any(
        line.startswith("[WARNING]\t") and line.endswith("\twarned 1") for line in obs.log.splitlines()
    )
    assert "hidden at the default level" not in obs.log


def _check_ctx(obs: Observed) -> None:
    data = obs.json
    assert data["function_name"] == FUNCTION_NAME
    assert data["function_version"] == "$LATEST"
    assert data["memory_limit_in_mb"] == str(MEMORY_MB)
    assert data["invoked_function_arn"].endswith(f":function:{FUNCTION_NAME}")
    assert data["log_group_name"].startswith(
        "/aws/lambda/"
    )  # RIE: '/aws/lambda/Functions'; ours: exact below
    assert 0 < data["remaining"] <= TIMEOUT_S * 1000
    assert data["identity"] == [None, None]
    assert data["client_context"] is None
    assert len(data["aws_request_id"]) == 36


def _check_ctx_exact(obs: Observed) -> None:
    """Ours names the log group and stream as Lambda does (RIE uses fixed placeholders)."""
    _check_ctx(obs)
    assert obs.json["log_group_name"] == f"/aws/lambda/{FUNCTION_NAME}"
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", obs.json["log_stream_name"])


def _check_env(obs: Observed) -> None:
    data = obs.json
    for key in (
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_RUNTIME_API",
        "_HANDLER",
    ):
        assert data[key], key
    assert data["AWS_LAMBDA_FUNCTION_NAME"] == FUNCTION_NAME
    assert data["_HANDLER"] == "app.env"
    assert data["MY_VAR"] == "my value"
    assert data["_X_AMZN_TRACE_ID"].startswith("Root=1-")


def _check_env_full(obs: Observed) -> None:
    """Ours sets the whole documented set (RIE leaves several out: see the oracle test)."""
    _check_env(obs)
    missing = [k for k, v in obs.json.items() if v is None]
    assert missing == [], missing
    assert obs.json["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == str(MEMORY_MB)
    assert (
        obs.json["AWS_LAMBDA_LOG_STREAM_NAME"].count("/") == 3
        and "[$LATEST]" in obs.json["AWS_LAMBDA_LOG_STREAM_NAME"]
    )
    assert obs.json["TZ"] == ":UTC"


def _check_trace(obs: Observed) -> None:
    trace = obs.json["stackTrace"]
    assert trace and all("bootstrap.py" not in t and "awslambdaric" not in t for t in trace)
    assert 'app.py", line' in trace[-1] and "raises" in trace[-1]


CASES = [
    Case("success", "app.ok", payload={"hello": "world"}),
    Case("output", "app.output", payload="done", check=_check_output),
    Case("context", "app.ctx", check=_check_ctx),
    Case("environment", "app.env", check=_check_env),
    Case("raises", "app.raises", "ValueError", "boom", check=_check_trace),
    Case("import_error", "imperr.handler", "Runtime.ImportModuleError",
         "Unable to import module 'imperr': No module named 'nonexistent_mod_xyz'"),
    Case("syntax_error", "synerr.handler", "Runtime.UserCodeSyntaxError", "Syntax error in module 'synerr': …"),
    Case("missing_handler", "app.missing", "Runtime.HandlerNotFound", "Handler 'missing' missing on module 'app'"),
    Case("malformed_handler", "nodots", "Runtime.MalformedHandlerName",
         "Bad handler 'nodots': not enough values to unpack (expected 2, got 1)"),
    Case("set_returned", "app.returns_set", "Runtime.MarshalError",
         "Unable to marshal response: Object of type set is not JSON serializable"),
    Case("none_returned", "app.returns_none", raw_payload=b"null"),
    Case("decimal", "app.returns_decimal", raw_payload=b'{"d": 1.10, "i": 3, "s": "\\u00e9"}'),
    Case("timeout", "app.sleeps", "Sandbox.Timedout", "RequestId: …",
         ours_only="RIE answers the text 'Task timed out after 1.00 seconds'; we answer real Lambda's JSON error"),
    Case("sys_exit", "app.exits", "Runtime.ExitError", "RequestId: …"),
    Case("memory_hog", "app.hog", "Runtime.ExitError", "RequestId: …",
         ours_only="RIE does not enforce MemorySize (the hog succeeds there); we kill at the limit as Lambda does"),
    Case("response_too_large", "app.too_big", "Function.ResponseSizeTooLarge",
         "Response payload size exceeded maximum allowed payload size (6291556 bytes)."),
    Case("nested_package_slash", "pkg/sub/mod.fn", payload={"nested": True}),
    Case("nested_package_dotted", "pkg.sub.mod.fn", payload={"nested": True}),
    Case("layer_import", "app.uses_layer", payload="from the layer"),
]  # fmt: skip
CASE_IDS = [c.name for c in CASES]

# The outcome each failing case must have in every backend (the rest are function errors or successes).
EXPECTED_OUTCOME = {
    "timeout": Outcome.TIMEOUT,
    "sys_exit": Outcome.CRASH,
    "memory_hog": Outcome.CRASH,
    "import_error": Outcome.INIT_ERROR,
    "syntax_error": Outcome.INIT_ERROR,
    "missing_handler": Outcome.INIT_ERROR,
    "malformed_handler": Outcome.INIT_ERROR,
}


def assert_case(case: Case, obs: Observed) -> None:
    """The agreement every stack must reach: payload or error type and message."""
    if case.error_type is None:
        assert not obs.function_error, obs.payload[:500]
        if case.raw_payload is not None:
            assert obs.payload == case.raw_payload
        elif case.payload is not None:
            assert obs.json == case.payload
    else:
        assert obs.function_error, obs.payload[:500]
        err = obs.json
        assert err["errorType"] == case.error_type, err
        if case.message and case.message.endswith("…"):
            assert err["errorMessage"].startswith(case.message[:-1]), err
        elif case.message is not None:
            assert err["errorMessage"] == case.message, err
    if case.check is not None:
        case.check(obs)


def case_timeout(case: Case) -> float:
    """The function timeout a case runs with (see TIME_CASES)."""
    return TIMEOUT_S if case.name in TIME_CASES else LOADED_TIMEOUT_S
