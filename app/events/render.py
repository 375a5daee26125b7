"""Safe rendering of event templates: typed parameters, encodings, derived values, `{{name}}` substitution."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import secrets
import string
import urllib.parse
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from runner.errors import UserFacingError

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
ENCODINGS = ("plain", "base64", "url", "json")
TYPES = ("string", "integer", "number", "boolean", "json")
NOW_FORMATS = (
    "iso8601",  # 2026-11-23T03:37:09Z (EventBridge, CloudWatch scheduled)
    "iso8601_ms",  # 2026-11-23T03:37:09.123Z (S3, SNS, Config)
    "iso8601_ms_offset",  # 2026-11-23T03:37:09.123+0000 (CloudWatch alarm state timestamps)
    "epoch_s",  # 1795405029 (int; DynamoDB ApproximateCreationDateTime)
    "epoch_s_float",  # 1795405029.123 (Kinesis approximateArrivalTimestamp)
    "epoch_ms",  # 1795405029123 (int; API Gateway requestTimeEpoch, Kafka timestamp)
    "epoch_ms_string",  # "1795405029123" (SQS SentTimestamp attributes are strings)
    "clf",  # 23/Nov/2026:03:37:09 +0000 (API Gateway requestContext.requestTime)
    "http",  # Sun, 23 Nov 2026 03:37:09 GMT (HTTP Date headers, CloudFront/ALB responses)
    "date",  # 2026-11-23
)
STEPS = ("json", "gzip", "base64", "url", "md5", "sha256", "length")
_CF_ID_ALPHABET = string.ascii_letters + string.digits + "-_"


class RenderError(UserFacingError, ValueError):
    """A parameter value or a template the renderer cannot use; the message says what to fix."""


@dataclass(frozen=True)
class Parameter:
    """One user-settable value of a template."""

    name: str
    default: Any
    help: str = ""
    encoding: str = "plain"
    type: str = "string"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "default": self.default,
            "help": self.help,
            "encoding": self.encoding,
            "type": self.type,
        }


def parameter_from_json(data: Mapping[str, Any], where: str) -> Parameter:
    """Build a Parameter from its catalog entry, checking its name, encoding, type and default."""
    name = data.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise RenderError(f"{where}: parameter name {name!r} must be an identifier")
    encoding = data.get("encoding", "plain")
    if encoding not in ENCODINGS:
        raise RenderError(f"{where}: parameter {name!r} has unknown encoding {encoding!r}")
    ptype = data.get("type", "json" if encoding == "json" else "string")
    if ptype not in TYPES:
        raise RenderError(f"{where}: parameter {name!r} has unknown type {ptype!r}")
    if "default" not in data:
        raise RenderError(f"{where}: parameter {name!r} has no default")
    param = Parameter(name, data["default"], str(data.get("help", "")), encoding, ptype)
    check_value(param, param.default)
    return param


def check_value(param: Parameter, value: Any) -> Any:
    """Return `value` if it fits the parameter's type, else raise RenderError."""
    ok = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "json": True,
    }[param.type]
    if not ok:
        raise RenderError(f"parameter {param.name!r} must be {_article(param.type)}, got {value!r}")
    if param.encoding in ("base64", "url") and not isinstance(value, str):
        raise RenderError(f"parameter {param.name!r} ({param.encoding}) must be text")
    return value


