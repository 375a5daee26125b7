"""The Lambda emulator, stdlib only: Runtime API 2018-06-01, the Invoke API, runtime supervision, REPORT.

It runs in-process (``Emulator`` and ``InvokeServer``, driven by runner/backends/process/backend.py and ``serve``) and
inside Linux containers: the container backend mounts this folder read-only and starts it with
``python3 -I -S /var/lambda-studio/emulator/launch.py ARGS`` (launch.py: user code cannot shadow it).
Every module imports only the standard library and its siblings (relative imports), so the folder
runs as it is under an image's own python3. The command line and its HTTP contract: cli.py.

Modules, by responsibility: common (limits, event checks), http_base (the servers' base), memory
(a process tree's or the cgroup's memory), process_tree (starting, killing, sweeping runtimes),
invocation (one invoke's log and REPORT), runtime (one runtime process), runtime_api (the API it
polls), supervisor (``Emulator``: one function's runtimes), async_queue (Event invokes), invoke_api
(``InvokeServer``), cli, launch and __main__ (``python -m runner.emulator``).
"""

from __future__ import annotations

from .async_queue import ASYNC_QUEUE_BYTES, MAX_EVENT_AGE_S, RETRY_DELAYS_S, AsyncQueue
from .cli import main
from .common import (
    MAX_ASYNC_PAYLOAD,
    MAX_KEPT_LOG,
    MAX_LOG_LINE,
    MAX_REQUEST_PAYLOAD,
    MAX_SYNC_PAYLOAD,
    TOKEN_ENV,
    TOKEN_HEADER,
    InvalidEvent,
    RequestTooLarge,
    check_request_size,
    code_stamp,
    exit_text,
    parse_event,
)
from .invocation import Answer, Invocation, RecentLogs, Throttled
from .invoke_api import InvokeServer
from .memory import MemoryProbe
from .process_tree import kill_tree, sweep_runtimes
from .supervisor import Emulator

__all__ = [
    "ASYNC_QUEUE_BYTES",
    "MAX_ASYNC_PAYLOAD",
    "MAX_EVENT_AGE_S",
    "MAX_KEPT_LOG",
    "MAX_LOG_LINE",
    "MAX_REQUEST_PAYLOAD",
    "MAX_SYNC_PAYLOAD",
    "RETRY_DELAYS_S",
    "TOKEN_ENV",
    "TOKEN_HEADER",
    "Answer",
    "AsyncQueue",
    "Emulator",
    "InvalidEvent",
    "Invocation",
    "InvokeServer",
    "MemoryProbe",
    "RecentLogs",
    "RequestTooLarge",
    "Throttled",
    "check_request_size",
    "code_stamp",
    "exit_text",
    "kill_tree",
    "main",
    "parse_event",
    "sweep_runtimes",
]
