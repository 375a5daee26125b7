"""Widget tests never touch the real user config: settings and backups live in a scratch folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _scratch_config(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("LAMBDA_STUDIO_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