def parse_value(param: Parameter, text: str) -> Any:
    """Convert command-line text (`--set name=text`) to the parameter's type."""
    try:
        if param.type == "string":
            return text
        if param.type == "integer":
            return int(text)
        if param.type == "number":
            number = float(text)
            return int(number) if number.is_integer() and "." not in text else number
        if param.type == "boolean":
            lowered = text.strip().lower()
            if lowered in ("true", "1", "yes", "on"):
                return True
            if lowered in ("false", "0", "no", "off"):
                return False
            raise ValueError(text)
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RenderError(
            f"parameter {param.name!r} must be JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        )
    except ValueError:
        raise RenderError(f"parameter {param.name!r} must be {_article(param.type)}, got {text!r}")


def _article(type_name: str) -> str:
    return {"integer": "an integer", "json": "JSON"}.get(type_name, f"a {type_name}")


def encode(encoding: str, value: Any) -> Any:
    """Apply a parameter encoding to a value, giving what is placed in the event."""
    if encoding == "plain":
        return value
    if encoding == "base64":
        return base64.b64encode(str(value).encode("utf-8")).decode("ascii")
    if encoding == "url":
        # S3 notifications carry keys form-encoded: spaces as '+', other specials as %XX.
        return urllib.parse.quote_plus(str(value), safe="/")
    if encoding == "json":
        # The event carries the value as JSON text (an SQS body, an API Gateway body, an SNS message).
        return json.dumps(value, separators=(",", ":"))
    raise RenderError(f"unknown encoding {encoding!r}")


def decode(encoding: str, value: Any) -> Any:
    """Invert `encode` (used by tests and by the editor to show the readable value)."""
    if encoding == "plain":
        return value
    if encoding == "json":
        return json.loads(value)
    if encoding == "base64":
        return base64.b64decode(str(value)).decode("utf-8")
    if encoding == "url":
        return urllib.parse.unquote_plus(str(value))
    raise RenderError(f"unknown encoding {encoding!r}")


def apply_steps(steps: list[str], value: Any) -> Any:
    """Run a fixed pipeline of transforms (json, gzip, base64, url, md5, sha256, length) over a value."""
    data: Any = value
    for step in steps:
        if step == "json":
            data = json.dumps(data, separators=(",", ":"))
        elif step == "gzip":
            raw = data if isinstance(data, bytes) else str(data).encode("utf-8")
            data = gzip.compress(raw, mtime=0)
        elif step == "base64":
            raw = data if isinstance(data, bytes) else str(data).encode("utf-8")
            data = base64.b64encode(raw).decode("ascii")
        elif step == "url":
            data = urllib.parse.quote_plus(str(data), safe="/")
        elif step in ("md5", "sha256"):
            raw = data if isinstance(data, bytes) else str(data).encode("utf-8")
            data = hashlib.new(step, raw).hexdigest()
        elif step == "length":
            data = len(data) if isinstance(data, bytes) else len(str(data).encode("utf-8"))
        else:
            raise RenderError(f"unknown step {step!r} (known: {', '.join(STEPS)})")
    if isinstance(data, bytes):
        data = base64.b64encode(data).decode("ascii")
    return data


def format_now(fmt: str, now: datetime) -> Any:
    """Format a UTC time the way a given service writes it."""
    ms = now.microsecond // 1000
    if fmt == "iso8601":
        return now.strftime("%Y-%m-%dT%H:%M:%SZ")
    if fmt == "iso8601_ms":
        return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms:03d}Z"
    if fmt == "iso8601_ms_offset":
        return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms:03d}+0000"
    if fmt == "epoch_s":
        return int(now.timestamp())
    if fmt == "epoch_s_float":
        return round(int(now.timestamp()) + ms / 1000, 3)
    if fmt in ("epoch_ms", "epoch_ms_string"):
        value = int(now.timestamp()) * 1000 + ms
        return str(value) if fmt == "epoch_ms_string" else value
    if fmt == "clf":
        return now.strftime("%d/%b/%Y:%H:%M:%S +0000")
    if fmt == "http":
        return now.strftime("%a, %d %b %Y %H:%M:%S GMT")
    if fmt == "date":
        return now.strftime("%Y-%m-%d")
    raise RenderError(f"unknown time format {fmt!r} (known: {', '.join(NOW_FORMATS)})")


def derive(spec: Mapping[str, Any], values: Mapping[str, Any], now: datetime) -> Any:
    """Compute one derived value from its spec; `values` holds parameters and earlier derived values."""
    fn = spec.get("fn")
    if fn == "uuid":
        return str(uuid.uuid4())
    if fn == "hex":
        return secrets.token_hex(int(spec.get("length", 32)) // 2 + 1)[: int(spec.get("length", 32))]
    if fn == "digits":
        return "".join(secrets.choice(string.digits) for _ in range(int(spec.get("length", 20))))
    if fn == "now":
        return format_now(str(spec.get("format", "iso8601")), now)
    if fn == "trace_id":
        # X-Ray trace header as ALB/API Gateway add it: Root=1-<epoch seconds hex>-<96-bit random hex>.
        return f"Root=1-{int(now.timestamp()):08x}-{secrets.token_hex(12)}"
    if fn == "cloudfront_id":
        # CloudFront request ids are 56 characters of URL-safe base64 ending in "==".
        return "".join(secrets.choice(_CF_ID_ALPHABET) for _ in range(54)) + "=="
    if fn == "transform":
        if "of" not in spec:
            raise RenderError("derived 'transform' needs 'of'")
        return apply_steps(list(spec.get("steps", [])), substitute(spec["of"], values))
    raise RenderError(f"unknown derived function {fn!r}")


def substitute(node: Any, values: Mapping[str, Any]) -> Any:
    """Replace `{{name}}` placeholders in a parsed JSON tree; no expression is ever evaluated.

    A string that is exactly one placeholder takes the value itself (number, object...);
    a placeholder inside longer text is replaced by the value's text.
    """
    if isinstance(node, dict):
        return {_substitute_text(k, values): substitute(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [substitute(item, values) for item in node]
    if isinstance(node, str):
        whole = PLACEHOLDER.fullmatch(node)
        if whole:
            return _lookup(whole.group(1), values)
        return _substitute_text(node, values)
    return node


def _substitute_text(text: str, values: Mapping[str, Any]) -> str:
    return PLACEHOLDER.sub(lambda m: _as_text(_lookup(m.group(1), values)), text)


def _lookup(name: str, values: Mapping[str, Any]) -> Any:
    if name not in values:
        raise RenderError(f"placeholder {{{{{name}}}}} names no parameter or derived value")
    return values[name]


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def placeholders(node: Any) -> set[str]:
    """Every placeholder name used in a tree (keys and values)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for k, v in node.items():
            found |= placeholders(k) | placeholders(v)
    elif isinstance(node, list):
        for item in node:
            found |= placeholders(item)
    elif isinstance(node, str):
        found.update(PLACEHOLDER.findall(node))
    return found


def utc_now() -> datetime:
    return datetime.now(UTC)
