"""Text that never gets cut off mid-word without saying so: a one-line label that elides
what does not fit ("…") and shows the whole text on hover, and a status bar whose messages
do the same.

Article titles can be a whole paragraph (a text without a title takes its first line), and
status messages can be longer than the space the permanent widgets leave them; a plain
QLabel or QStatusBar would wrap to several lines or clip the last letters ("…first"
becoming "…firs").
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QWidget


class ElidedLabel(QLabel):
    """One line of plain text, elided at the right to the width it is given; the whole
    text in the tooltip whenever it does not fit. `text()` returns the whole text."""

    def __init__(self, parent: QWidget | None = None, name: str = ""):
        super().__init__(parent)
        if name:
            self.setObjectName(name)
        self._full = ""
        self._tip = ""
        self.setTextFormat(Qt.PlainText)
        self.setWordWrap(False)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.setMinimumWidth(40)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        # one line: newlines and runs of spaces as single spaces
        self._full = " ".join(str(text or "").split())
        self._elide()

    def text(self) -> str:  # the whole text, not what is drawn
        return self._full

    def shown_text(self) -> str:
        """What is drawn: the text, or its start and "…"."""
        return super().text()

    def is_elided(self) -> bool:
        return self.shown_text() != self._full

    def setToolTip(self, tip: str) -> None:  # noqa: N802
        """A tooltip of its own (else the whole text, when elided)."""
        self._tip = tip
        self._elide()

    def sizeHint(self) -> QSize:  # noqa: N802
        hint = super().sizeHint()
        return QSize(QFontMetrics(self.font()).horizontalAdvance(self._full) + 8, hint.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(self.minimumWidth(), super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self._elide()

    def _elide(self) -> None:
        width = max(self.contentsRect().width() - 2 * self.margin() - 2, 10)
        shown = QFontMetrics(self.font()).elidedText(self._full, Qt.ElideRight, width)
        super().setText(shown)
        tip = self._tip or (self._full if shown != self._full else "")
        super().setToolTip(tip)


class MessageBar(QStatusBar):
    """A status bar whose messages elide to the room left by the permanent widgets, the
    whole message on hover. `showMessage`, `clearMessage`, `currentMessage` and
    `messageChanged` work as QStatusBar's."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.message_label = ElidedLabel(self, "statusMessage")
        self.message_label.setContentsMargins(4, 0, 4, 0)
        self.addWidget(self.message_label, 1)
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.clearMessage)

    def showMessage(self, text: str, timeout: int = 0) -> None:  # noqa: N802
        self.message_label.setText(text)
        self._timer.stop()
        if timeout > 0 and text:
            self._timer.start(timeout)
        self.messageChanged.emit(self.message_label.text())

    def clearMessage(self) -> None:  # noqa: N802
        if self.message_label.text():
            self.message_label.setText("")
            self.messageChanged.emit("")

    def currentMessage(self) -> str:  # noqa: N802
        return self.message_label.text()
