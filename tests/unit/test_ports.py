"""free_port: a port a server can bind, never one an outgoing connection may be given meanwhile."""

from __future__ import annotations

import socket

import pytest

from runner import ports
from runner.ports import ephemeral_range, free_port


def test_free_ports_are_outside_the_ephemeral_range_and_bindable() -> None:
    low, high = ephemeral_range()
    assert 1024 <= low < high <= 65535
    for _ in range(20):
        port = free_port()
        assert not low <= port <= high
        with socket.socket() as server:
            server.bind(("127.0.0.1", port))
            server.listen()


def test_a_port_someone_listens_on_is_never_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port()))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setattr(ports, "_LISTEN_RANGE", (port, port + 1))  # the taken port only
        assert port not in {free_port() for _ in range(10)}


def test_without_a_free_port_in_the_range_the_os_picks_one(monkeypatch: pytest.MonkeyPatch) -> None:
    low, _ = ephemeral_range()
    monkeypatch.setattr(ports, "_LISTEN_RANGE", (low, low + 10))  # all inside the ephemeral range
    port = free_port()
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        assert server.getsockname()[1] == port
