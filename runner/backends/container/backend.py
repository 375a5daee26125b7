"""The container backend: invokes a function in a Lambda-like container from a warm pool."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runner.backends.container.engine import (
    ContainerBackendError,
    ProgressSink,
    ensure_image,
    explain_engine_error,
    image_for,
    platform_for,
)
from runner.backends.container.live_log import REPORT_WAIT_S, LiveSink, await_line
from runner.backends.container.pool import ContainerPool, PoolFull
from runner.backends.container.results import (
    BACKEND,
    cancelled_result,
    crashed_result,
    exit_state,
    from_emulator,
    from_rie,
    refusal,
)
from runner.backends.container.warm import WarmContainer
from runner.backends.contract import WARM_UP_WAIT_S, CancelToken, LogSink
from runner.backends.process.backend import DUMMY_CREDENTIALS
from runner.config import FunctionConfig
from runner.debug.session import (
    CONTAINER_DEBUG_PORT,
    DEBUG_GRACE_S,
    DebugOptions,
    announce_when_listening,
    debug_note,
    ensure_debugpy,
)
from runner.emulator import TOKEN_HEADER
from runner.limits import check_request
from runner.result import InvokeResult, Outcome, SetupError

ENTRYPOINT_MODES = ("emulator", "image")


class ContainerBackend:
    """Runs invokes in warm containers: our emulator (default) or the image's own RIE entrypoint.

    The docker client is passed in (see runner.backends.container.engine.connect). Every method blocks.
    """

    name = BACKEND

    def __init__(
        self,
        client: Any,
        project: str,
        cache_dir: Path,
        *,
        image_override: str | None = None,
        entrypoint_mode: str = "emulator",
        idle_timeout_s: float = 600.0,
        pull_progress: ProgressSink | None = None,
        remove_orphans: bool = True,
        credentials: Mapping[str, str] | None = None,
        images: Mapping[str, str] | None = None,
        concurrency: int = 10,
    ) -> None:
        if entrypoint_mode not in ENTRYPOINT_MODES:
            raise ValueError(f"entrypoint_mode must be one of {ENTRYPOINT_MODES}, not {entrypoint_mode!r}")
        self.client = client
        self.image_override = image_override
        self.images = dict(images or {})  # runtime -> image (the settings' "images")
        self.entrypoint_mode = entrypoint_mode
        self.pull_progress = pull_progress
        self.pool = ContainerPool(
            client,
            project,
            cache_dir,
            idle_timeout_s=idle_timeout_s,
            base_env=credentials or DUMMY_CREDENTIALS,
            concurrency=concurrency,
        )
        self.concurrency = self.pool.concurrency  # containers per function, one invoke in each
        self._ready_images: set[str] = set()
        self.pool.on_code_change = self._reload_container
        if remove_orphans:
            self.pool.remove_orphans()

    def warm_count(self) -> int:
        """Warm containers kept for the next invokes."""
        return len(self.pool.all())

    def close(self) -> None:
        """Stops and removes every container this backend started. Blocks."""
        self.pool.close()

    def __enter__(self) -> ContainerBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reload(self, config: FunctionConfig | None = None) -> None:
        """Hot reload: the next invoke of this function (or of all) starts a fresh runtime. Blocks briefly."""
        targets = self.pool.of(config.function_id) if config else self.pool.all()
        for w in targets:
            if w.mode == "image":
                self.pool.discard(w)
            else:
                self._reload_container(w)

    def _reload_container(self, w: WarmContainer) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", w.port, timeout=10)
        try:
            conn.request("POST", "/lambda-studio/reload", body=b"", headers=w.auth_headers())
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            self.pool.discard(w)
        finally:
            conn.close()

    def image_for(self, config: FunctionConfig) -> str:
        override = self.images.get(config.runtime) or self.image_override
        return image_for(config.python_version or "3.12", config.architecture, override)

    def image_ready(self, image: str) -> bool:
        """Whether this backend already made sure the image is present (no engine call)."""
        return image in self._ready_images

    def _image(self, config: FunctionConfig) -> str:
        image = self.image_for(config)
        if image not in self._ready_images:
            ensure_image(self.client, image, platform_for(config.architecture), self.pull_progress)
            self._ready_images.add(image)
        return image

    def _hash(self, config: FunctionConfig, image: str) -> str:
        req = config.requirements_file
        deps = req.read_bytes() if req is not None and req.is_file() else b""
        extra = hashlib.sha256(f"{self.entrypoint_mode}\0{image}\0".encode() + deps).hexdigest()[:6]
        return f"{config.config_hash()}-{extra}"

    def invoke(
        self,
        config: FunctionConfig,
        event: bytes,
        sink: LogSink | None = None,
        cancel: CancelToken | None = None,
        *,
        client_context: str | None = None,
        debug: DebugOptions | None = None,
    ) -> InvokeResult:
        """Invokes the function once in its warm container (made when needed). Blocks.

        Raises ContainerBackendError (engine down, image missing...) with a message naming the fix;
        function failures, timeouts and crashes come back as an InvokeResult. With ``debug`` the
        invoke runs in a one-off container whose runtime waits under debugpy (see _debug_invoke).
        """
        check_request(event)
        if debug is not None:
            return self._debug_invoke(config, event, sink, cancel, client_context, debug)
        started = time.monotonic()
        try:
            image = self._image(config)
            w, created = self.pool.acquire(
                config, image, self.entrypoint_mode, self._hash(config, image), sink
            )
        except PoolFull:  # as Lambda past the function's concurrency: 429, no unbounded queue
            return InvokeResult.throttled(config.function_id, self.name)
        except ContainerBackendError:
            raise
        except Exception as exc:  # noqa: BLE001 - docker SDK / connection failures
            raise explain_engine_error(exc) from exc
        with w.lock:
            if w.report_due is not None:  # the last invoke's lines still streaming go to no invoke
                await_line(w, w.report_due, REPORT_WAIT_S)
                w.report_due = None
            live = LiveSink(sink) if sink is not None else None
            w.sink = live
            try:
                result = self._invoke_in(w, config, event, cancel, created, started, client_context)
                if live is not None and w.mode == "emulator":
                    live.finish(w, result)
            finally:
                w.sink = None
                w.last_used = time.monotonic()
                w.served += 1
                self.pool.release(w)
        return result

    def warm_up(
        self,
        config: FunctionConfig,
        sink: LogSink | None = None,
        cancel: CancelToken | None = None,
        *,
        wait: bool = True,
    ) -> None:
        """Blocks: the image ensured, requirements installed and one warm container of the function
        started, ahead of its first invoke; with ``wait`` until its runtime's init has run.
        Raises ContainerBackendError as invoke would (runner.backends.contract.Backend.warm_up)."""
        if cancel is not None and cancel.is_set():
            return
        try:
            image = self._image(config)
            if cancel is not None and cancel.is_set():
                return
            w, _created = self.pool.acquire(
                config, image, self.entrypoint_mode, self._hash(config, image), sink
            )
            self.pool.release(w)  # warm and idle: the next invoke takes it
        except PoolFull:
            return  # every container of the function is busy: they are warm already
        except ContainerBackendError:
            raise
        except Exception as exc:  # noqa: BLE001 - docker SDK / connection failures
            raise explain_engine_error(exc) from exc
        if wait and w.mode == "emulator":
            _await_warm(w.port, cancel, WARM_UP_WAIT_S, w.token)

    def _debug_invoke(
        self,
        config: FunctionConfig,
        event: bytes,
        sink: LogSink | None,
        cancel: CancelToken | None,
        client_context: str | None,
        debug: DebugOptions,
    ) -> InvokeResult:
        """debugpy (the pure wheel, cached) mounted read-only and put on PYTHONPATH, its port published
        on 127.0.0.1:debug.port, the emulator's timeouts off; the container is removed afterwards."""
        started = time.monotonic()
        try:
            image = self._image(config)
            debugpy_dir = ensure_debugpy(self.pool.cache_dir, config.python_version or "3.12")
            w = self.pool.start_debug(config, image, self._hash(config, image), debug, debugpy_dir)
        except SetupError:  # ContainerBackendError too
            raise
        except Exception as exc:  # noqa: BLE001 - docker SDK / connection failures
            raise explain_engine_error(exc) from exc
        if debug.clock is not None:  # the session says when the timeout may count
            debug.clock.connect(lambda held: _post_hold(w.port, held, w.token))
        # "Waiting for a debugger" only once debugpy listens inside: before that docker's published
        # port accepts a connection and resets it.
        stop_watching = threading.Event()
        announce_when_listening(debug, CONTAINER_DEBUG_PORT, lambda: _tcp_tables(w.container), stop_watching)
        try:
            with w.lock:
                w.sink = sink
                result = self._invoke_in(w, config, event, cancel, True, started, client_context)
                if sink is not None:
                    await_line(w, f"REPORT RequestId: {result.request_id}", 1.0)
                if result.outcome is not Outcome.CANCELLED:
                    time.sleep(DEBUG_GRACE_S)
        finally:
            stop_watching.set()
            if debug.clock is not None:
                debug.clock.connect(None)
            w.sink = None
            self.pool.discard(w)
        result.note = debug_note(debug)
        return result

    # -- one request to a warm container --
    def _invoke_in(
        self,
        w: WarmContainer,
        config: FunctionConfig,
        event: bytes,
        cancel: CancelToken | None,
        created: bool,
        started: float,
        client_context: str | None = None,
    ) -> InvokeResult:
        first_line = len(w.lines)
        headers = {"Content-Type": "application/json", **w.auth_headers()}
        if client_context:
            headers["X-Amz-Client-Context"] = base64.b64encode(client_context.encode()).decode()
        done = threading.Event()
        cancelled = threading.Event()
        if cancel is not None:
            threading.Thread(
                target=self._watch_cancel, args=(w, cancel, done, cancelled), daemon=True
            ).start()
        # a debug invoke waits as long as the debugger holds it
        wait = None if w.debug else config.timeout_s + 60
        conn = w.connection(wait)
        sent = time.monotonic()
        try:
            conn.request(
                "POST",
                "/2015-03-31/functions/function/invocations",
                body=event or b"{}",
                headers=headers,
            )
            resp = conn.getresponse()
            body = resp.read()
            answer = {k.lower(): v for k, v in resp.getheaders()}
        except (OSError, http.client.HTTPException) as exc:
            done.set()
            conn.close()
            if cancelled.is_set():
                return self._cancelled(w, config, created)
            return self._crashed(w, config, created, exc, (time.monotonic() - sent) * 1000)
        finally:
            done.set()
        w.keep(conn, resp)
        if w.mode == "emulator" and resp.status not in (200, 202, 204):
            # The emulator refused the request itself (413 too large, 400 not JSON): never a success
            # whose payload is its error text.
            raise SetupError(refusal(resp.status, body))
        if w.mode == "emulator":
            result = from_emulator(config, body, answer, created)
        else:
            result = from_rie(w, config, body, first_line, created, started)
        if result.outcome in (Outcome.TIMEOUT, Outcome.CRASH) and w.mode == "image":
            self.pool.discard(w)  # RIE's reset leaves state we do not trust: next invoke gets a fresh one
        return result

    def _watch_cancel(
        self, w: WarmContainer, cancel: CancelToken, done: threading.Event, cancelled: threading.Event
    ) -> None:
        while not done.wait(0.05):
            if cancel.is_set():
                cancelled.set()
                self.pool.discard(w)  # the only sure way to stop user code mid-invoke
                return

    def _cancelled(self, w: WarmContainer, config: FunctionConfig, created: bool) -> InvokeResult:
        self.pool.discard(w)
        return cancelled_result(w, config, created)

    def _crashed(
        self, w: WarmContainer, config: FunctionConfig, created: bool, exc: BaseException, elapsed_ms: float
    ) -> InvokeResult:
        """The container died under the invoke: an ExitError (see results.crashed_result), fresh next time."""
        status, oom = exit_state(w)
        self.pool.discard(w)
        return crashed_result(w, config, created, exc, elapsed_ms, status, oom)


