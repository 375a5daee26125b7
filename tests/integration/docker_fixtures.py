"""Fixtures for tests on the real docker engine: skip with a reason locally, fail under CI=true."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from runner.backends.container.engine import EngineUnavailable, connect, has_image
from tests.conftest import unavailable

DEFAULT_TEST_IMAGE = "lambda-studio-test/python:3.11"


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    try:
        client = connect()
    except EngineUnavailable as exc:
        unavailable(f"no docker engine: {exc} (`make services` starts one)")
    yield client
    client.close()


@pytest.fixture(scope="session")
def test_image(docker_client: Any) -> str:
    image = os.environ.get("LAMBDA_STUDIO_TEST_IMAGE", DEFAULT_TEST_IMAGE)
    if not has_image(docker_client, image):
        unavailable(
            f"the test image {image} is missing (`make services` builds it: scripts/docker-test-image.sh)"
        )
    return image
