"""The container link's wire form: written by the host, read by the emulator, anything else refused."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from runner.backends.container import rie_gate
from runner.config import FunctionConfig
from runner.emulator.gate_link import GATE_ENV, GateLink


def test_a_link_survives_the_environment_and_hides_its_token_from_repr() -> None:
    link = GateLink("172.17.0.1", 41234, "s3cret-token", ((4566, "aws"), (40001, "lambda")))
    assert GateLink.from_env(link.to_env()) == link
    assert "s3cret-token" not in repr(link)
    config = FunctionConfig("F", "f", "app.handler", "python3.12", code_dir=Path("."))
    with_gate = replace(config, host_gate=link)
    assert "s3cret-token" not in repr(with_gate)
    assert with_gate.config_hash() != config.config_hash()  # another gate needs another container


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        json.dumps({"host": "", "port": 1, "token": "t"}),
        json.dumps({"host": "h", "port": 70000, "token": "t"}),
        json.dumps({"host": "h", "port": 1, "token": ""}),
        json.dumps({"host": "h", "port": 1, "token": "t", "forwards": [[4566, "ec2"]]}),
        json.dumps({"host": "h", "port": 1, "token": "t", "forwards": [["4566", "aws"]]}),
        json.dumps({"host": "h", "port": 1, "token": "t", "forwards": [[0, "aws"]]}),
    ],
)
def test_a_bad_link_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        GateLink.from_env(text)


def test_image_modes_gate_reads_the_same_variable() -> None:
    assert rie_gate.GATE_ENV == GATE_ENV