def _await_warm(port: int, cancel: CancelToken | None, limit_s: float, token: str | None = None) -> None:
    """Blocks until the container's emulator reports a runtime whose init finished (or limit_s passes)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and not (cancel is not None and cancel.is_set()):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2.0)
        try:
            conn.request("GET", "/lambda-studio/health", headers={TOKEN_HEADER: token} if token else {})
            if int(json.loads(conn.getresponse().read() or b"{}").get("warm") or 0) > 0:
                return
        except (OSError, ValueError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        time.sleep(0.01)


def _post_hold(port: int, held: bool, token: str | None = None) -> None:
    """Tells the emulator in a debug container whether the debugger holds the runtime."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        body = json.dumps({"held": held}).encode()
        headers = {TOKEN_HEADER: token} if token else {}
        conn.request("POST", "/lambda-studio/debug-hold", body=body, headers=headers)
        conn.getresponse().read()
    finally:
        conn.close()


def _tcp_tables(container: Any) -> str | None:
    """The container's /proc/net/tcp and tcp6 (read with an exec); None when they cannot be read."""
    code, output = container.exec_run(["cat", "/proc/net/tcp", "/proc/net/tcp6"], demux=False)
    text = (output or b"").decode("utf-8", "replace")
    return text if "local_address" in text else None
