"""A real moto_server on 127.0.0.1 for the deploy tests: started once per session, reset per test."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from app.deploy.connection import Connection
from bench.moto import moto_executable, start_moto_server
from bench.projects import stop_process
from tests.conftest import unavailable

REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The endpoint URL of a moto_server subprocess (Lambda invoke without docker: moto's simple backend)."""
    exe = moto_executable()
    if not exe.exists():
        unavailable(f"moto_server is not installed at {exe} (pip install 'moto[server]')")
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as out:
        try:
            proc, url = start_moto_server(out)
        except RuntimeError as exc:
            pytest.fail(f"{exc}: {log.read_text(errors='replace')[-2000:]}")
    try:
        yield url
    finally:
        stop_process(proc, 10)


@pytest.fixture
def moto_url(moto_server: str) -> str:
    """The shared server; tests use their own names instead of a reset (a reset costs 1-3 s in moto)."""
    return moto_server


def moto_connection(url: str, region: str = REGION) -> Connection:
    """A deploy connection to moto at `url` in `region`, with moto's dummy keys."""
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
    return Connection(session=session, region=region, endpoint_url=url)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's dummy keys in the environment and no profile, for the CLI and the window's AwsContext."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def conn(moto_url: str) -> Connection:
    return moto_connection(moto_url)


class CallCounter:
    """Records the API operations (and their parameters) a real botocore client sends, via its event hooks."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.params: list[tuple[str, dict[str, object]]] = []

    def attach(self, client: object) -> CallCounter:
        client.meta.events.register("provide-client-params.*.*", self._on_call)  # type: ignore[attr-defined]
        return self

    def _on_call(self, params: dict[str, object], model: object, **_: object) -> None:
        name = model.name  # type: ignore[attr-defined]
        self.calls.append(name)
        self.params.append((name, dict(params)))

    def count(self, name: str) -> int:
        return self.calls.count(name)

    def params_of(self, name: str) -> list[dict[str, object]]:
        return [p for n, p in self.params if n == name]
