"""Deploy packages never follow links out of the code folder, hold no special file and no secret."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from app.cli import main
from app.deploy.errors import DeployError
from app.deploy.packaging import package_function, package_layer
from app.deploy.progress import Progress
from app.project.loader import load_project
from app.project.model import FunctionSpec, LayerSpec
from tests.conftest import REPO

TEMPLATE = """\
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: {code}
"""


def _fn(code: Path, name: str = "f") -> FunctionSpec:
    return FunctionSpec("F", name, "app.handler", "python3.12", None, code_dir=code)


def _code(tmp_path: Path, files: dict[str, str] | None = None) -> Path:
    code = tmp_path / "code"
    code.mkdir()
    for name, text in (files or {"app.py": "def handler(e, c):\n    return 1\n"}).items():
        (code / name).parent.mkdir(parents=True, exist_ok=True)
        (code / name).write_text(text)
    return code


def test_a_link_to_proc_environ_is_refused_and_nothing_is_read(tmp_path: Path) -> None:
    code = _code(tmp_path)
    (code / "env.txt").symlink_to("/proc/self/environ")
    with pytest.raises(DeployError) as info:
        package_function(_fn(code), cache_dir=tmp_path / "c")
    assert str(code / "env.txt") in info.value.message and "outside the code folder" in info.value.message
    assert not list((tmp_path / "c").rglob("*.zip"))


def test_a_link_to_a_file_outside_is_refused_naming_the_path(tmp_path: Path) -> None:
    outside = tmp_path / "home" / ".aws"
    outside.mkdir(parents=True)
    (outside / "config").write_text("[default]\n")
    code = _code(tmp_path)
    (code / "lib").symlink_to(outside, target_is_directory=True)
    with pytest.raises(DeployError, match="symbolic link to .*outside the code folder") as info:
        package_function(_fn(code), cache_dir=tmp_path / "c")
    assert str(code / "lib") in info.value.message


def test_links_inside_the_folder_stay_links_in_the_zip(tmp_path: Path) -> None:
    code = _code(tmp_path, {"app.py": "x = 1\n", "pkg/mod.py": "y = 2\n"})
    (code / "alias.py").symlink_to("app.py")
    (code / "pkg2").symlink_to("pkg", target_is_directory=True)
    (code / "pkg" / "up.py").symlink_to(code / "app.py")  # absolute, but inside: stored relative
    result = package_function(_fn(code), cache_dir=tmp_path / "c")
    with zipfile.ZipFile(result.path) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        links = {n: zf.read(n).decode() for n, i in infos.items() if stat.S_ISLNK(i.external_attr >> 16)}
    assert links == {"alias.py": "app.py", "pkg2": "pkg", "pkg/up.py": "../app.py"}
    assert stat.S_ISREG(infos["app.py"].external_attr >> 16)


def test_a_broken_or_looping_link_is_refused(tmp_path: Path) -> None:
    code = _code(tmp_path)
    (code / "loop").symlink_to("loop")
    with pytest.raises(DeployError, match="cannot be followed") as info:
        package_function(_fn(code), cache_dir=tmp_path / "c")
    assert str(code / "loop") in info.value.message


def test_a_fifo_is_refused(tmp_path: Path) -> None:
    code = _code(tmp_path)
    os.mkfifo(code / "pipe")
    with pytest.raises(DeployError, match="named pipe") as info:
        package_function(_fn(code), cache_dir=tmp_path / "c")
    assert str(code / "pipe") in info.value.message


def test_a_code_folder_in_proc_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match="kernel file system"):
        package_function(_fn(Path("/proc/self")), cache_dir=tmp_path / "c")


@pytest.mark.parametrize(
    "name,text,why",
    [
        (".aws/credentials", "[default]\naws_access_key_id = x\n", "AWS credentials file"),
        (".env", "DEBUG=1\nAWS_SECRET_ACCESS_KEY=abc123\n", "line 2 sets AWS_SECRET_ACCESS_KEY"),
        (".env.production", "DB_PASSWORD='hunter2'\n", "sets DB_PASSWORD"),
        ("certs/server.pem", "-----BEGIN RSA PRIVATE KEY-----\nMII\n", "private key"),
        ("keys/deploy", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3B\n", "private key"),
        ("id_rsa", "anything", "SSH private key"),
        ("conf/settings.ini", "[x]\naws_secret_access_key = abc\n", "aws_secret_access_key"),
    ],
)
def test_credential_looking_files_are_refused_unless_allowed(
    tmp_path: Path, name: str, text: str, why: str
) -> None:
    code = _code(tmp_path, {"app.py": "x = 1\n", name: text})
    with pytest.raises(DeployError) as info:
        package_function(_fn(code), cache_dir=tmp_path / "c")
    assert name in info.value.message and why in info.value.message
    assert "--allow-secrets" in info.value.hint
    result = package_function(_fn(code), cache_dir=tmp_path / "c", allow_secrets=True)
    with zipfile.ZipFile(result.path) as zf:
        assert name in zf.namelist()


def test_harmless_files_pass_the_scan(tmp_path: Path) -> None:
    code = _code(
        tmp_path,
        {
            "app.py": "KEY_HEADER = 'PRIVATE KEY'  # talks about keys, holds none\n",
            ".env": "DEBUG=1\nTOKEN_URL=\nLOG_LEVEL=info\n",
            "public.pem": "-----BEGIN PUBLIC KEY-----\nMII\n",
            "id_rsa.pub": "ssh-rsa AAAA",
        },
    )
    assert package_function(_fn(code), cache_dir=tmp_path / "c").files == 4


def test_ignored_secrets_are_not_scanned(tmp_path: Path) -> None:
    code = _code(tmp_path, {"app.py": "", ".env": "API_KEY=1\n", ".lambdaignore": ".env\n"})
    assert package_function(_fn(code), cache_dir=tmp_path / "c").files == 1  # app.py


def test_layers_are_guarded_too(tmp_path: Path) -> None:
    content = _code(tmp_path, {"python/lib.py": "", "python/.aws/credentials": "[default]\n"})
    layer = LayerSpec("Lib", content_dir=content, template_path=tmp_path / "template.yaml")
    with pytest.raises(DeployError, match="AWS credentials file"):
        package_layer(layer, runtime="python3.12", architecture="x86_64", cache_dir=tmp_path / "c")


def test_code_uri_outside_the_project_warns_loudly(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    _code(tmp_path)
    (project / "template.yaml").write_text(TEMPLATE.format(code="../code"))
    fn = load_project(project).functions[0]
    seen: list[Progress] = []
    result = package_function(fn, cache_dir=tmp_path / "c", sink=seen.append)
    assert result.warnings and "outside the project folder" in result.warnings[0]
    assert str(tmp_path / "code") in result.warnings[0]
    assert any(p.message.count("WARNING") for p in seen)
    (project / "template.yaml").write_text(TEMPLATE.format(code="."))
    (project / "app.py").write_text("def handler(e, c):\n    return 1\n")
    inside = package_function(load_project(project).functions[0], cache_dir=tmp_path / "c")
    assert inside.warnings == ()


def _dead_endpoint() -> str:
    # A port with nothing listening: any AWS call would fail with a connection error, not our message.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_cli_deploy_refuses_a_secret_and_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAMBDA_STUDIO_CONFIG_DIR", str(tmp_path / "config"))
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text("def handler(e, c):\n    return 1\n")
    (project / ".env").write_text("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI\n")
    (project / "template.yaml").write_text(TEMPLATE.format(code="."))
    args = ["deploy", str(project), "Fn", "--region", "us-east-1", "--endpoint-url", _dead_endpoint()]
    assert main([*args, "--cache-dir", str(tmp_path / "c"), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert ".env" in err and "AWS_SECRET_ACCESS_KEY" in err and "--allow-secrets" in err
    assert "Traceback" not in err
    # Allowed (flag, or the setting): packaging passes and the deploy goes on to the (dead) endpoint.
    for extra, setting in (["--allow-secrets"], False), ([], True):
        (tmp_path / "config").mkdir(exist_ok=True)
        (tmp_path / "config" / "settings.json").write_text(json.dumps({"deploy_allow_secrets": setting}))
        assert main([*args, "--cache-dir", str(tmp_path / "c"), "--dry-run", *extra]) != 0
        err = capsys.readouterr().err
        assert "Fn: 3 files" in err and "comparing with Fn" in err  # app.py, .env, template.yaml
        assert "AWS_SECRET_ACCESS_KEY" not in err


def _without_root_powers(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    # root reads any file: drop the capabilities that bypass permission bits, so they count as for a user.
    setpriv = shutil.which("setpriv")
    assert setpriv, "running as root: this test needs util-linux's setpriv to drop CAP_DAC_OVERRIDE"
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search", *cmd]


def test_an_unreadable_file_is_named_without_a_traceback(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text("def handler(e, c):\n    return 1\n")
    (project / "template.yaml").write_text(TEMPLATE.format(code="."))
    secret = project / "private.dat"
    secret.write_text("data")
    secret.chmod(0)
    cache = tmp_path / "cache"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "LAMBDA_STUDIO_CONFIG_DIR": str(cache / "config"),
    }
    cli = "import sys; from app.cli import main; sys.exit(main(sys.argv[1:]))"
    cmd = [sys.executable, "-c", cli, "deploy", str(project), "Fn", "--region", "us-east-1"]
    cmd += ["--endpoint-url", _dead_endpoint(), "--cache-dir", str(cache), "--dry-run", "-q"]
    proc = subprocess.run(
        _without_root_powers(cmd), cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2, proc.stderr
    assert f"Cannot read {secret}: Permission denied" in proc.stderr
    assert "Traceback" not in proc.stderr and ".lambdaignore" in proc.stderr


def test_the_project_view_warns_about_code_outside_the_project(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "home" / ".aws").mkdir(parents=True)
    (project / "template.yaml").write_text(
        TEMPLATE.format(code="../home/.aws")
        + "  Lib:\n    Type: AWS::Serverless::LayerVersion\n    Properties: {ContentUri: ../home}\n"
    )
    loaded = load_project(project)
    fn_diags = [(d.code, d.severity.value, d.line) for d in loaded.functions[0].diagnostics]
    assert ("code-outside-project", "warning", 7) in fn_diags
    assert any(d.code == "code-outside-project" and "Lib" in d.message for d in loaded.diagnostics)
    (project / "template.yaml").write_text(TEMPLATE.format(code="."))
    assert all(d.code != "code-outside-project" for d in load_project(project).all_diagnostics)
