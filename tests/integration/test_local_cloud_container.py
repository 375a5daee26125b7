"""The local application with the container backend: triggers run in containers, stop removes them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from runner.backends.container.backend import ContainerBackend
from runner.backends.container.launch import LABEL_PROJECT
from tests.integration import docker_fixtures
from tests.integration.local_cloud_support import running_cloud

pytestmark = [pytest.mark.moto, pytest.mark.docker]
docker_client = docker_fixtures.docker_client
test_image = docker_fixtures.test_image


def test_sqs_batch_runs_in_a_container_and_stop_leaves_no_container(
    example_project: Path, docker_client: Any, test_image: str, tmp_path: Path
) -> None:
    label = f"pytest-localcloud-{uuid.uuid4().hex[:8]}"
    backend = ContainerBackend(docker_client, label, tmp_path / "cache", image_override=test_image)

    def containers() -> list[Any]:
        return docker_client.containers.list(all=True, filters={"label": f"{LABEL_PROJECT}={label}"})

    with running_cloud(example_project, backend=backend) as (cloud, log):
        sqs = cloud.endpoint.client("sqs")
        queue = cloud.model.resources["OrdersQueue"].ref
        sqs.send_message(
            QueueUrl=queue, MessageBody=json.dumps({"id": "o-7", "customer": "ada", "quantity": 1})
        )
        log.wait_for(lambda s: "batch succeeded, 1 message(s) deleted" in s, timeout=120)
        assert "processed order o-7 for ada" in log.text()
        assert containers(), "the function should be running in a container"
    assert containers() == []
