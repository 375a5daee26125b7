"""The desktop bundle, built for real: it answers like the pip-installed command, starts its window
offscreen, installs for a user, and the wheel installs with pipx.

The bundle is built by packaging/build.py into the test cache, keyed by a hash of the sources: the
first run builds (about 2 minutes on 2 cores, most of it creating the build venv), later runs with the
same sources reuse it. Linux only: the archive and the install script are Linux's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import unavailable
from tests.integration import docker_fixtures
from tests.integration.moto_fixtures import moto_server, moto_url  # noqa: F401

docker_client = docker_fixtures.docker_client  # fixtures shared with the other docker test modules
test_image = docker_fixtures.test_image

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "hello-sam"
BUILD = REPO / "packaging" / "build.py"
VENV_BIN = Path(sys.executable).parent
PIP_COMMAND = VENV_BIN / "lambda-studio"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1800),
    pytest.mark.skipif(
        not sys.platform.startswith("linux"), reason="the bundle archive is built for Linux here"
    ),
]


def _cache() -> Path:
    base = os.environ.get("LAMBDA_STUDIO_TEST_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "lambda-studio-test"
    )
    return Path(base)


def _run(cmd: list[str | Path], timeout: float = 120, **kwargs: object) -> subprocess.CompletedProcess[str]:
    # An explicit cwd: an earlier test may leave this process in a deleted temporary folder, which
    # breaks `python -m pip` (os.getcwd() raises) in the child.
    kwargs.setdefault("cwd", REPO)
    return subprocess.run(  # type: ignore[call-overload]
        [str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, **kwargs
    )


class Built:
    def __init__(self, work: Path, dist: Path) -> None:
        self.bundle = work / "dist" / "lambda-studio"
        self.exe = self.bundle / "lambda-studio"
        archives = sorted(dist.glob("lambda-studio-*-linux-*.tar.gz"))
        assert archives, f"no archive in {dist}"
        self.archive = archives[-1]


@pytest.fixture(scope="module")
def built() -> Built:
    key = _run([sys.executable, BUILD, "--print-key"]).stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{16}", key), key
    root = _cache() / "bundle"
    work, dist = root / key / "work", root / key / "dist"
    proc = _run([sys.executable, BUILD, "--work", work, "--dist", dist], timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # Keep the two newest builds: a branch switch back and forth stays fast, the cache stays small.
    others = sorted(
        (p for p in root.iterdir() if p.is_dir() and p.name != key), key=lambda p: p.stat().st_mtime
    )
    for old in others[:-1]:
        shutil.rmtree(old, ignore_errors=True)
    return Built(work, dist)


def test_bundle_layout(built: Built) -> None:
    internal = built.bundle / "_internal"
    package = sorted(
        p.relative_to(REPO / "runner").as_posix() for p in (REPO / "runner" / "emulator").glob("*.py")
    )
    assert "emulator/launch.py" in package and "emulator/__init__.py" in package
    for name in [
        *package,
        "backends/container/rie_gate.py",
        "backends/process/bootstrap.py",
    ]:  # run as files by containers and python3
        assert (internal / "runner" / name).read_bytes() == (REPO / "runner" / name).read_bytes()
    platforms = {p.name for p in (internal / "PySide6" / "Qt" / "plugins" / "platforms").iterdir()}
    assert {"libqoffscreen.so", "libqxcb.so"} <= platforms
    assert list((internal / "pyside6_scintilla").glob("*.so*")), "Scintilla libraries"
    assert list((internal / "lexilla").glob("*.so*")), "Lexilla library"
    assert (internal / "resources" / "events").is_dir()
    index = json.loads((internal / "licenses" / "index.json").read_text())
    names = " ".join(item["name"] for item in index)
    for wanted in ("Qt 6", "Scintilla", "Lexilla", "Docker SDK", "boto3", "PyYAML", "Python"):
        assert wanted in names
    for item in index:
        assert item["texts"], f"{item['name']} ships no licence text"
        for text in item["texts"]:
            assert (internal / "licenses" / text).is_file()


def test_functions_same_as_pip_install(built: Built) -> None:
    ours = _run([built.exe, "functions", "--json", EXAMPLE])
    theirs = _run([PIP_COMMAND, "functions", "--json", EXAMPLE])
    assert ours.returncode == theirs.returncode == 0, ours.stderr + theirs.stderr
    assert json.loads(ours.stdout) == json.loads(theirs.stdout)
    assert _run([built.exe, "functions", EXAMPLE]).stdout == _run([PIP_COMMAND, "functions", EXAMPLE]).stdout


_VOLATILE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d{4}-\d\d-\d\dT[\d:.]+Z|\d+(\.\d+)? (ms|MB)"
)


def _comparable(result: dict) -> dict:
    """An invoke result without what differs between two runs (ids, clocks, timings, memory)."""
    log = [
        _VOLATILE.sub("*", line)
        for line in result["log"].splitlines()
        if "lambda-studio: installing" not in line
    ]
    payload = json.loads(_VOLATILE.sub("*", json.dumps(result["payload"])))
    keep = ("function", "outcome", "error", "backend", "cold_start")
    return {**{k: result[k] for k in keep}, "payload": payload, "log": log}


@pytest.mark.parametrize(
    ("function", "event"),
    [("HelloFunction", "HelloFunction/get-hello.json"), ("OrdersFunction", "OrdersFunction/two-orders.json")],
)
def test_invoke_process_same_as_pip_install(built: Built, function: str, event: str) -> None:
    env = {
        **os.environ,
        "LAMBDA_STUDIO_CACHE": str(_cache() / "bundle-invoke-cache"),
        # The bundle runs functions with python3 from PATH: make it this venv's, as the pip install uses.
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("LAMBDA_STUDIO_PYTHON", None)
    args = [
        "invoke",
        "--backend",
        "process",
        "--json",
        "--event",
        EXAMPLE / "events" / event,
        EXAMPLE,
        function,
    ]
    ours = _run([built.exe, *args], timeout=300, env=env)
    theirs = _run([PIP_COMMAND, *args], timeout=300, env=env)
    assert ours.returncode == theirs.returncode == 0, ours.stderr[-2000:] + theirs.stderr[-2000:]
    a, b = json.loads(ours.stdout), json.loads(theirs.stdout)
    assert a["outcome"] == "success"
    assert _comparable(a) == _comparable(b)


@pytest.mark.docker
def test_invoke_container_mounts_the_bundled_emulator(built: Built, test_image: str) -> None:
    """The container backend mounts the runner/emulator/ folder from inside the bundle into the container."""
    env = {**os.environ, "LAMBDA_STUDIO_IMAGE": test_image}
    event = EXAMPLE / "events" / "OrdersFunction" / "two-orders.json"
    args = ["invoke", "--backend", "container", "--json", "--event", event, EXAMPLE, "OrdersFunction"]
    ours = _run([built.exe, *args], timeout=300, env=env)
    theirs = _run([PIP_COMMAND, *args], timeout=300, env=env)
    assert ours.returncode == theirs.returncode == 0, ours.stderr[-2000:] + theirs.stderr[-2000:]
    a, b = json.loads(ours.stdout), json.loads(theirs.stdout)
    assert a["backend"] == "container" and a["outcome"] == "success"
    assert _comparable(a) == _comparable(b)


def _gui_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "LAMBDA_STUDIO_"))}
    env.update({"HOME": str(home), "QT_QPA_PLATFORM": "offscreen", "LAMBDA_STUDIO_QUIT_AFTER_LOAD": "1"})
    return env


def _files(home: Path) -> set[str]:
    return {
        p.relative_to(home).as_posix()
        for p in home.rglob("*")
        if p.is_file() and "lambda-studio" in p.relative_to(home).as_posix()
    }


def test_gui_starts_offscreen_opens_example_and_quits(built: Built, tmp_path: Path) -> None:
    home_bundle, home_pip = tmp_path / "home-bundle", tmp_path / "home-pip"
    home_bundle.mkdir()
    home_pip.mkdir()
    ours = _run([built.exe, EXAMPLE], timeout=120, env=_gui_env(home_bundle))
    assert ours.returncode == 0, ours.stderr[-3000:]
    assert f"lambda-studio: loaded {EXAMPLE} (2 functions)" in ours.stderr
    assert "Traceback" not in ours.stderr
    # Settings land where a pip install puts them (platformdirs, same application name).
    theirs = _run([PIP_COMMAND, EXAMPLE], timeout=120, env=_gui_env(home_pip))
    assert theirs.returncode == 0, theirs.stderr[-3000:]
    assert _files(home_bundle) == _files(home_pip)
    assert any(f.startswith(".config/lambda-studio/") for f in _files(home_bundle))


def _validator(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        unavailable(f"{name} is not installed (scripts/packaging-tools.sh installs it)")
    return found


def test_install_script_in_a_temporary_home(built: Built, tmp_path: Path) -> None:
    with tarfile.open(built.archive) as tar:
        tar.extractall(tmp_path / "unpacked", filter="tar")
    (top,) = list((tmp_path / "unpacked").iterdir())
    home, data = tmp_path / "my home", tmp_path / "xdg-data"  # a space: the Exec line must quote it
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(data)}
    proc = _run(["sh", top / "install.sh"], env=env)
    assert proc.returncode == 0, proc.stderr
    launcher = home / ".local" / "bin" / "lambda-studio"
    assert (home / ".local" / "lib" / "lambda-studio" / "lambda-studio").is_file()
    for size in (16, 32, 48, 64, 128, 256, 512):
        assert (data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "lambda-studio.png").is_file()
    desktop = data / "applications" / "lambda-studio.desktop"
    assert f'Exec="{launcher}" %f' in desktop.read_text()
    check = _run([_validator("desktop-file-validate"), desktop])
    assert check.returncode == 0, check.stdout + check.stderr
    metainfo = data / "metainfo" / "io.lambdastudio.LambdaStudio.metainfo.xml"
    if shutil.which("appstreamcli"):
        check = _run(["appstreamcli", "validate", "--no-net", metainfo])
        assert check.returncode == 0, check.stdout + check.stderr
    version = _run([launcher, "--version"], env=env)
    assert version.stdout.startswith("lambda-studio ")
    assert _run([launcher, "functions", EXAMPLE], env=env).returncode == 0

    proc = _run(["sh", home / ".local" / "lib" / "lambda-studio" / "uninstall.sh"], env=env)
    assert proc.returncode == 0, proc.stderr
    assert not launcher.exists() and not desktop.exists() and not metainfo.exists()
    assert not (home / ".local" / "lib" / "lambda-studio").exists()
    assert not list(data.rglob("lambda-studio.png"))


def test_pipx_install_starts(tmp_path: Path) -> None:
    """`pipx install .` (pipx from PyPI, in a private PIPX_HOME) gives a working `lambda-studio`."""
    tool = tmp_path / "tool"
    assert _run([sys.executable, "-m", "venv", tool]).returncode == 0
    proc = _run([tool / "bin" / "python", "-m", "pip", "install", "-q", "pipx"], timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    env = {
        **os.environ,
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(tmp_path / "bin"),
        "PIPX_MAN_DIR": str(tmp_path / "man"),
    }
    proc = _run([tool / "bin" / "pipx", "install", "--python", sys.executable, REPO], timeout=900, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    command = tmp_path / "bin" / "lambda-studio"
    assert _run([command, "--version"], env=env).stdout.strip() == "lambda-studio 0.1.0"
    assert (
        _run([command, "functions", EXAMPLE], env=env).stdout
        == _run([PIP_COMMAND, "functions", EXAMPLE]).stdout
    )
    home = tmp_path / "home"
    home.mkdir()
    gui = _run(
        [command, EXAMPLE], timeout=120, env={**_gui_env(home), **{k: env[k] for k in env if "PIPX" in k}}
    )
    assert gui.returncode == 0, gui.stderr[-2000:]
    assert "lambda-studio: loaded" in gui.stderr


REQS_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  SixFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: bundle-six-fn
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
"""


