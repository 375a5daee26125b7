"""A one-line label that never widens its parent: long text is elided, the whole text is its tooltip."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QContextMenuEvent, QGuiApplication, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QMenu, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """`text()` is the full text; it is drawn elided (…) to the width the layout gives it.

    The size hint still asks for the whole text, so there is room it is shown in full; the minimum
    asks for `min_chars` characters only, so no text can push a window past the screen.

    The text is kept here, not in QLabel: QLabel.setText asks its layout, and through it the whole
    window, to lay out again on every call (a main-window relayout per invoke for the result's
    metrics). A new text asks for a relayout only when the size hint changes; with ``hint_text`` the
    hint is that sample's width whatever the text, so a label whose text changes on every invoke (a
    duration, a request id) only repaints. Its context menu copies the text.
    """

    def __init__(
        self,
        text: str = "",
        parent: QWidget | None = None,
        *,
        min_chars: int = 6,
        mode: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle,
        hint_text: str | None = None,
    ) -> None:
        super().__init__(parent)
        self._min_chars = min_chars
        self._mode = mode
        self._hint_text = hint_text
        self._text = ""
        self._floor: QSize | None = None
        self._hint: QSize | None = None
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setText(text)

    def text(self) -> str:  # noqa: D102 - Qt override
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        if text == self._text:
            return  # no relayout of its parents for the same text (the status bar's, on every invoke)
        self._text = text
        self.setToolTip(text if text else "")
        before = self._hint
        if self._hint_text is None:
            self._hint = None
        if self.sizeHint() != before:
            self.updateGeometry()
        self.update()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._floor = None  # measured again with the new font or style sheet
            self._hint = None
        super().changeEvent(event)

    def _frame(self) -> tuple[int, int]:
        margins = self.contentsMargins()
        return margins.left() + margins.right(), margins.top() + margins.bottom()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        if self._hint is None:
            metrics = self.fontMetrics()
            dx, dy = self._frame()
            sample = self._text if self._hint_text is None else self._hint_text
            self._hint = QSize(metrics.horizontalAdvance(sample) + dx, metrics.height() + dy)
        return QSize(self._hint)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        # Layouts ask often (tens of times per invoke): the floor depends on the font and style only,
        # so it is measured once and again when they change (not keyed on every call).
        if self._floor is None:
            metrics = self.fontMetrics()
            dx, dy = self._frame()
            self._floor = QSize(metrics.horizontalAdvance("M" * self._min_chars) + dx, metrics.height() + dy)
        floor = self._floor
        return QSize(min(floor.width(), self.sizeHint().width()), floor.height())

    def elided_text(self) -> str:
        """The text as drawn at the current width."""
        return self.fontMetrics().elidedText(self._text, self._mode, max(0, self.contentsRect().width()))

    def is_elided(self) -> bool:
        return self.elided_text() != self._text

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        flags = int(self.alignment()) | int(Qt.AlignmentFlag.AlignVCenter)
        painter.drawText(self.contentsRect(), flags, self.elided_text())

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt override
        if not self._text:
            return
        menu = QMenu(self)
        menu.addAction("Copy", lambda: QGuiApplication.clipboard().setText(self._text))
        menu.exec(event.globalPos())
