"""A moto_server subprocess on 127.0.0.1, shared by the deploy benchmark and the test fixtures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO

from runner.ports import free_port


def moto_executable() -> Path:
    return Path(sys.executable).parent / "moto_server"


def start_moto_server(output: IO[bytes] | int = subprocess.DEVNULL) -> tuple[subprocess.Popen[bytes], str]:
    """Start moto_server on a free port and wait until it answers; returns (process, endpoint URL).

    AWS managed policies are loaded (AWSLambdaBasicExecutionRole exists only when asked for) and
    Lambda invoke uses moto's docker-free backend, which answers with the event. Raises
    RuntimeError when it does not start within 30 s; the caller stops the process.
    """
    port = free_port()
    env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    proc = subprocess.Popen(
        [str(moto_executable()), "-H", "127.0.0.1", "-p", str(port)],
        stdout=output,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("moto_server did not start") from None
            time.sleep(0.1)
    body = json.dumps({"lambda": {"use_docker": False}}).encode()
    req = urllib.request.Request(
        f"{url}/moto-api/config", data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        resp.read()
    return proc, url
