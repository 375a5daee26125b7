"""Fixtures for tests on the real docker engine: skip with a reason locally, fail under CI=true."""

from __future__ import annotations

import os
import uuid
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


def backend_fixture(label: str, *, scope: str = "module", **options: Any) -> Any:
    """A fixture giving a ContainerBackend on the test image (project label `label-<random>`, a fresh
    cache folder, `options` as ContainerBackend's), closed at the end of its scope. Assign it to a name
    in the test module: ``backend = backend_fixture("pytest-sandbox", entrypoint_mode="emulator")``."""

    @pytest.fixture(scope=scope)  # type: ignore[call-overload]
    def backend(
        docker_client: Any, test_image: str, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[Any]:
        from runner.backends.container.backend import ContainerBackend

        made = ContainerBackend(
            docker_client, f"{label}-{uuid.uuid4().hex[:8]}", tmp_path_factory.mktemp(f"{label}-cache"),
            image_override=test_image, **options,
        )  # fmt: skip
        yield made
        made.close()

    return backend
