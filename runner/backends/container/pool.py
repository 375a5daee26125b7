"""Warm containers: up to N per function config, created, reused, replaced, idled out, cleaned up."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from runner.backends.container.engine import ContainerBackendError, explain_engine_error
from runner.backends.container.launch import LABEL_OWNER, LABEL_PROJECT, start_container
from runner.backends.container.sandbox import owner_id, owner_is_dead
from runner.backends.container.warm import WarmContainer
from runner.backends.contract import LogSink
from runner.config import FunctionConfig
from runner.debug.session import DebugOptions
from runner.emulator import code_stamp


def _code_stamp(paths: Sequence[Path]) -> tuple[int, int, int]:
    """The code and layer trees' stamp: the emulator's (one stamp, one skip list for both)."""
    return code_stamp(paths)


class PoolFull(ContainerBackendError):
    """Every container the function may have is busy (the caller throttles, as Lambda's 429)."""


class ContainerPool:
    """Owns the warm containers of one project: up to ``concurrency`` per function, one invoke in each.
    Thread-safe; every method may block on docker."""

    def __init__(
        self,
        client: Any,
        project: str,
        cache_dir: Path,
        idle_timeout_s: float = 600.0,
        start_timeout_s: float = 30.0,
        base_env: Mapping[str, str] | None = None,
        concurrency: int = 10,
    ) -> None:
        self.client = client
        self.base_env = dict(base_env or {})
        self.project = project
        self.cache_dir = cache_dir
        self.idle_timeout_s = idle_timeout_s
        self.start_timeout_s = start_timeout_s
        self._lock = threading.Lock()
        self._warm: dict[str, list[WarmContainer]] = {}  # function_id -> its containers, oldest first
        self._starting: dict[str, int] = {}  # function_id -> containers being made (count toward the limit)
        self.concurrency = max(1, concurrency)
        self._closed = threading.Event()
        self._reaper: threading.Thread | None = None
        self.on_code_change: Callable[[WarmContainer], None] | None = None  # emulator mode: reload it

    # -- start-up and shutdown --
    def remove_orphans(self) -> list[str]:
        """Removes containers left by an app that is gone (crashed, kill -9'd) — of any project, since the
        next run may be of another one — and this app's own earlier ones of this project; returns their
        ids. Only provably dead owners: this host, and that pid gone or started at another time."""
        removed: list[str] = []
        try:
            found = self.client.containers.list(all=True, filters={"label": LABEL_OWNER})
        except Exception as exc:  # noqa: BLE001
            raise explain_engine_error(exc) from exc
        mine = {w.id for found in self._warm.values() for w in found}
        me = owner_id()
        for container in found:
            labels = container.labels or {}
            owner = str(labels.get(LABEL_OWNER, ""))
            ours = labels.get(LABEL_PROJECT) == self.project and owner == me
            if container.id in mine or not (ours or owner_is_dead(owner)):
                continue
            with contextlib.suppress(Exception):
                container.remove(force=True)
                removed.append(str(container.id))
        return removed

    def close(self) -> None:
        """Stops and removes every container of this pool. Blocks."""
        self._closed.set()
        with self._lock:
            warm = [w for found in self._warm.values() for w in found]
            self._warm = {}
        for w in warm:
            self._remove(w)

    def __enter__(self) -> ContainerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the pool --
    def current(self, function_id: str) -> WarmContainer | None:
        """The function's most recently made container, or None."""
        with self._lock:
            found = self._warm.get(function_id)
            return found[-1] if found else None

    def of(self, function_id: str) -> list[WarmContainer]:
        """Every container of this function, busy or idle."""
        with self._lock:
            return list(self._warm.get(function_id, ()))

    def _code_changed(self, w: WarmContainer, config: FunctionConfig) -> bool:
        """Whether the code or layers changed since the last look (scanned on the host, where it is cheap).
        This is the container's only watch: the emulator inside runs without --watch, since the same scan
        through the bind mounts cost 1.6 ms of every warm invoke (90 files, the example's HelloFunction).
        A big tree is looked at less often (50x its cost, <= 1 s)."""
        now = time.monotonic()
        if now < w.next_scan:
            return False
        stamp = _code_stamp([config.code_dir, *config.layer_dirs])
        cost = time.monotonic() - now
        w.next_scan = now + (0.0 if cost < 0.005 else min(1.0, cost * 50))
        if stamp == w.code_stamp:
            return False
        w.code_stamp = stamp
        return True

    def all(self) -> list[WarmContainer]:
        with self._lock:
            return [w for found in self._warm.values() for w in found]

    def acquire(
        self,
        config: FunctionConfig,
        image: str,
        mode: str,
        config_hash: str,
        log: LogSink | None = None,
    ) -> tuple[WarmContainer, bool]:
        """An idle warm container for this configuration, made when none is idle and the function has
        fewer than ``concurrency`` containers; (container, created). It is busy until release().
        Raises PoolFull when every one of the function's ``concurrency`` containers is busy."""
        fid = config.function_id
        with self._lock:
            if self._closed.is_set():
                raise ContainerBackendError("The container pool is closed.")
            found = self._warm.setdefault(fid, [])
            stale = [w for w in found if w.config_hash != config_hash or w.mode != mode]
            found[:] = [w for w in found if w not in stale]
            self._prune(fid)
            idle = [w for w in found if not w.busy]
            w = idle[-1] if idle else None
            if w is None and len(found) + self._starting.get(fid, 0) >= self.concurrency:
                raise PoolFull(f"all {self.concurrency} containers of {fid} are busy")
            if w is not None:
                w.busy = True
            else:
                self._starting[fid] = self._starting.get(fid, 0) + 1
        for old in stale:
            if not old.busy:
                self._remove(old)  # a busy one is removed when its invoke releases it
        if w is not None and self._code_changed(w, config):
            if mode == "image":  # the image's own runtime cannot hot-reload: a fresh container
                self.discard(w)
                return self.acquire(config, image, mode, config_hash, log)
            if self.on_code_change is not None:
                self.on_code_change(w)
        if w is not None:
            return w, False
        try:
            w = self._start(config, image, mode, config_hash, log=log)
        finally:
            with self._lock:
                self._starting[fid] -= 1
                self._prune(fid)
        w.busy = True
        with self._lock:
            closed = self._closed.is_set()
            if not closed:
                self._warm.setdefault(fid, []).append(w)
        if closed:  # closed while this one started (e.g. a pre-warm at shutdown): leave nothing behind
            self._remove(w)
            raise ContainerBackendError("The container pool is closed.")
        self._ensure_reaper()
        return w, True

    def release(self, w: WarmContainer) -> None:
        """The invoke on this container ended: it is idle again (or removed, if the pool forgot it)."""
        with self._lock:
            w.busy = False
            kept = w in self._warm.get(w.function_id, ())
        if not kept:
            self._remove(w)

    def discard(self, w: WarmContainer) -> None:
        """Forgets and removes a container (killed, timed out in image mode, or cancelled)."""
        with self._lock:
            found = self._warm.get(w.function_id)
            if found is not None and w in found:
                found.remove(w)
            self._prune(w.function_id)
        self._remove(w)

    def _prune(self, function_id: str) -> None:
        """Forgets a function with no container left (callers hold the lock): _warm lists only live ones."""
        if not self._warm.get(function_id):
            self._warm.pop(function_id, None)

    def _remove(self, w: WarmContainer) -> None:
        w.close_connection()
        with contextlib.suppress(Exception):
            w.container.remove(force=True)

    def _ensure_reaper(self) -> None:
        if self._reaper is None or not self._reaper.is_alive():
            self._reaper = threading.Thread(target=self._reap, name="container-idle-reaper", daemon=True)
            self._reaper.start()

    def _reap(self) -> None:
        while not self._closed.wait(min(5.0, max(0.05, self.idle_timeout_s / 4))):
            now = time.monotonic()
            with self._lock:
                idle = [
                    w
                    for found in self._warm.values()
                    for w in found
                    if now - w.last_used > self.idle_timeout_s and not w.busy
                ]
                for w in idle:
                    self._warm[w.function_id].remove(w)
                    self._prune(w.function_id)
            for w in idle:
                self._remove(w)

    def start_debug(
        self, config: FunctionConfig, image: str, config_hash: str, debug: DebugOptions, debugpy_dir: Path
    ) -> WarmContainer:
        """A one-off container whose runtime waits under debugpy (published on 127.0.0.1:debug.port);
        not pooled: the caller removes it with discard() after its invoke. Blocks."""
        return self._start(config, image, "emulator", config_hash, (debug, debugpy_dir))

    # -- making a container --
    def _start(
        self,
        config: FunctionConfig,
        image: str,
        mode: str,
        config_hash: str,
        debug: tuple[DebugOptions, Path] | None = None,
        log: LogSink | None = None,
    ) -> WarmContainer:
        return start_container(
            self.client,
            config,
            image,
            mode,
            config_hash,
            project=self.project,
            cache_dir=self.cache_dir,
            base_env=self.base_env,
            start_timeout_s=self.start_timeout_s,
            debug=debug,
            log=log,
        )
