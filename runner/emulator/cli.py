"""The emulator's command line: the contract the container backend starts it with.

The container backend runs it in a container as ``python3 -I -S /var/lambda-studio/emulator/launch.py
ARGS`` (launch.py); on the host ``python -m runner.emulator ARGS`` does the same.

CLI contract (for the container backend)
----------------------------------------
    python3 -I -S emulator/launch.py --function-name NAME --handler H --memory-mb N --timeout S
        [--host 127.0.0.1] [--port 8080] [--concurrency 10] [--watch DIR ...] [--cwd DIR]
        [--region R] [--account-id A] [--init-timeout 10] [--cgroup-memory auto|on|off] [--debug]
        [--prewarm]                       (start one runtime at once: its init runs before any invoke)
        -- RUNTIME_CMD ARGS...            (e.g. -- /var/runtime/bootstrap, or -- python3 bootstrap.py)

* Listens on --host (default 127.0.0.1; pass 0.0.0.0 inside a container) and --port.
  Prints ``lambda-studio-emulator listening on HOST:PORT`` on stderr once ready; also
  ``GET /lambda-studio/health`` → 200 ``{"status":"ok", "functions": [...], "warm": N}`` (N: runtimes
  whose init has finished).
* The runtime command is started with the emulator's own environment plus the Lambda set
  (AWS_LAMBDA_RUNTIME_API pointing at a private 127.0.0.1 port, function name, memory, log
  group/stream, _HANDLER...; values already present in the environment win, except
  AWS_LAMBDA_RUNTIME_API). Each concurrent runtime gets its own process and Runtime API port.
* Invoke: ``POST /2015-03-31/functions/function/invocations`` (RIE) or
  ``POST /2015-03-31/functions/{NAME or ARN}/invocations`` (AWS Invoke API), with
  X-Amz-Invocation-Type (RequestResponse → 200, Event → 202, DryRun → 204), X-Amz-Log-Type: Tail
  (→ X-Amz-Log-Result), X-Amz-Client-Context (base64 JSON). A function error (handled error,
  init error, timeout, runtime exit, memory kill, response too large) answers 200 with
  ``X-Amz-Function-Error: Unhandled`` and the error JSON as body (as real Lambda; RIE says 502).
  Over --concurrency in-flight invokes: 429 with ``x-amzn-ErrorType: TooManyRequestsException``;
  unknown function 404 ResourceNotFoundException; a body that is not JSON 400
  InvalidRequestContentException (NaN/Infinity too; an empty or whitespace-only body is ``{}``); over
  6,291,456 bytes (1 MB for Event) 413 RequestTooLargeException. Event invokes are queued (AsyncQueue:
  bounded by bytes, retried twice on a function error, anything not run is reported on stderr).
* Limits: a response over 6,291,556 bytes → Function.ResponseSizeTooLarge; past --timeout the
  runtime is killed (log ``<ts> <id> Task timed out after N.NN seconds``, body Sandbox.Timedout, the
  next invoke is cold); when the runtime's process tree RSS (polled every 5-20 ms) passes
  --memory-mb it is killed → Runtime.ExitError ``signal: killed``. Max Memory Used is the tree's
  peak RSS, or inside a container (--cgroup-memory auto: /.dockerenv or LAMBDA_STUDIO_IN_CONTAINER=1)
  the cgroup's peak (v2 memory.peak, v1 memory.max_usage_in_bytes).
* Extra response headers on every RequestResponse invoke:
  ``X-LambdaStudio-Report``: JSON {"requestId", "outcome" (success|function_error|timeout|
  init_error|crash|cancelled), "cold", "durationMs", "billedDurationMs", "initDurationMs" (null when
  warm), "memorySizeMb", "maxMemoryUsedMb", "logBytes"};
  ``X-LambdaStudio-Log``: base64 of the invoke's log text (the last 32 KB; the full text is at
  ``GET /lambda-studio/logs/{requestId}`` for recent invokes, 8 MB of them in all).
* ``POST /lambda-studio/reload`` restarts the runtimes (hot reload); --watch dirs are also
  mtime-scanned before each invoke and a change restarts the runtimes.
* --debug (a debugger such as debugpy may hold the runtime): no memory kill, and the init and
  function timeouts count only while the debugger does not hold the runtime. It starts held (waiting
  for the debugger to attach); ``POST /lambda-studio/debug-hold`` with ``{"held": true|false}`` says
  when a breakpoint stops it or it runs on. Everything else (logs, REPORT, errors) is as without it.
* Every log line (runtime stdout+stderr, START/END/REPORT, timeout and exit lines) is printed to
  the emulator's stdout, line-buffered, in the order the invoke's log keeps them; a line is cut at
  256 KB as Lambda does; an invoke keeps its first and last 512 KB of lines. SIGTERM/SIGINT stop the
  runtimes and exit 0.
* With LAMBDA_STUDIO_TOKEN in its environment (the container backend sets one per container), every
  Invoke API request must carry it in ``X-LambdaStudio-Token`` (else 403 AccessDeniedException);
  the emulator drops it from the environment the runtimes get and makes its own /proc entry
  unreadable to them (non-dumpable).
* Runtimes (Linux): each is a child subreaper in its own session, so whatever it starts stays in
  its tree; timeouts, crashes, memory kills, reloads and shutdown kill the whole tree and group.
  Between invokes, once a runtime waits in /next, its tree is stopped (SIGSTOP) and continued when
  the next event is delivered, as Lambda freezes the sandbox (not with --debug).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from .common import TOKEN_ENV
from .gate_link import GATE_ENV, start_forwarders
from .invoke_api import InvokeServer
from .supervisor import Emulator


def _hide_own_proc_entry() -> None:
    """Makes this process non-dumpable (Linux): its /proc entry, environ included, is then root's and
    unreadable to the runtimes, which run as the same non-root user without capabilities."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except (OSError, AttributeError):
        pass


