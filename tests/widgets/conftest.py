"""Widget tests never touch the real user config (a scratch folder); `make_window` opens windows."""

from __future__ import annotations

import pytest

from tests.widgets.window_support import make_window  # noqa: F401 - the shared window fixture


@pytest.fixture(autouse=True)
def _scratch_config(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("LAMBDA_STUDIO_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
