"""runner.deps: Lambda's pip platforms decided once, pip run even from the bundle, folders built once."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import pytest

from app.deploy.requirements import pip_platforms
from runner import deps
from runner.backends.container.deps import ensure_container_requirements
from runner.deps import PipError, build_once, lambda_pip_platforms, pip_command, run_pip

# A stand-in pip: records its arguments next to --target, as a real install would fill it.
FAKE_PIP = """
import json, sys
args = sys.argv[1:]
target = args[args.index("--target") + 1]
import os
os.makedirs(target, exist_ok=True)
open(os.path.join(target, "argv.json"), "w").write(json.dumps(args))
"""


@pytest.mark.parametrize(
    ("runtime", "arch", "expected"),
    [
        ("3.9", "x86_64", ["manylinux2014_x86_64"]),
        ("3.11", "x86_64", ["manylinux2014_x86_64"]),  # Amazon Linux 2, glibc 2.26: no 2_28 wheels
        ("3.11", "arm64", ["manylinux2014_aarch64"]),
        ("3.12", "x86_64", ["manylinux2014_x86_64", "manylinux_2_28_x86_64"]),  # AL2023, glibc 2.34
        ("python3.13", "arm64", ["manylinux2014_aarch64", "manylinux_2_28_aarch64"]),
    ],
)
def test_lambda_pip_platforms(runtime: str, arch: str, expected: list[str]) -> None:
    assert lambda_pip_platforms(runtime, arch) == expected


def test_unknown_architecture_is_a_user_error() -> None:
    with pytest.raises(deps.UserFacingError, match="Unknown architecture 'sparc'"):
        lambda_pip_platforms("3.12", "sparc")


def test_the_container_runner_installs_what_the_deployer_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "fake_pip.py"
    fake.write_text(FAKE_PIP)
    monkeypatch.setattr(deps, "pip_command", lambda python=None: [sys.executable, str(fake)])
    req = tmp_path / "requirements.txt"
    req.write_text("requests==2.32.3\n")
    out = ensure_container_requirements(req, "3.11", "x86_64", tmp_path / "cache")
    assert out is not None
    argv = json.loads((out / "python" / "argv.json").read_text())
    platforms = [argv[i + 1] for i, a in enumerate(argv) if a == "--platform"]
    assert platforms == pip_platforms("x86_64", "3.11") == ["manylinux2014_x86_64"]
    assert argv[argv.index("--python-version") + 1] == "3.11" and "--only-binary=:all:" in argv


def test_pip_from_the_frozen_bundle_is_the_apps_own_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    assert pip_command() == [sys.executable, "-m", "pip"]
    assert pip_command("/usr/bin/python3") == ["/usr/bin/python3", "-m", "pip"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert pip_command() == [sys.executable, "--run-pip"]  # not `<app> -m pip`, which the app rejects
    assert pip_command("/usr/bin/python3") == ["/usr/bin/python3", "-m", "pip"]


def test_build_once_cleans_up_a_failed_build_and_keeps_a_finished_one(tmp_path: Path) -> None:
    target = tmp_path / "cache" / "thing"

    def broken(tmp: Path) -> None:
        (tmp / "half").write_text("x")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        build_once(target, broken)
    assert list((tmp_path / "cache").iterdir()) == []
    calls: list[int] = []

    def good(tmp: Path) -> None:
        calls.append(1)
        (tmp / "file").write_text("ok")

    assert build_once(target, good) == (target, False)
    assert build_once(target, good) == (target, True) and calls == [1]
    assert (target / "file").read_text() == "ok"


def test_build_once_racing_builders_share_one_result(tmp_path: Path) -> None:
    target = tmp_path / "shared"
    barrier = threading.Barrier(4)
    results: list[Path] = []

    def build(tmp: Path) -> None:
        barrier.wait(5)  # all four are building at once
        (tmp / "who").write_text(threading.current_thread().name)

    threads = [
        threading.Thread(target=lambda: results.append(build_once(target, build)[0])) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == [target] * 4 and (target / "who").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["shared"]  # no temporary folder left behind


def test_run_pip_failure_and_cancel(tmp_path: Path) -> None:
    with pytest.raises(PipError) as failed:
        run_pip(
            ["nothing"], command=[sys.executable, "-c", "import sys; print('no such thing'); sys.exit(3)"]
        )
    assert failed.value.message == "pip exit 3" and "no such thing" in failed.value.output
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(PipError) as stopped:
        run_pip([], command=[sys.executable, "-c", "import time; time.sleep(30)"], cancel=cancel)
    assert stopped.value.cancelled