def _in_container() -> bool:
    return os.path.exists("/.dockerenv") or os.environ.get("LAMBDA_STUDIO_IN_CONTAINER") == "1"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" not in argv:
        print("usage: lambda-studio-emulator [options] -- RUNTIME_CMD [ARGS...]", file=sys.stderr)
        return 2
    split = argv.index("--")
    own, runtime_cmd = argv[:split], argv[split + 1 :]
    p = argparse.ArgumentParser(
        prog="lambda-studio-emulator", description="A local AWS Lambda for one function."
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--function-name", required=True)
    p.add_argument("--handler", required=True)
    p.add_argument("--memory-mb", type=int, default=128)
    p.add_argument("--timeout", type=float, default=3.0)
    p.add_argument("--concurrency", type=int, default=10)
    p.add_argument("--watch", action="append", default=[])
    p.add_argument("--cwd", default=None)
    p.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    p.add_argument("--account-id", default="123456789012")
    p.add_argument("--init-timeout", type=float, default=10.0)
    p.add_argument(
        "--debug", action="store_true", help="a debugger holds the runtime: no timeouts, no memory kill"
    )
    p.add_argument("--cgroup-memory", choices=["auto", "on", "off"], default="auto")
    p.add_argument("--prewarm", action="store_true", help="start one runtime now, ahead of the first invoke")
    args = p.parse_args(own)
    if not runtime_cmd:
        p.error("no runtime command after --")
    cgroup = args.cgroup_memory == "on" or (args.cgroup_memory == "auto" and _in_container())
    token = os.environ.pop(TOKEN_ENV, None)  # never in a runtime's environment
    gate = os.environ.pop(GATE_ENV, None)  # the host gate's link holds a secret too
    if token is not None or gate is not None:
        _hide_own_proc_entry()
    emu = Emulator(
        function_name=args.function_name,
        handler=args.handler,
        runtime_cmd=runtime_cmd,
        memory_mb=args.memory_mb,
        timeout_s=args.timeout,
        cwd=args.cwd,
        concurrency=args.concurrency,
        watch=args.watch,
        echo_stdout=True,
        region=args.region,
        account_id=args.account_id,
        cgroup_memory=cgroup,
        init_timeout_s=args.init_timeout,
        debug=args.debug,
    )
    server = InvokeServer(lambda: {args.function_name: emu}, args.host, args.port, token=token)
    stop = threading.Event()

    def _stop(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    server.start()
    forwarders = start_forwarders(gate) if gate else []  # before the first runtime starts
    if args.prewarm:
        emu.prewarm()
    print(f"lambda-studio-emulator listening on {args.host}:{server.port}", file=sys.stderr, flush=True)
    while not stop.wait(1.0):
        pass
    server.shutdown()
    emu.close()
    for forwarder in forwarders:
        forwarder.close()
    return 0
