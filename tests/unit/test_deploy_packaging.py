"""Deterministic deployment zips, exclusions, .lambdaignore, size limits and zip-slip-safe extraction."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from app.deploy.download import UnsafeArchive, safe_extract
from app.deploy.errors import DeployError
from app.deploy.packaging import IgnoreRules, Limits, collect_files, package_function
from app.deploy.plan import limit_problems
from app.deploy.progress import Cancelled, CancelToken
from app.deploy.requirements import pip_platforms
from app.project.model import FunctionSpec
from tests.conftest import REPO


def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _fn(code: Path, name: str = "f") -> FunctionSpec:
    return FunctionSpec("F", name, "app.handler", "python3.12", None, code_dir=code)


def test_same_code_gives_the_same_zip_and_sha(tmp_path: Path) -> None:
    code = tmp_path / "code"
    _tree(
        code,
        {"app.py": "def handler(e, c):\n    return 1\n", "pkg/mod.py": "X = 1\n", "run.sh": "#!/bin/sh\n"},
    )
    (code / "run.sh").chmod(0o700)
    first = package_function(_fn(code), cache_dir=tmp_path / "c1")
    later = time.time() + 3600
    for p in code.rglob("*"):
        os.utime(p, (later, later))  # new timestamps must not change the bytes
    second = package_function(_fn(code), cache_dir=tmp_path / "c2")
    assert first.sha256 == second.sha256 and first.path.read_bytes() == second.path.read_bytes()
    with zipfile.ZipFile(second.path) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["app.py", "pkg/mod.py", "run.sh"]
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        modes = {i.filename: stat.S_IMODE(i.external_attr >> 16) for i in infos}
        assert modes == {"app.py": 0o644, "pkg/mod.py": 0o644, "run.sh": 0o755}
    (code / "app.py").write_text("def handler(e, c):\n    return 2\n")
    assert package_function(_fn(code), cache_dir=tmp_path / "c1").sha256 != first.sha256


def test_exclusions_and_lambdaignore(tmp_path: Path) -> None:
    code = tmp_path / "code"
    _tree(
        code,
        {
            "app.py": "",
            "README.md": "",
            "keep.md": "",
            ".git/config": "",
            "__pycache__/app.cpython-312.pyc": "",
            "pkg/__pycache__/x.pyc": "",
            "pkg/old.pyc": "",
            "pkg/mod.py": "",
            "tests/test_app.py": "",
            "events/event.json": "",
            ".aws-sam/build/x": "",
            ".venv/lib/x.py": "",
            "myenv/pyvenv.cfg": "",
            "myenv/lib/y.py": "",
            "data/big.bin": "",
            "pkg/data/small.bin": "",
            "secrets.env": "",
            ".lambdaignore": "# comment\n*.md\n!keep.md\n/data/\n*.env\n",
        },
    )
    assert sorted(collect_files(code)) == ["app.py", "keep.md", "pkg/data/small.bin", "pkg/mod.py"]


def test_ignore_rules_semantics() -> None:
    rules = IgnoreRules(["docs/", "/build", "*.log", "!important.log", "a/**/z.txt"])
    assert rules.ignored("docs", True) and rules.ignored("x/docs", True) and not rules.ignored("docs", False)
    assert rules.ignored("build", True) and not rules.ignored("x/build", True)
    assert rules.ignored("x/y.log", False) and not rules.ignored("x/important.log", False)
    assert rules.ignored("a/b/c/z.txt", False)


def test_unzipped_limit_is_refused_with_the_sizes(tmp_path: Path) -> None:
    code = tmp_path / "code"
    _tree(code, {"app.py": "x" * 5000})
    with pytest.raises(DeployError) as info:
        package_function(_fn(code), cache_dir=tmp_path / "c", limits=Limits(unzipped_bytes=4096))
    assert "4.9 KB unzipped" in info.value.message and "allows 4.0 KB" in info.value.message


def test_non_python_runtime_and_platforms(tmp_path: Path) -> None:
    code = tmp_path / "code"
    _tree(code, {"app.py": "", "requirements.txt": "six\n"})
    fn = _fn(code)
    fn.runtime = "nodejs20.x"
    with pytest.raises(DeployError, match="not a Python runtime"):
        package_function(fn, cache_dir=tmp_path / "c")
    assert pip_platforms("arm64", "3.11") == ["manylinux2014_aarch64"]
    assert pip_platforms("x86_64", "3.12") == ["manylinux2014_x86_64", "manylinux_2_28_x86_64"]


def test_requirements_are_installed_for_lambda_and_cached(tmp_path: Path) -> None:
    # A fake pip records its arguments: the real install is covered by the moto tests.
    fake = tmp_path / "fakepip.py"
    fake.write_text(
        "import sys, pathlib\n"
        "t = pathlib.Path(sys.argv[sys.argv.index('--target') + 1])\n"
        "(t / 'dep').mkdir(parents=True)\n"
        "(t / 'dep' / '__init__.py').write_text(' '.join(sys.argv[1:]))\n"
        "(t / 'dep' / '__pycache__').mkdir()\n"
    )
    code = tmp_path / "code"
    _tree(code, {"app.py": "", "requirements.txt": "dep==1\n"})
    fn = _fn(code)
    fn.architectures = ["arm64"]
    first = package_function(fn, cache_dir=tmp_path / "c", pip_command=[sys.executable, str(fake)])
    assert first.deps_cached is False
    with zipfile.ZipFile(first.path) as zf:
        assert zf.namelist() == ["app.py", "dep/__init__.py", "requirements.txt"]
        args = zf.read("dep/__init__.py").decode()
    for part in ("--platform manylinux2014_aarch64", "--only-binary=:all:", "--python-version 3.12",
                 "--implementation cp"):  # fmt: skip
        assert part in args
    second = package_function(fn, cache_dir=tmp_path / "c", pip_command=["/nonexistent/pip"])
    assert second.deps_cached is True and second.sha256 == first.sha256


def test_pip_failure_is_a_clear_message(tmp_path: Path) -> None:
    code = tmp_path / "code"
    _tree(code, {"app.py": "", "requirements.txt": "nope\n"})
    bad = [
        sys.executable,
        "-c",
        "import sys; print('ERROR: No matching distribution found for nope'); sys.exit(1)",
    ]
    with pytest.raises(DeployError) as info:
        package_function(_fn(code), cache_dir=tmp_path / "c", pip_command=bad)
    assert "No matching distribution found for nope" in info.value.message
    assert "binary wheels" in info.value.hint


def _zip(entries: list[tuple[str, int]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, mode in entries:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            zf.writestr(info, "data")
    return buf.getvalue()


@pytest.mark.parametrize(
    "name,mode,why",
    [
        ("../evil.py", 0o100644, "'..'"),
        ("a/../../evil.py", 0o100644, "'..'"),
        ("/etc/evil", 0o100644, "absolute"),
        ("C:\\evil.py", 0o100644, "absolute"),
        ("..\\evil.py", 0o100644, "'..'"),
        ("link", 0o120777, "symbolic link"),
    ],
)
def test_safe_extract_refuses_hostile_entries(tmp_path: Path, name: str, mode: int, why: str) -> None:
    data = _zip([("ok.py", 0o100644), (name, mode)])
    with pytest.raises(UnsafeArchive, match=why):
        safe_extract(data, tmp_path / "out")
    assert not (tmp_path / "out" / "ok.py").exists()  # nothing is written when any entry is bad


def test_safe_extract_writes_a_good_archive(tmp_path: Path) -> None:
    data = _zip([("app.py", 0o100644), ("bin/run", 0o100755), ("pkg/", 0o40755)])
    assert safe_extract(data, tmp_path / "out") == ["app.py", "bin/run"]
    assert (tmp_path / "out" / "bin" / "run").stat().st_mode & 0o111


def test_deploy_modules_import_without_qt() -> None:
    mods = (
        "app.deploy.deploy, app.deploy.remote, app.deploy.download, app.commands.deploy, app.commands.remote"
    )
    code = (
        f"import {mods}, sys; assert not [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_cancel_stops_a_running_pip(tmp_path: Path) -> None:
    code = tmp_path / "code"
    _tree(code, {"app.py": "", "requirements.txt": "slow\n"})
    token = CancelToken()
    threading.Timer(0.3, token.cancel).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        package_function(
            _fn(code),
            cache_dir=tmp_path / "c",
            cancel=token,
            pip_command=[sys.executable, "-c", "import time; time.sleep(30)"],
        )
    assert time.monotonic() - started < 5
    assert not list((tmp_path / "c" / "deps").iterdir())  # no half-installed cache entry is left


def test_settings_outside_lambda_limits_are_problems(tmp_path: Path) -> None:
    fn = _fn(tmp_path)
    assert limit_problems(fn) == []
    fn.memory_size, fn.timeout, fn.handler = 64, 901, None
    fn.environment = {"BIG": "x" * 5000}
    problems = limit_problems(fn)
    assert len(problems) == 4 and any("4 KB" in p for p in problems)
