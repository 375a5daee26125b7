"""The window's AWS connection (profile, region, endpoint from the settings) and remote results as InvokeResults."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.settings import Settings
from runner.result import InvokeResult, Outcome, error_from_payload

if TYPE_CHECKING:
    from app.deploy.connection import Connection
    from app.deploy.remote import RemoteInvokeResult

ConnectFn = Callable[[str | None, str | None, str | None], "Connection"]


def default_connect(profile: str | None, region: str | None, endpoint_url: str | None) -> Connection:
    """Opens the boto3 session (reads ~/.aws files): call it on a worker thread."""
    from app.deploy.connection import connect  # boto3 is imported on first use: start-up stays short

    return connect(profile, region, endpoint_url)


class AwsContext:
    """One connection per (profile, region, endpoint), reused so its clients and identity are cached."""

    def __init__(self, settings: Settings, connect: ConnectFn | None = None) -> None:
        self.settings = settings
        self._connect = connect or default_connect
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str, str], Connection] = {}

    def key(self) -> tuple[str, str, str]:
        s = self.settings
        return (
            str(s.get("aws_profile") or ""),
            str(s.get("aws_region") or ""),
            str(s.get("aws_endpoint_url") or ""),
        )

    def describe(self) -> str:
        profile, region, endpoint = self.key()
        return f"{profile or 'default'} · {region or 'no region'}" + (f" · {endpoint}" if endpoint else "")

    def connection(self, key: tuple[str, str, str] | None = None, *, fresh: bool = False) -> Connection:
        """Blocks (opens the session the first time): the connection for `key` or the settings' one.

        `fresh` opens a new session (after `aws sso login` or edited ~/.aws files, a cached one is stale).
        """
        key = key or self.key()
        with self._lock:
            conn = None if fresh else self._cache.get(key)
        if conn is None:
            profile, region, endpoint = key
            conn = self._connect(profile or None, region or None, endpoint or None)
            with self._lock:
                if fresh:
                    self._cache[key] = conn
                else:
                    conn = self._cache.setdefault(key, conn)
        return conn


def remote_result(function_id: str, name: str, region: str, answer: RemoteInvokeResult) -> InvokeResult:
    """A remote invoke's answer in the shape the result view and the history show."""
    failed = not answer.ok
    version = f", version {answer.executed_version}" if answer.executed_version else ""
    return InvokeResult(
        request_id=answer.request_id or "",
        function_id=function_id,
        outcome=Outcome.FUNCTION_ERROR if failed else Outcome.SUCCESS,
        payload=answer.payload,
        error=error_from_payload(answer.payload) if failed else None,
        log_text=answer.log_tail,
        backend="AWS",
        note=f"{name} in {region}{version}, {answer.seconds * 1000:.0f} ms round trip",
    )
