"""The row of labels above the article: colour chip, name and key. Click = apply label."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QAbstractButton, QLabel, QLayout, QWidget

from annotator.core.project import Label


def _readable_on(colour: QColor) -> QColor:
    return QColor("#1d1d1f") if colour.lightnessF() > 0.55 else QColor("#ffffff")


class LabelChip(QAbstractButton):
    """One label: a rounded chip in the label's colour with its key in a badge."""

    def __init__(self, label: Label, parent=None):
        super().__init__(parent)
        self.label = label
        self.setFocusPolicy(Qt.NoFocus)  # the article keeps the keyboard
        self.setCursor(Qt.PointingHandCursor)
        key = f"key {label.key}" if label.key else "no key"
        self.setToolTip(f"{label.name} ({key}): label the selection")
        self.setAccessibleName(f"Label {label.name}")
        self._font = QFont(self.font())
        self._font.setWeight(QFont.DemiBold)
        self._key_font = QFont(self.font())
        self._key_font.setPointSizeF(max(7.0, self.font().pointSizeF() * 0.85))
        self._key_font.setWeight(QFont.Bold)

    def sizeHint(self) -> QSize:
        fm = QFontMetrics(self._font)
        kfm = QFontMetrics(self._key_font)
        badge = kfm.horizontalAdvance("0") + 10 if self.label.key else 0
        return QSize(fm.horizontalAdvance(self.label.name) + badge + 26, fm.height() + 12)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        colour = QColor(self.label.colour)
        if self.isDown():
            colour = colour.darker(115)
        elif self.underMouse():
            colour = colour.lighter(106)
        r = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        p.setPen(QPen(colour.darker(125), 1))
        p.setBrush(colour)
        p.drawRoundedRect(r, 6, 6)
        fg = _readable_on(colour)
        x = 10.0
        if self.label.key:
            p.setFont(self._key_font)
            kfm = QFontMetrics(self._key_font)
            w = kfm.horizontalAdvance("0") + 8
            h = kfm.height() + 2
            badge = QRectF(x - 3, (r.height() - h) / 2 + 0.5, w, h)
            p.setPen(Qt.NoPen)
            bg = QColor(fg)
            bg.setAlphaF(0.16)
            p.setBrush(bg)
            p.drawRoundedRect(badge, 3, 3)
            p.setPen(fg)
            p.drawText(badge, Qt.AlignCenter, self.label.key)
            x += w + 4
        p.setFont(self._font)
        p.setPen(fg)
        p.drawText(QRectF(x, 0, r.width() - x - 6, r.height()), Qt.AlignVCenter, self.label.name)
        p.end()


class FlowLayout(QLayout):
    """Lays chips out left to right and wraps, so twenty labels fit a narrow window."""

    def __init__(self, parent=None, spacing: int = 6):
        super().__init__(parent)
        self._items = []
        self._spacing = spacing

    def addItem(self, item) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, i):
        return self._items[i] if 0 <= i < len(self._items) else None

    def takeAt(self, i):
        return self._items.pop(i) if 0 <= i < len(self._items) else None

    def expandingDirections(self):
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect) -> None:
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _place(self, rect, move: bool) -> int:
        """Fill lines left to right; items are centred vertically within their line."""
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        lines: list[list] = [[]]
        x = area.x()
        for item in self._items:
            width = item.sizeHint().width()
            if x + width > area.right() + 1 and lines[-1]:
                lines.append([])
                x = area.x()
            lines[-1].append(item)
            x += width + self._spacing
        y = area.y()
        for line in lines:
            height = max((item.sizeHint().height() for item in line), default=0)
            x = area.x()
            for item in line:
                hint = item.sizeHint()
                if move:
                    top = y + (height - hint.height()) // 2
                    item.setGeometry(QRect(QPoint(x, top), hint))
                x += hint.width() + self._spacing
            y += height + self._spacing
        return y - self._spacing - rect.y() + m.bottom()


class LabelBar(QWidget):
    labelClicked = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("labelBar")
        self.setAttribute(Qt.WA_StyledBackground, True)
        self._layout = FlowLayout(self)
        self._layout.setContentsMargins(16, 8, 16, 8)
        self.chips: dict[str, LabelChip] = {}
        self.hint = QLabel("", self)
        self.hint.setObjectName("labelBarHint")
        self.hint.setTextFormat(Qt.PlainText)
        self.hint.setContentsMargins(8, 0, 0, 0)

    def set_labels(self, labels: list[Label]) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            w = item.widget()
            if w is not None and w is not self.hint:
                w.hide()  # at once: deleteLater waits for the event loop's next turn
                w.deleteLater()
        self.chips = {}
        for lab in labels:
            chip = LabelChip(lab, self)
            chip.clicked.connect(lambda _=False, name=lab.name: self.labelClicked.emit(name))
            self._layout.addWidget(chip)
            self.chips[lab.name] = chip
        self.hint.setText(
            "Select text, then press a label's key" if labels
            else "No labels yet: add some with File → Labels… (Ctrl+L)"
        )
        self._layout.addWidget(self.hint)
