"""The settings dialog: default backend, images per runtime, AWS profile, region and endpoint, theme, font size."""

from __future__ import annotations

from urllib.parse import urlsplit

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from app.settings import Settings
from widgets.run_toolbar import BACKEND_CHOICES


def parse_images(text: str) -> dict[str, str]:
    """'python3.12 = image' lines → {runtime: image}; blank lines and '#' comments are skipped."""
    images = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" in line:
            runtime, image = (part.strip() for part in line.split("=", 1))
            if runtime and image:
                images[runtime] = image
    return images


def endpoint_problem(text: str) -> str | None:
    """Why an AWS endpoint URL cannot be used ('' means AWS itself), or None when it can."""
    text = text.strip()
    if not text:
        return None
    try:
        parts = urlsplit(text)
        port = parts.port  # raises for a port that is not a number
    except ValueError as exc:
        return f"Not a URL: {exc}"
    if parts.scheme not in ("http", "https"):
        return "The endpoint URL starts with http:// or https:// (e.g. http://localhost:4566)"
    if not parts.hostname:
        return "The endpoint URL needs a host (e.g. http://localhost:4566)"
    if port is not None and not 0 < port < 65536:
        return "The port must be between 1 and 65535"
    if " " in text:
        return "The endpoint URL cannot contain spaces"
    return None


class SettingsDialog(QDialog):
    """Edits a Settings object; `apply()` writes the values (each change fires the settings' callbacks)."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.resize(520, 360)
        self._settings = settings
        self.backend = QComboBox()
        for label, value in BACKEND_CHOICES:
            self.backend.addItem(label, value)
        self.backend.setCurrentIndex(max(self.backend.findData(settings.get("backend")), 0))
        self.theme = QComboBox()
        self.theme.addItem("Light", "light")
        self.theme.addItem("Dark", "dark")
        self.theme.setCurrentIndex(max(self.theme.findData(settings.get("theme")), 0))
        self.font_size = QSpinBox(minimum=7, maximum=32, value=int(settings.get("font_size") or 11))
        self.profile = QLineEdit(settings.get("aws_profile") or "", placeholderText="default")
        self.local_credentials = QCheckBox("Give local invokes this profile's credentials")
        self.local_credentials.setToolTip(
            "Off: functions invoked locally get dummy credentials, so they cannot touch your account."
        )
        self.local_credentials.setChecked(bool(settings.get("local_credentials")))
        self.region = QLineEdit(settings.get("aws_region") or "", placeholderText="us-east-1")
        self.endpoint = QLineEdit(
            settings.get("aws_endpoint_url") or "", placeholderText="AWS itself (or http://localhost:4566)"
        )
        self.endpoint_error = QLabel()
        self.endpoint_error.setWordWrap(True)
        self.endpoint_error.setStyleSheet("color: #d1242f")
        self.prestart = QCheckBox("Start the selected function's runtime in the background")
        self.prestart.setToolTip("The first Invoke is then as fast as a warm one (its init runs ahead).")
        self.prestart.setChecked(settings.get("prestart") is not False)
        self.images = QPlainTextEdit()
        self.images.setPlaceholderText("python3.12 = public.ecr.aws/lambda/python:3.12")
        self.images.setPlainText("\n".join(f"{k} = {v}" for k, v in (settings.get("images") or {}).items()))
        self.pythons = QPlainTextEdit()
        self.pythons.setPlaceholderText("python3.12 = /usr/bin/python3.12   (else one is found)")
        self.pythons.setToolTip(
            "The process backend runs a function on a Python of its runtime's version: the one named here, "
            "else one found on PATH, in /usr/bin, /usr/local/bin, pyenv, uv or asdf."
        )
        self.pythons.setPlainText("\n".join(f"{k} = {v}" for k, v in (settings.get("pythons") or {}).items()))
        form = QFormLayout(self)
        form.addRow("Default backend", self.backend)
        form.addRow("Theme", self.theme)
        form.addRow("Editor font size", self.font_size)
        form.addRow("AWS profile", self.profile)
        form.addRow("", self.local_credentials)
        form.addRow("AWS region", self.region)
        form.addRow("AWS endpoint URL", self.endpoint)
        form.addRow("", self.endpoint_error)
        form.addRow("", self.prestart)
        form.addRow("Image per runtime", self.images)
        form.addRow("Python per runtime", self.pythons)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.endpoint.textChanged.connect(self._check_endpoint)
        self._check_endpoint()
        self.accepted.connect(self.apply)

    def _check_endpoint(self) -> None:
        problem = endpoint_problem(self.endpoint.text())
        self.endpoint_error.setText(problem or "")
        self.endpoint_error.setVisible(problem is not None)
        self.ok_button.setEnabled(problem is None)  # a bad URL is said here, never saved

    def apply(self) -> None:
        s = self._settings
        s.set("backend", self.backend.currentData())
        s.set("theme", self.theme.currentData())
        s.set("font_size", self.font_size.value())
        s.set("aws_profile", self.profile.text().strip())
        s.set("local_credentials", self.local_credentials.isChecked())
        s.set("aws_region", self.region.text().strip() or "us-east-1")
        s.set("aws_endpoint_url", self.endpoint.text().strip())
        s.set("images", parse_images(self.images.toPlainText()))
        s.set("pythons", parse_images(self.pythons.toPlainText()))
        s.set("prestart", self.prestart.isChecked())
