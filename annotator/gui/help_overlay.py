"""The help overlay (? or F1): every key of the window, read from the keymap table.

It covers the window; any key or click closes it, and while it is open no shortcut fires
(it claims every ShortcutOverride), so a stray `a` can't accept an article.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from . import keymap

HELP_ONLY = ("new", "open", "quit", "preferences")  # menu entries too common to list


class HelpOverlay(QWidget):
    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("helpOverlay")
        self.setFocusPolicy(Qt.StrongFocus)
        self.setAttribute(Qt.WA_StyledBackground, False)
        self.card = QWidget(self)
        self.card.setObjectName("helpCard")
        self._dark = False
        outer = QVBoxLayout(self.card)
        outer.setContentsMargins(28, 22, 28, 22)
        outer.setSpacing(10)
        title = QLabel("Keyboard shortcuts", self.card)
        f = QFont(title.font())
        f.setPointSizeF(f.pointSizeF() * 1.35)
        f.setWeight(QFont.DemiBold)
        title.setFont(f)
        outer.addWidget(title)
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(3)
        outer.addLayout(grid)
        self.rows: list[tuple[str, str]] = []
        columns = (("Decide", "Spans"), ("Move", "Edit", "Project"))
        for col, groups in enumerate(columns):
            row = 0
            for group in groups:
                head = QLabel(group.upper(), self.card)
                head.setObjectName("helpGroup")
                grid.addWidget(head, row, col * 2, 1, 2)
                row += 1
                for b in keymap.BINDINGS:
                    if b.group != group or b.action in HELP_ONLY:
                        continue
                    keys = QLabel(keymap.keys_text(b), self.card)
                    keys.setObjectName("helpKeys")
                    keys.setTextFormat(Qt.PlainText)
                    what = QLabel(b.help, self.card)
                    what.setTextFormat(Qt.PlainText)
                    grid.addWidget(keys, row, col * 2, Qt.AlignRight | Qt.AlignTop)
                    grid.addWidget(what, row, col * 2 + 1, Qt.AlignLeft | Qt.AlignTop)
                    self.rows.append((keymap.keys_text(b), b.help))
                    row += 1
                grid.setRowMinimumHeight(row, 10)
                row += 1
        foot = QLabel("Press any key to close", self.card)
        foot.setObjectName("helpFoot")
        outer.addWidget(foot, 0, Qt.AlignRight)
        self.hide()

    def set_theme(self, dark: bool) -> None:
        self._dark = dark
        card, text, muted, key_bg = (
            ("#26272b", "#e6e6e6", "#9a9ba1", "#3a3b40") if dark
            else ("#ffffff", "#1d1d1f", "#6b6b70", "#ececea")
        )  # fmt: skip
        self.card.setStyleSheet(
            f"#helpCard {{ background: {card}; border-radius: 10px; }}"
            f"QLabel {{ color: {text}; }}"
            f"#helpGroup {{ color: {muted}; font-weight: 600; padding-top: 4px; }}"
            f"#helpFoot {{ color: {muted}; }}"
            f"#helpKeys {{ background: {key_bg}; border-radius: 4px; padding: 1px 6px;"
            " font-family: monospace; }"
        )

    def toggle(self) -> None:
        if self.isVisible():
            self.close_overlay()
        else:
            self.open_overlay()

    def open_overlay(self) -> None:
        parent = self.parentWidget()
        central = getattr(parent, "centralWidget", lambda: None)()
        self.setGeometry(central.geometry() if central is not None else parent.rect())
        self.raise_()
        self.show()
        self._place_card()
        self.setFocus()

    def close_overlay(self) -> None:
        self.hide()
        window = self.window()
        if hasattr(window, "focus_article"):
            window.focus_article()

    def _place_card(self) -> None:
        self.card.adjustSize()
        size = self.card.sizeHint()
        self.card.setGeometry(
            max(0, (self.width() - size.width()) // 2),
            max(0, (self.height() - size.height()) // 2),
            size.width(), size.height(),
        )  # fmt: skip

    def resizeEvent(self, event) -> None:
        self._place_card()
        super().resizeEvent(event)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(QRectF(self.rect()), QColor(0, 0, 0, 150 if self._dark else 110))
        p.end()

    def event(self, event) -> bool:
        if event.type() == QEvent.ShortcutOverride and self.isVisible():
            event.accept()  # the key comes to keyPressEvent, no shortcut fires
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key_Shift, Qt.Key_Control, Qt.Key_Alt, Qt.Key_Meta):
            return
        self.close_overlay()

    def mousePressEvent(self, event) -> None:
        self.close_overlay()
