"""Remote tools against a real moto_server: list, describe, invoke, CloudWatch logs, safe download."""

from __future__ import annotations

import io
import json
import struct
import time
import zipfile
from pathlib import Path

import pytest

from app.deploy.deploy import deploy_function
from app.deploy.download import UnsafeArchive, download_function
from app.deploy.errors import DeployError
from app.deploy.progress import CancelToken
from app.deploy.remote import (
    LogEvent,
    describe_function,
    fetch_logs,
    follow_logs,
    invoke,
    list_functions,
    log_group,
    stream_events,
)
from tests.integration.deploy_helpers import make_function, options
from tests.integration.moto_fixtures import CallCounter, conn, moto_server, moto_url  # noqa: F401

pytestmark = pytest.mark.moto


def _deployed(conn, tmp_path: Path, **kw):  # noqa: F811
    fn = make_function(tmp_path, **kw)
    plan, _ = deploy_function(
        conn, fn, options(tmp_path, create_role=True, publish_version=True, alias="live")
    )
    return fn, plan


def test_list_and_describe(conn, tmp_path: Path) -> None:  # noqa: F811
    fn, _ = _deployed(conn, tmp_path)
    names = [f.name for f in list_functions(conn)]
    assert fn.function_name in names and names == sorted(names)
    [summary] = [f for f in list_functions(conn) if f.name == fn.function_name]
    assert (
        summary.runtime == "python3.12" and summary.memory_size == 256 and summary.architectures == ["x86_64"]
    )
    details = describe_function(conn, fn.function_name)
    assert details.tags == {"lambda-studio:logical-id": "HelloFunction"}
    assert {v["Version"] for v in details.versions} >= {"$LATEST", "1"}
    assert [(a["Name"], a["FunctionVersion"]) for a in details.aliases] == [("live", "1")]


def test_invoke_request_and_response_handling(conn, tmp_path: Path) -> None:  # noqa: F811
    # moto cannot run the function without docker; its simple backend echoes the event back with
    # status 200 and no log tail. We check what we send (LogType=Tail, payload, qualifier) and how
    # the answer is read; the log tail decoding is covered by the unit tests.
    fn, _ = _deployed(conn, tmp_path)
    counter = CallCounter().attach(conn.client("lambda"))
    result = invoke(conn, fn.function_name, {"name": "Ada"}, qualifier="live")
    [sent] = counter.params_of("Invoke")
    assert (
        sent["LogType"] == "Tail"
        and sent["Qualifier"] == "live"
        and sent["InvocationType"] == "RequestResponse"
    )
    assert json.loads(sent["Payload"]) == {"name": "Ada"}  # type: ignore[arg-type]
    assert result.status_code == 200 and result.ok and result.function_error is None
    assert result.payload_json() == {"name": "Ada"}
    assert result.request_id
    async_result = invoke(conn, fn.function_name, {"x": 1}, invocation_type="Event")
    assert async_result.status_code == 202
    with pytest.raises(DeployError, match="at most"):
        invoke(conn, fn.function_name, "x" * (1024 * 1024 + 1), invocation_type="Event")
    # (moto's simple backend answers any function name, so "not found" is covered by the unit tests.)


def test_logs_written_are_read_back_and_followed(conn, tmp_path: Path) -> None:  # noqa: F811
    fn, _ = _deployed(conn, tmp_path)
    logs = conn.client("logs")
    group, stream = log_group(fn.function_name), "2026/01/01/[$LATEST]abc"
    with pytest.raises(DeployError, match="No logs yet"):
        fetch_logs(conn, fn.function_name)
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    lines = ["START RequestId: r1 Version: $LATEST", "[INFO] hello Ada", "END RequestId: r1"]
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": now - 3000 + i, "message": m} for i, m in enumerate(lines)],
    )
    got = fetch_logs(conn, fn.function_name, start=now - 60_000)
    assert [e.message for e in got] == lines and all(e.stream == stream for e in got)
    assert [
        e.message for e in fetch_logs(conn, fn.function_name, start=now - 60_000, filter_pattern="Ada")
    ] == ["[INFO] hello Ada"]
    assert [e.message for e in stream_events(conn, fn.function_name, stream)] == lines

    batches: list[list[LogEvent]] = []

    def on_events(events: list[LogEvent]) -> None:
        batches.append(events)
        if len(batches) == 1:  # a new line arrives while we follow
            logs.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": int(time.time() * 1000), "message": "REPORT RequestId: r2"}],
            )

    follow_logs(
        conn, fn.function_name, on_events, CancelToken(), start=now - 60_000, poll_interval=0.05, max_polls=3
    )
    assert [e.message for e in batches[0]] == lines
    assert [[e.message for e in b] for b in batches[1:]] == [["REPORT RequestId: r2"]]


def _zip(entries: dict[str, bytes], symlink: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (0o120777) << 16
            zf.writestr(info, "/etc/passwd")
    return buf.getvalue()


def _lying(data: bytes) -> bytes:
    """The zip with its one entry's uncompressed size understated in both headers."""
    raw = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.find(sig)
        struct.pack_into("<I", raw, at + offset, 5)
    return bytes(raw)


def test_download_makes_a_project_and_refuses_hostile_zips(conn, tmp_path: Path) -> None:  # noqa: F811
    fn, plan = _deployed(conn, tmp_path)
    # moto's code Location is a made-up S3 host; hand the fetcher the bytes moto was given (the
    # download still checks them against the CodeSha256 moto reports).
    good = plan.package.path.read_bytes()
    dest = download_function(conn, fn.function_name, tmp_path / "downloaded", fetch=lambda url: good)
    assert (dest / f"src/{fn.function_name}/app.py").read_text() == (fn.code_dir / "app.py").read_text()  # type: ignore[operator]
    from app.project.loader import load_project

    project = load_project(dest)
    [loaded] = project.functions
    assert loaded.function_name == fn.function_name and loaded.handler == "app.handler"
    assert loaded.memory_size == 256 and loaded.environment == {"STAGE": "dev"}

    with pytest.raises(DeployError, match="does not match its CodeSha256"):
        download_function(conn, fn.function_name, tmp_path / "tampered", fetch=lambda url: good + b"x")

    lam = conn.client("lambda")
    role = lam.get_function(FunctionName=fn.function_name)["Configuration"]["Role"]
    for label, hostile in {
        "up": _zip({"app.py": b"ok", "../evil.py": b"pwned"}),
        "abs": _zip({"/tmp/evil.py": b"pwned"}),
        "link": _zip({"app.py": b"ok"}, symlink="link.py"),
        "clash": _zip({"x": b"a file", "x/y": b"needs x to be a folder"}),
        "size": _lying(_zip({"app.py": b"def handler(e, c):\n    return 1\n" * 20})),
    }.items():
        name = f"{fn.function_name}-{label}"
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Handler="app.handler",
            Role=role,
            Code={"ZipFile": hostile},
        )
        target = tmp_path / f"hostile-{label}"
        with pytest.raises(UnsafeArchive, match="Refused"):
            download_function(conn, name, target, fetch=lambda url, data=hostile: data)
        assert not target.exists()
        assert not (tmp_path / "evil.py").exists()
        assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")]  # no staging left
