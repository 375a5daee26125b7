"""The emulator's two HTTP faces: the Runtime API a runtime talks to, and the Invoke API callers use."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from runner.emulator import MAX_SYNC_PAYLOAD, Emulator, Invocation, InvokeServer

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = REPO / "runner" / "backends" / "process" / "bootstrap.py"
CODE = """
import json, logging, os, time

def echo(event, context):
    print("echo", json.dumps(event))
    return {"event": event, "custom": context.client_context.custom if context.client_context else None}

def fail(event, context):
    raise RuntimeError("nope")

def slow(event, context):
    time.sleep(0.6)
    return os.getpid()

def logs(event, context):
    logging.getLogger("mine").info("info %s", "line")
    return "ok"

def version(event, context):
    return VERSION

def noisy(event, context):
    for i in range(2000):
        print(f"line {i:05d} " + "x" * 40)
    return i

VERSION = 1
"""


def _http(port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("api")
    (root / "app.py").write_text(textwrap.dedent(CODE))
    return root


def _emulator(code: Path, handler: str, **kw) -> Emulator:
    env = {"PATH": os.environ.get("PATH", ""), **kw.pop("env", {})}
    return Emulator(
        function_name="fn", handler=handler, runtime_cmd=[sys.executable, "-u", str(BOOTSTRAP)], cwd=str(code),
        env=env, timeout_s=kw.pop("timeout_s", 2), **kw,
    )  # fmt: skip


@pytest.fixture(scope="module")
def server(code: Path) -> Iterator[tuple[int, dict[str, Emulator]]]:
    emus = {
        "echo": _emulator(code, "app.echo"),
        "fail": _emulator(code, "app.fail"),
        "slow": _emulator(code, "app.slow", concurrency=1),
        "slow2": _emulator(code, "app.slow", concurrency=2),
        "noisy": _emulator(code, "app.noisy"),
    }
    srv = InvokeServer(lambda: emus).start()
    yield srv.port, emus
    srv.shutdown()
    for emu in emus.values():
        emu.close()


INVOKE = "/2015-03-31/functions/{}/invocations"


def test_invoke_api_request_response_tail_and_report(server: tuple[int, dict[str, Emulator]]) -> None:
    port, _ = server
    cc = base64.b64encode(json.dumps({"custom": {"k": "vé"}}, ensure_ascii=False).encode()).decode()
    status, headers, body = _http(
        port,
        "POST",
        INVOKE.format("echo"),
        b'{"a": 1}',
        {"X-Amz-Log-Type": "Tail", "X-Amz-Client-Context": cc},
    )
    assert status == 200 and json.loads(body) == {"event": {"a": 1}, "custom": {"k": "vé"}}
    assert "x-amz-function-error" not in headers
    tail = base64.b64decode(headers["x-amz-log-result"]).decode()
    assert 'echo {"a": 1}' in tail and "REPORT RequestId:" in tail
    report = json.loads(headers["x-lambdastudio-report"])
    assert report["outcome"] == "success" and report["requestId"] == headers["x-amzn-requestid"]
    assert report["memorySizeMb"] == 128 and report["maxMemoryUsedMb"] > 0
    log = base64.b64decode(headers["x-lambdastudio-log"]).decode()
    assert log == tail  # short logs: the header carries all of it
    status, _, full = _http(port, "GET", f"/lambda-studio/logs/{report['requestId']}")
    assert status == 200 and full.decode() == log
    # the RIE path and an ARN reach the same function when named
    arn = "arn:aws:lambda:us-east-1:123456789012:function:echo:$LATEST"
    assert _http(port, "POST", INVOKE.format(arn), b"{}")[0] == 200


def test_invoke_api_function_error_event_dryrun_and_errors(server: tuple[int, dict[str, Emulator]]) -> None:
    port, emus = server
    status, headers, body = _http(port, "POST", INVOKE.format("fail"), b"{}")
    assert status == 200 and headers["x-amz-function-error"] == "Unhandled"
    assert json.loads(body)["errorType"] == "RuntimeError"
    assert json.loads(headers["x-lambdastudio-report"])["outcome"] == "function_error"
    assert _http(port, "POST", INVOKE.format("echo"), b"{}", {"X-Amz-Invocation-Type": "DryRun"})[:1] == (
        204,
    )
    before = len(emus["echo"].recent)
    status, _, body = _http(
        port, "POST", INVOKE.format("echo"), b'{"async": true}', {"X-Amz-Invocation-Type": "Event"}
    )
    assert status == 202 and body == b""
    deadline = time.monotonic() + 5
    while len(emus["echo"].recent) == before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert any('echo {"async": true}' in text for text in emus["echo"].recent.values())
    status, headers, body = _http(port, "POST", INVOKE.format("nosuch"), b"{}")
    assert status == 404 and headers["x-amzn-errortype"] == "ResourceNotFoundException"
    status, headers, _ = _http(port, "POST", INVOKE.format("echo"), b"{not json")
    assert status == 400 and headers["x-amzn-errortype"] == "InvalidRequestContentException"
    status, headers, _ = _http(port, "POST", INVOKE.format("echo"), b"x" * (MAX_SYNC_PAYLOAD + 1))
    assert status == 413 and headers["x-amzn-errortype"] == "RequestTooLargeException"


def test_long_logs_header_tail_and_full_text(server: tuple[int, dict[str, Emulator]]) -> None:
    port, _ = server
    status, headers, body = _http(port, "POST", INVOKE.format("noisy"), b"{}", {"X-Amz-Log-Type": "Tail"})
    assert status == 200 and body == b"1999"
    assert len(base64.b64decode(headers["x-amz-log-result"])) == 4096
    header_log = base64.b64decode(headers["x-lambdastudio-log"]).decode()
    assert len(header_log) == 32 * 1024 and "line 01999" in header_log
    rid = json.loads(headers["x-lambdastudio-report"])["requestId"]
    full = _http(port, "GET", f"/lambda-studio/logs/{rid}")[2].decode()
    assert full.count("\nline ") == 2000 and full.endswith(header_log)


def test_concurrency_limit_throttles_and_parallel_runtimes(server: tuple[int, dict[str, Emulator]]) -> None:
    port, _ = server
    with ThreadPoolExecutor(4) as pool:
        one = list(pool.map(lambda _: _http(port, "POST", INVOKE.format("slow"), b"{}"), range(2)))
        two = list(pool.map(lambda _: _http(port, "POST", INVOKE.format("slow2"), b"{}"), range(2)))
    assert sorted(r[0] for r in one) == [200, 429]
    throttled = next(r for r in one if r[0] == 429)
    assert throttled[1]["x-amzn-errortype"] == "TooManyRequestsException"
    assert [r[0] for r in two] == [200, 200]
    assert len({r[2] for r in two}) == 2  # two runtime processes (different pids)


def test_runtime_api_status_codes(tmp_path: Path) -> None:
    """We play the runtime: next's headers, 202 / 400 / 403 / 413 and init/error."""
    emu = Emulator(function_name="fn", handler="x.y", runtime_cmd=[sys.executable, "-c", "import time; time.sleep(60)"],
                   env={"PATH": os.environ.get("PATH", "")}, timeout_s=5)  # fmt: skip
    results: list[Invocation] = []

    def invoke(payload: bytes) -> threading.Thread:
        t = threading.Thread(target=lambda: results.append(emu.invoke(payload, client_context='{"c":1}')))
        t.start()
        return t

    try:
        t = invoke(b'{"n": 1}')
        while not emu.runtimes:
            time.sleep(0.005)
        port = emu.runtimes[0].port
        status, headers, body = _http(port, "GET", "/2018-06-01/runtime/invocation/next")
        rid = headers["lambda-runtime-aws-request-id"]
        assert status == 200 and body == b'{"n": 1}'
        assert int(headers["lambda-runtime-deadline-ms"]) > time.time() * 1000
        assert headers["lambda-runtime-invoked-function-arn"].endswith(":function:fn")
        assert headers["lambda-runtime-trace-id"].startswith("Root=1-")
        assert headers["lambda-runtime-client-context"] == '{"c":1}'
        assert "lambda-runtime-cognito-identity" not in headers  # only non-empty ones
        assert _http(port, "POST", "/2018-06-01/runtime/invocation/bogus/response", b"1")[0] == 400
        assert _http(port, "POST", f"/2018-06-01/runtime/invocation/{rid}/response", b'"ok"')[:1] == (202,)
        t.join(5)
        status, _, body = _http(port, "POST", f"/2018-06-01/runtime/invocation/{rid}/response", b'"again"')
        assert status == 403 and json.loads(body)["errorType"] == "InvalidStateTransition"
        assert results[-1].outcome == "success" and results[-1].body == b'"ok"'

        t = invoke(b"{}")
        _, headers, _ = _http(port, "GET", "/2018-06-01/runtime/invocation/next")
        rid = headers["lambda-runtime-aws-request-id"]
        status, _, body = _http(
            port, "POST", f"/2018-06-01/runtime/invocation/{rid}/response", b"x" * (MAX_SYNC_PAYLOAD + 1)
        )
        assert status == 413 and json.loads(body)["errorType"] == "RequestEntityTooLarge"
        t.join(5)
        assert json.loads(results[-1].body)["errorType"] == "Function.ResponseSizeTooLarge"

        t = invoke(b"{}")
        _, headers, _ = _http(port, "GET", "/2018-06-01/runtime/invocation/next")
        rid = headers["lambda-runtime-aws-request-id"]
        err = b'{"errorType": "Custom", "errorMessage": "m"}'
        hdr = {"Lambda-Runtime-Function-Error-Type": "Custom"}
        assert _http(port, "POST", f"/2018-06-01/runtime/invocation/{rid}/error", err, hdr)[0] == 202
        t.join(5)
        assert results[-1].outcome == "function_error" and results[-1].body == err
    finally:
        emu.close()

    emu = Emulator(function_name="fn", handler="x.y", runtime_cmd=[sys.executable, "-c", "import time; time.sleep(60)"],
                   env={"PATH": os.environ.get("PATH", "")})  # fmt: skip
    try:
        t = invoke(b"{}")
        while not emu.runtimes:
            time.sleep(0.005)
        init_err = b'{"errorType": "Runtime.ImportModuleError", "errorMessage": "x"}'
        assert _http(emu.runtimes[0].port, "POST", "/2018-06-01/runtime/init/error", init_err)[0] == 202
        t.join(5)
        assert results[-1].outcome == "init_error" and results[-1].body == init_err
    finally:
        emu.close()


