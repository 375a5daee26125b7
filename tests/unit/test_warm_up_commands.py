"""start-api warms its routes' functions with the one warm-up (Backend.warm_up) before any request."""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from app.commands import start_api
from runner.ports import free_port
from tests.serve_support import write_project

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    Timeout: 5
    CodeUri: src/
Resources:
  Routed:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Events:
        Get:
          Type: HttpApi
          Properties: {Path: /hello, Method: get}
  Unrouted:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
"""
APP = """
def handler(event, context):
    return {"statusCode": 200, "body": "hi"}
"""


def test_start_api_warms_the_routed_functions_before_the_first_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(tmp_path, TEMPLATE, APP)
    made: list[Any] = []
    real = start_api.select_backend

    def keep(name: str, **options: Any) -> Any:  # the real backend, kept to look at
        made.append(real(name, **options))
        return made[-1]

    monkeypatch.setattr(start_api, "select_backend", keep)
    args = argparse.Namespace(
        project=str(tmp_path), port=free_port(), host="127.0.0.1", backend="process", stage=None,
        env_vars=None, jwks=None, container_image=None, profile=None,
    )  # fmt: skip
    stop = threading.Event()
    outcome: list[int] = []
    thread = threading.Thread(target=lambda: outcome.append(start_api.run(args, stop)))
    thread.start()
    try:
        deadline = time.monotonic() + 30

        def warm(function_id: str) -> int:
            emulators = made[0]._emulators if made else {}  # noqa: SLF001
            return sum(e.warm_count for key, e in list(emulators.items()) if key[0] == function_id)

        while warm("Routed") < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert warm("Routed") == 1  # its init ran, and no request was made
        assert warm("Unrouted") == 0  # no route: not warmed
    finally:
        stop.set()
        thread.join(20)
    assert outcome == [0]
