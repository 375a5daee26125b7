"""Which user a container runs as: Lambda's uid 993 when its mounts are readable by all, else the owner."""

from __future__ import annotations

import os
from pathlib import Path

from runner.backends.container.sandbox import LAMBDA_USER, open_to_lambda_user, run_user


def test_readable_mounts_run_as_lambdas_user(tmp_path: Path) -> None:
    code, layer = tmp_path / "code", tmp_path / "layer"
    for d in (code, layer):
        d.mkdir()
        os.chmod(d, 0o755)
    assert run_user([code, layer]) == LAMBDA_USER == "993:990"


def test_a_private_mount_runs_as_the_code_folders_owner(tmp_path: Path) -> None:
    code, deps = tmp_path / "code", tmp_path / "deps"
    code.mkdir()
    deps.mkdir()
    os.chmod(code, 0o755)
    os.chmod(deps, 0o700)
    st = os.stat(code)
    assert run_user([code, deps]) == f"{st.st_uid}:{st.st_gid}"


def test_cache_folders_we_made_are_opened_and_nothing_else(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    ours = cache / "deps" / "abc"
    ours.mkdir(parents=True)
    os.chmod(ours, 0o700)  # as tempfile.mkdtemp leaves it
    theirs = tmp_path / "project" / "code"
    theirs.mkdir(parents=True)
    os.chmod(theirs, 0o700)
    open_to_lambda_user([ours, theirs], cache)
    assert os.stat(ours).st_mode & 0o777 == 0o755
    assert os.stat(theirs).st_mode & 0o777 == 0o700  # the user's own folder is never changed
    assert run_user([ours]) == LAMBDA_USER