def test_hot_reload_on_file_change_and_reload(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(CODE))
    emu = _emulator(tmp_path, "app.version", watch=[str(tmp_path)])
    try:
        assert emu.invoke(b"{}").body == b"1"
        warm = emu.invoke(b"{}")
        assert not warm.cold
        time.sleep(0.01)
        (tmp_path / "app.py").write_text(textwrap.dedent(CODE).replace("VERSION = 1", "VERSION = 2"))
        started = time.perf_counter()
        changed = emu.invoke(b"{}")
        assert changed.body == b"2" and changed.cold
        assert time.perf_counter() - started < 2
        emu.reload()
        assert emu.invoke(b"{}").cold
    finally:
        emu.close()


def test_a_burst_scans_the_code_once_per_interval_but_an_edit_then_invoke_always(
    code: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With other invokes in flight, the code tree is scanned at most every CONCURRENT_SCAN_S (fifty
    concurrent invokes scanned fifty times); with nothing running, every invoke scans first."""
    from runner.emulator import supervisor

    monkeypatch.setattr(supervisor, "CONCURRENT_SCAN_S", 30.0)  # no machine is that slow
    emu = _emulator(code, "app.version", watch=[str(code)], concurrency=4)
    scans: list[float] = []
    real_scan = emu._scan

    def counted() -> tuple[int, int, int]:
        scans.append(time.monotonic())
        return real_scan()

    emu._scan = counted  # type: ignore[method-assign]
    try:
        emu.invoke(b"{}")
        scans.clear()
        for _ in range(3):  # one at a time: a scan each
            emu.invoke(b"{}")
        assert len(scans) == 3
        scans.clear()
        with emu.lock:
            emu.runtimes[0].busy = True  # as while another invoke runs on it
        try:
            for _ in range(5):
                emu.check_changes()
        finally:
            with emu.lock:
                emu.runtimes[0].busy = False
        assert scans == []  # the last scan (of the invoke before) is recent enough
        for _ in range(2):
            emu.check_changes()  # nothing in flight any more: each looks again
        assert len(scans) == 2
    finally:
        emu.close()


def test_json_log_format_and_level(code: Path) -> None:
    emu = _emulator(code, "app.logs", env={"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "DEBUG"})
    try:
        inv = emu.invoke(b"{}")
        record = json.loads(next(line for line in inv.lines if line.startswith("{")))
        assert record["level"] == "INFO" and record["message"] == "info line" and record["logger"] == "mine"
        assert record["requestId"] == inv.request_id and record["timestamp"].endswith("Z")
    finally:
        emu.close()
    emu = _emulator(code, "app.logs")
    try:
        inv = emu.invoke(b"{}")
        assert not any("info line" in line for line in inv.lines)  # root logger stays at WARNING
    finally:
        emu.close()


def test_emulator_cli_contract(code: Path) -> None:
    """The container backend's contract (its launcher, -I -S): flags, the 'listening' line, logs on stdout, SIGTERM exits 0."""
    cmd = [sys.executable, "-I", "-S", str(REPO / "runner" / "emulator" / "launch.py"), "--port", "0", "--function-name", "clifn",
           "--handler", "app.echo", "--memory-mb", "256", "--timeout", "2", "--cwd", str(code),
           "--", sys.executable, "-u", str(BOOTSTRAP)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None and proc.stdout is not None
        line = proc.stderr.readline()
        assert line.startswith("lambda-studio-emulator listening on 127.0.0.1:")
        port = int(line.rsplit(":", 1)[1])
        assert _http(port, "GET", "/lambda-studio/health")[0] == 200
        status, headers, body = _http(port, "POST", INVOKE.format("function"), b'{"cli": 1}')
        assert status == 200 and json.loads(body)["event"] == {"cli": 1}
        report = json.loads(headers["x-lambdastudio-report"])
        assert report["cold"] and report["initDurationMs"] > 0 and report["memorySizeMb"] == 256
        assert _http(port, "POST", INVOKE.format("clifn"), b"{}")[0] == 200
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
        assert proc.returncode == 0
        assert 'echo {"cli": 1}' in out and f"END RequestId: {report['requestId']}" in out
        assert out.count("REPORT RequestId:") == 2
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cancel_kills_the_runtime_and_next_invoke_is_cold(code: Path) -> None:
    emu = _emulator(code, "app.slow", timeout_s=5)
    cancel = threading.Event()
    try:
        assert emu.invoke(b"{}").outcome == "success"
        threading.Timer(0.1, cancel.set).start()
        started = time.monotonic()
        inv = emu.invoke(b"{}", cancel=cancel)
        assert inv.outcome == "cancelled" and time.monotonic() - started < 0.6  # before the handler's end
        assert emu.invoke(b"{}").cold
    finally:
        emu.close()


def test_echoed_log_keeps_the_invocations_order(capsys: pytest.CaptureFixture[str]) -> None:
    """The container backend reads the echo live and stops at REPORT: a line that the result's log has
    before REPORT must come before REPORT in the echo too (the runtime's reader thread and the invoke
    thread both emit). The race is forced: the first line's sink is slow."""
    emu = Emulator(function_name="fn", handler="x.y", runtime_cmd=[sys.executable, "-c", "pass"],
                   env={"PATH": os.environ.get("PATH", "")}, echo_stdout=True)  # fmt: skip
    inv = Invocation("rid", b"{}", None, None)
    first_in = threading.Event()

    def slow_sink(line: str) -> None:
        if line == "runtime: failed to post the response (413)":
            first_in.set()
            time.sleep(0.3)  # between taking the line and echoing it

    inv.on_log = slow_sink
    reader = threading.Thread(target=emu.emit, args=("runtime: failed to post the response (413)", inv))
    reader.start()
    assert first_in.wait(5)
    emu.emit("REPORT RequestId: rid", inv)  # the invoke thread, meanwhile
    reader.join(5)
    echoed = [line for line in capsys.readouterr().out.splitlines() if line]
    assert inv.lines == ["runtime: failed to post the response (413)", "REPORT RequestId: rid"]
    assert echoed == inv.lines