def _project_with_requirements(root: Path) -> Path:
    """A function importing six, which only its requirements.txt provides (tiny, pure Python)."""
    (root / "src").mkdir(parents=True)
    (root / "template.yaml").write_text(REQS_TEMPLATE)
    (root / "src" / "app.py").write_text(
        "import six\n\n\ndef handler(event, context):\n    return {'six': six.__version__}\n"
    )
    (root / "src" / "requirements.txt").write_text("six==1.17.0\n")
    return root


@pytest.mark.docker
def test_container_invoke_installs_requirements_from_the_bundle(
    built: Built, test_image: str, tmp_path: Path
) -> None:
    """The bundle installs requirements.txt with the pip it ships (`lambda-studio --run-pip`)."""
    project = _project_with_requirements(tmp_path / "proj")
    env = {**os.environ, "LAMBDA_STUDIO_IMAGE": test_image, "LAMBDA_STUDIO_CACHE": str(tmp_path / "cache")}
    args = ["invoke", "--backend", "container", "--json", project, "SixFunction"]
    ours = _run([built.exe, *args], timeout=600, env=env)
    assert ours.returncode == 0, ours.stdout[-2000:] + ours.stderr[-3000:]
    result = json.loads(ours.stdout)
    assert result["backend"] == "container" and result["payload"] == {"six": "1.17.0"}


