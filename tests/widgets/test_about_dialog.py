"""The About dialog: versions of what the window runs on, data folders, every licence text readable."""

from __future__ import annotations

import json
import tomllib

import pytest
from PySide6.QtCore import qVersion

from app.about import COMPONENTS, Component, bundled_components, collect_licenses, installed_components
from tests.conftest import REPO
from widgets.about_dialog import AboutDialog, licence_files

pytestmark = pytest.mark.gui

# The version the window must show is the one pyproject.toml declares, whatever it is today.
PROJECT_VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]

REQUIRED = (
    "Qt 6",
    "Scintilla",
    "Lexilla",
    "Docker SDK",
    "boto3",
    "botocore",
    "PyYAML",
    "platformdirs",
    "jedi",
)


def test_shows_versions_and_locations(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("LAMBDA_STUDIO_CACHE", str(tmp_path / "cache"))
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    versions = dialog.versions()
    assert versions["Qt"] == qVersion()
    assert versions["Lambda Studio"] == PROJECT_VERSION
    assert versions["Scintilla"].startswith("5.")
    assert versions["Lexilla"].startswith("5.")
    assert dialog.locations()["Cache"] == str(tmp_path / "cache")
    assert dialog.locations()["Settings"]  # from the scratch LAMBDA_STUDIO_CONFIG_DIR


def test_lists_every_component_with_a_licence_text(qtbot):
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    names = dialog.component_names()
    assert len(names) == len(COMPONENTS)
    for wanted in REQUIRED:
        assert any(n.startswith(wanted) for n in names), wanted
    assert dialog.select_component("Qt 6")
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in dialog.licence_text()
    assert dialog.select_component("Scintilla")
    assert "NEIL HODGSON DISCLAIMS ALL WARRANTIES" in dialog.licence_text()
    assert dialog.select_component("boto3")
    assert "Apache License" in dialog.licence_text()
    missing = [c.name for c in installed_components() if not c.texts]
    assert missing == []
    assert all(p.is_file() for p in licence_files(installed_components()))


def test_bundle_index_round_trip(qtbot, tmp_path):
    """What the spec writes into the bundle (collect_licenses) is what the frozen dialog reads."""
    collected = collect_licenses(tmp_path / "licenses")
    index = json.loads((tmp_path / "licenses" / "index.json").read_text())
    assert [i["name"] for i in index] == [c.name for c in collected]
    items = bundled_components(tmp_path / "licenses")
    assert all(p.is_file() and p.is_relative_to(tmp_path) for p in licence_files(items))
    dialog = AboutDialog(items=items)
    qtbot.addWidget(dialog)
    assert dialog.select_component("PyYAML")
    assert "Permission is hereby granted" in dialog.licence_text()


def test_missing_text_is_said_not_raised(qtbot, tmp_path):
    ghost = Component("Ghost", "1", "MIT", texts=(tmp_path / "nope.txt",))
    dialog = AboutDialog(items=[ghost])
    qtbot.addWidget(dialog)
    assert "cannot read" in dialog.licence_text()
