"""A one-line label that never widens its parent: long text is elided, the whole text is its tooltip."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """`text()` is the full text; it is drawn elided (…) to the width the layout gives it.

    The size hint still asks for the whole text, so there is room it is shown in full; the minimum
    asks for `min_chars` characters only, so no text can push a window past the screen.
    """

    def __init__(
        self,
        text: str = "",
        parent: QWidget | None = None,
        *,
        min_chars: int = 6,
        mode: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle,
    ) -> None:
        super().__init__(parent)
        self._min_chars = min_chars
        self._mode = mode
        self._floor: QSize | None = None
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        if text == self.text():
            return  # no relayout of its parents for the same text (the status bar's, on every invoke)
        super().setText(text)
        self.setToolTip(text if text else "")
        self.updateGeometry()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._floor = None  # measured again with the new font or style sheet
        super().changeEvent(event)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        # Layouts ask often (tens of times per invoke): the floor depends on the font and style only,
        # so it is measured once and again when they change (not keyed on every call).
        if self._floor is None:
            metrics = self.fontMetrics()
            margins = self.contentsMargins()
            width = metrics.horizontalAdvance("M" * self._min_chars) + margins.left() + margins.right()
            height = metrics.height() + margins.top() + margins.bottom()
            self._floor = QSize(width, height)
        floor = self._floor
        return QSize(min(floor.width(), self.sizeHint().width()), floor.height())

    def elided_text(self) -> str:
        """The text as drawn at the current width."""
        return self.fontMetrics().elidedText(self.text(), self._mode, max(0, self.contentsRect().width()))

    def is_elided(self) -> bool:
        return self.elided_text() != self.text()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        flags = int(self.alignment()) | int(Qt.AlignmentFlag.AlignVCenter)
        painter.drawText(self.contentsRect(), flags, self.elided_text())