@pytest.mark.moto
def test_deploy_build_from_the_bundle(built: Built, moto_url: str, tmp_path: Path) -> None:  # noqa: F811
    """A deploy plan packages the function with its requirements, installed by the bundle's pip."""
    project = _project_with_requirements(tmp_path / "proj")
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "LAMBDA_STUDIO_CACHE": str(tmp_path / "cache"),
    }
    env.pop("AWS_PROFILE", None)
    args = [
        "deploy",
        "--dry-run",
        "--json",
        "--create-role",
        "--region",
        "us-east-1",
        "--endpoint-url",
        moto_url,
    ]
    ours = _run(
        [built.exe, *args, "--cache-dir", tmp_path / "deploy", project, "SixFunction"], timeout=600, env=env
    )
    assert ours.returncode == 0, ours.stdout[-2000:] + ours.stderr[-3000:]
    package = json.loads(ours.stdout)["plan"]["package"]
    with zipfile.ZipFile(package["path"]) as archive:
        names = set(archive.namelist())
    assert {"app.py", "six.py"} <= names, sorted(names)[:20]


def test_local_cloud_runs_from_the_bundle(built: Built, tmp_path: Path) -> None:
    """moto ships as files (it lists its own folder and imports each service by name): `start` from the
    bundle creates the template's queue, runs its SQS trigger, answers for a service the template does not
    use and has AWS's managed policies; SIGTERM stops it cleanly."""
    import boto3

    from tests.integration.local_cloud_support import Log

    env = {
        **os.environ,
        "LAMBDA_STUDIO_CACHE": str(tmp_path / "cache"),
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",  # python3 for the process backend
    }
    args = ["start", EXAMPLE, "--aws-port", "0", "--port", "0", "--backend", "process"]
    proc = subprocess.Popen(
        [str(a) for a in [built.exe, *args]],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    log = Log()
    reader = threading.Thread(target=lambda: [log(line.rstrip("\n")) for line in proc.stderr], daemon=True)
    reader.start()
    try:
        url = log.wait_for(lambda s: s.startswith("Local AWS endpoint: "), timeout=120)[0].split(": ", 1)[1]
        assert "OrdersQueue  AWS::SQS::Queue  hello-sam-OrdersQueue-" in log.text()

        def client(service: str) -> Any:
            return boto3.client(
                service,
                endpoint_url=url,
                region_name="us-east-1",
                aws_access_key_id="x",
                aws_secret_access_key="x",
            )

        sqs = client("sqs")
        (queue_url,) = sqs.list_queues()["QueueUrls"]
        sqs.send_message(
            QueueUrl=queue_url, MessageBody=json.dumps({"id": "o-1", "customer": "ada", "quantity": 1})
        )
        log.wait_for(lambda s: "batch succeeded, 1 message(s) deleted" in s, timeout=120)
        assert client("stepfunctions").list_state_machines()["stateMachines"] == []
        policy = client("iam").get_policy(PolicyArn="arn:aws:iam::aws:policy/AWSLambdaExecute")["Policy"]
        assert policy["PolicyName"] == "AWSLambdaExecute"
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    reader.join(10)
    assert code == 0, log.text()[-3000:]
    assert "Traceback" not in log.text() and "Error on request" not in log.text(), log.text()[-3000:]
