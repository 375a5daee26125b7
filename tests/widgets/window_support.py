"""Opening and closing a MainWindow in a test: no questions asked, backends and jobs drained at the end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from app.settings import Settings
from widgets.editor_tabs import DISCARD
from widgets.jobs import JobBridge
from widgets.main_window import MainWindow

WindowFactory = Callable[..., MainWindow]
W = TypeVar("W")


def shown(qtbot: Any, widget: W, size: tuple[int, int]) -> W:
    """`widget`, owned by qtbot (closed after the test), resized to `size` and shown."""
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    return widget


def open_window(
    qtbot: Any, settings: Settings, *, size: tuple[int, int] | None = (1280, 720), **options: Any
) -> MainWindow:
    """A window on its own job bridge that discards unsaved files and never offers recovery; shown at `size`."""
    options.setdefault("engine_probe", lambda: "not needed")
    window = MainWindow(settings, jobs=JobBridge(), **options)
    window.tabs.ask_unsaved = lambda paths: DISCARD
    window.ask_recover = lambda paths: False
    qtbot.addWidget(window)
    if size is not None:
        window.resize(*size)
        window.show()
    return window


def close_window(window: MainWindow, timeout_ms: int = 15_000, *, close: bool = False) -> None:
    """End a debug invoke, discard unsaved events, close the backends (and the window), drain the jobs."""
    window.debug.shutdown()
    window.event_editor.ask_unsaved = lambda name: DISCARD
    window.invoker.close_backends()
    if close:
        window.close()
    assert window.jobs.shutdown(timeout_ms)


@pytest.fixture
def make_window(qtbot: Any, tmp_path: Path) -> Iterator[WindowFactory]:
    """make(config=None, size=(1280, 720)): a shown window with settings in `config` (default tmp_path/config)."""
    made: list[MainWindow] = []

    def make(config: Path | None = None, size: tuple[int, int] = (1280, 720)) -> MainWindow:
        window = open_window(qtbot, Settings(config or tmp_path / "config"), size=size)
        made.append(window)
        return window

    yield make
    for window in made:
        close_window(window)
