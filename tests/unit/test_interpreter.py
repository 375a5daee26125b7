"""Finding a Python of the function's version: broken shims skipped, pins honoured, newest patch first."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from runner.backends.process import interpreter
from runner.backends.process.interpreter import candidates, choose, find_python, version_of

HERE = f"{sys.version_info[0]}.{sys.version_info[1]}"
OTHER = "3.12" if HERE != "3.12" else "3.11"  # a version this interpreter is not


@pytest.fixture(autouse=True)
def _fresh_cache():
    interpreter.forget()
    yield
    interpreter.forget()


def _shim(folder: Path, name: str) -> Path:
    """A pyenv-like shim that cannot run this version (exits 127, as pyenv's does here)."""
    folder.mkdir(parents=True, exist_ok=True)
    shim = folder / name
    shim.write_text('#!/bin/sh\necho "pyenv: $0: command not found" >&2\nexit 127\n')
    shim.chmod(0o755)
    return shim


def _link(folder: Path, name: str, target: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / name
    link.symlink_to(target)
    return link


@pytest.mark.skipif(sys.platform == "win32", reason="shell shims and symlinks")
def test_a_broken_shim_first_on_path_is_skipped(tmp_path: Path) -> None:
    shim = _shim(tmp_path / "shims", f"python{HERE}")
    real = _link(tmp_path / "bin", f"python{HERE}", os.path.realpath(sys.executable))
    env = {"PATH": f"{shim.parent}{os.pathsep}{real.parent}", "HOME": str(tmp_path / "home")}
    assert version_of(str(shim)) is None
    assert find_python(HERE, env) == str(real)
    assert find_python(HERE, {**env, "LAMBDA_STUDIO_PYTHON_SEARCH": "off"}) is None


@pytest.mark.skipif(sys.platform == "win32", reason="shell shims and symlinks")
def test_an_interpreter_of_another_version_is_not_taken(tmp_path: Path) -> None:
    # A file named python3.X that is in fact this interpreter (another version) must not be chosen.
    wrong = _link(tmp_path / "bin", f"python{OTHER}", os.path.realpath(sys.executable))
    env = {"PATH": str(wrong.parent), "HOME": str(tmp_path / "home")}
    assert version_of(str(wrong)) == HERE
    assert find_python(OTHER, env) != str(wrong)


def test_pyenv_uv_and_asdf_folders_are_searched_newest_patch_first(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for folder in (".pyenv/versions/3.12.9", ".pyenv/versions/3.12.10", ".pyenv/versions/3.13.0",
                   ".local/share/uv/python/cpython-3.12.4-linux-x86_64-gnu", ".asdf/installs/python/3.12.2"):  # fmt: skip
        (home / folder / "bin").mkdir(parents=True)
    found = list(candidates("3.12", {"PATH": "", "HOME": str(home)}))
    pyenv = [p for p in found if ".pyenv" in p]
    assert pyenv == [
        str(home / ".pyenv/versions/3.12.10/bin/python3.12"),
        str(home / ".pyenv/versions/3.12.9/bin/python3.12"),
    ]
    assert str(home / ".local/share/uv/python/cpython-3.12.4-linux-x86_64-gnu/bin/python3.12") in found
    assert str(home / ".asdf/installs/python/3.12.2/bin/python3.12") in found
    assert found.index("/usr/bin/python3.12") < found.index(pyenv[0])


def test_own_interpreter_is_kept_for_its_version_and_a_pin_wins(tmp_path: Path) -> None:
    env = {"PATH": "", "HOME": str(tmp_path)}
    own = choose(HERE, sys.executable, env=env)
    assert (own.path, own.version, own.own, own.source) == (sys.executable, HERE, True, "own")
    pinned = choose(HERE, sys.executable, pins={HERE: "/nowhere/python"}, env=env)
    assert (pinned.path, pinned.version, pinned.source) == ("/nowhere/python", None, "pinned")
    major, minor = HERE.split(".")
    by_env = choose(HERE, sys.executable, env={**env, f"LAMBDA_STUDIO_PYTHON_{major}_{minor}": "/x/py"})
    assert (by_env.path, by_env.source) == ("/x/py", "pinned")


def test_no_match_falls_back_to_the_default_with_its_version(tmp_path: Path) -> None:
    chosen = choose(
        OTHER, sys.executable, env={"PATH": "", "HOME": str(tmp_path), "LAMBDA_STUDIO_PYTHON_SEARCH": "off"}
    )
    assert (chosen.path, chosen.version, chosen.source) == (sys.executable, HERE, "own")
