"""A one-line label that never widens its parent: long text is elided, the whole text is its tooltip."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
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
        self._floor: tuple[tuple[str, int], QSize] | None = None
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        if text == self.text():
            return  # no relayout of its parents for the same text (the status bar's, on every invoke)
        super().setText(text)
        self.setToolTip(text if text else "")
        self.updateGeometry()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        # Layouts ask often (hundreds of times per invoke): the floor depends on the font only.
        key = (self.font().key(), self._min_chars)
        if self._floor is None or self._floor[0] != key:
            metrics = self.fontMetrics()
            margins = self.contentsMargins()
            width = metrics.horizontalAdvance("M" * self._min_chars) + margins.left() + margins.right()
            height = metrics.height() + margins.top() + margins.bottom()
            self._floor = (key, QSize(width, height))
        floor = self._floor[1]
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
