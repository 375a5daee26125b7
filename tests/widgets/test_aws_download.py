"""The AWS dock's Download…: a new folder name is accepted, and a failure shows in the panel itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from app.aws_context import AwsContext
from app.deploy.remote import FunctionSummary
from app.settings import Settings
from widgets.aws_explorer import AwsExplorer
from widgets.jobs import JobBridge

NAME = "orders-fn"


@pytest.fixture
def explorer(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    settings = Settings(tmp_path / "config")
    settings.set("aws_region", "us-east-1")
    settings.set("aws_endpoint_url", "http://127.0.0.1:9")  # nothing listens: no request leaves the machine
    jobs = JobBridge()
    panel = AwsExplorer(AwsContext(settings), jobs)
    qtbot.addWidget(panel)
    panel.show()
    yield panel
    assert jobs.shutdown(15_000)


def test_download_folder_dialog_accepts_a_new_folder_name(explorer, tmp_path: Path) -> None:
    new = tmp_path / "not-yet-there"
    dialog = explorer.folder_dialog()
    dialog.setDirectory(str(tmp_path))
    dialog.selectFile(new.name)
    dialog.accept()  # a directory-only dialog refuses a name that does not exist yet
    assert dialog.result() == QFileDialog.DialogCode.Accepted
    assert [Path(p) for p in dialog.selectedFiles()] == [new]


def test_a_download_failure_shows_in_the_panel(explorer, qtbot, tmp_path: Path) -> None:
    explorer.set_functions(
        [
            FunctionSummary.from_config(
                {"FunctionName": NAME, "FunctionArn": f"arn:aws:lambda:::function:{NAME}"}
            )
        ]
    )
    dest = tmp_path / "projects"
    (dest / NAME).mkdir(parents=True)
    (dest / NAME / "keep.txt").write_text("mine")  # dest is not empty and dest/NAME is taken
    explorer.choose_folder = lambda: str(dest)
    explorer.select(NAME)
    assert not explorer.notice.isVisible()
    job = explorer.download()
    assert job is not None
    qtbot.waitUntil(lambda: explorer.notice.isVisible(), timeout=15_000)
    assert "already exists and is not empty" in explorer.notice.text()
    assert (dest / NAME / "keep.txt").read_text() == "mine"
