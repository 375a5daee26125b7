"""The docker engine as the container backend sees it: connecting, clear failures, images, pulls."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runner.result import SetupError

DEFAULT_IMAGE = "public.ecr.aws/lambda/python:{version}"
ENV_IMAGE = "LAMBDA_STUDIO_IMAGE"


class ContainerBackendError(SetupError):
    """A failure the user can fix; the message says what happened and what to do next."""


class EngineUnavailable(ContainerBackendError):
    """No docker engine answers (not installed, daemon down, no permission on the socket)."""


class ImageUnavailable(ContainerBackendError):
    """The function's image is not present and cannot be pulled."""


@dataclass(frozen=True)
class PullProgress:
    """One step of an image pull: per-layer bytes and the overall percentage (for a progress bar)."""

    image: str
    layer: str
    status: str
    current: int
    total: int
    percent: float


ProgressSink = Callable[[PullProgress], None]


def explain_engine_error(exc: BaseException, base_url: str | None = None) -> EngineUnavailable:
    """Turns a docker SDK / requests connection error into a message naming the fix."""
    where = base_url or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    text = f"{exc} {exc.__context__ or ''}"
    if "PermissionError" in text or "Permission denied" in text or "Errno 13" in text:
        user = os.environ.get("USER", "$USER")
        return EngineUnavailable(
            f"Permission denied on the docker socket ({where}). Fix: `sudo usermod -aG docker {user}`, "
            "then log out and in again (or run Docker Desktop). Or use the process backend (--backend process)."
        )
    if shutil.which("docker") is None and shutil.which("dockerd") is None and "DOCKER_HOST" not in os.environ:
        return EngineUnavailable(
            "Docker is not installed. Install Docker Engine (Linux: `sudo apt-get install docker.io`) or "
            "Docker Desktop (macOS/Windows), or use the process backend (--backend process)."
        )
    return EngineUnavailable(
        f"The docker daemon does not answer at {where} ({_short(exc)}). Fix: start it "
        "(`sudo systemctl start docker`, or open Docker Desktop), or use the process backend "
        "(--backend process)."
    )


def _short(exc: BaseException) -> str:
    text = str(exc.__context__ or exc)
    return text if len(text) < 160 else text[:157] + "..."


def connect(base_url: str | None = None, timeout: float = 60.0) -> Any:
    """A docker client that answered a ping; raises EngineUnavailable with the fix otherwise.

    This is the one place a client is created (the app and CLI call it, then pass the client in).
    """
    try:
        import docker
    except ImportError as exc:  # pragma: no cover - docker is a declared dependency
        raise EngineUnavailable(f"The docker Python package is missing ({exc}); `pip install docker`.")
    try:
        if base_url:
            client = docker.DockerClient(base_url=base_url, version="auto", timeout=int(timeout))
        else:
            client = docker.from_env(timeout=int(timeout))
        client.ping()
    except Exception as exc:  # noqa: BLE001 - every failure to connect becomes one clear message
        raise explain_engine_error(exc, base_url) from exc
    return client


def check_engine(client: Any) -> None:
    """Raises EngineUnavailable when the client's engine does not answer a ping. Blocks briefly."""
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001
        base = getattr(getattr(client, "api", None), "base_url", None)
        raise explain_engine_error(exc, base) from exc


def platform_for(architecture: str) -> str:
    """The docker --platform of a Lambda architecture ('x86_64' / 'arm64')."""
    return "linux/arm64" if architecture == "arm64" else "linux/amd64"


def image_for(runtime_version: str, architecture: str = "x86_64", override: str | None = None) -> str:
    """The image of a runtime: the override, else $LAMBDA_STUDIO_IMAGE, else the official base image."""
    chosen = override or os.environ.get(ENV_IMAGE)
    if chosen:
        return chosen.replace("{version}", runtime_version).replace("{arch}", architecture)
    return DEFAULT_IMAGE.format(version=runtime_version)


def has_image(client: Any, image: str) -> bool:
    import docker.errors

    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        return False
    except docker.errors.APIError as exc:
        raise explain_engine_error(exc) from exc
    return True


def _split(image: str) -> tuple[str, str]:
    if "@" in image:
        return image, ""
    name, sep, tag = image.rpartition(":")
    if sep and "/" not in tag:
        return name, tag
    return image, "latest"


def ensure_image(
    client: Any, image: str, platform: str | None = None, progress: ProgressSink | None = None
) -> None:
    """Makes sure `image` is present, pulling it with per-layer progress. Blocks (a pull can take minutes).

    Raises ImageUnavailable naming the image, why the pull failed and the alternatives.
    """
    if has_image(client, image):
        return
    repo, tag = _split(image)
    layers: dict[str, tuple[int, int]] = {}
    try:
        stream = client.api.pull(repo, tag=tag or None, stream=True, decode=True, platform=platform)
        for event in stream:
            if "error" in event:
                raise RuntimeError(event.get("error"))
            layer = str(event.get("id", ""))
            detail = event.get("progressDetail") or {}
            status = str(event.get("status", ""))
            if layer and detail.get("total"):
                layers[layer] = (int(detail.get("current", 0)), int(detail["total"]))
            elif layer and status in ("Download complete", "Pull complete", "Already exists"):
                done = layers.get(layer, (1, 1))[1]
                layers[layer] = (done, done)
            if progress is not None:
                current = sum(c for c, _ in layers.values())
                total = sum(t for _, t in layers.values())
                cur, tot = layers.get(layer, (0, 0))
                progress(
                    PullProgress(image, layer, status, cur, tot, 100.0 * current / total if total else 0.0)
                )
    except Exception as exc:  # noqa: BLE001 - any pull failure becomes one clear message
        raise ImageUnavailable(
            f"The image {image} is not on this machine and could not be pulled: {_pull_reason(exc)}. "
            f"Alternatives: `docker load -i <file>` a saved copy, build one and tag it {image} "
            "(or set the project's image to a local one), or use the process backend (--backend process)."
        ) from exc
    if not has_image(client, image):
        raise ImageUnavailable(f"Pulling {image} finished but the image is still missing.")


def _pull_reason(exc: BaseException) -> str:
    text = re.sub(r"\s+", " ", str(exc)).strip()
    if "no such host" in text or "dial tcp" in text or "timeout" in text.lower():
        return f"the registry cannot be reached ({text[:200]})"
    if "denied" in text or "unauthorized" in text:
        return f"access denied ({text[:200]}); try `docker login`"
    if "not found" in text or "manifest unknown" in text:
        return f"no such image or tag ({text[:200]})"
    return text[:240] or type(exc).__name__
