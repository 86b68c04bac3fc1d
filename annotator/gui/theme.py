"""Light and dark palettes: the one place that decides the window's colours."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True, slots=True)
class Theme:
    name: str
    window: str
    panel: str  # side panel, header
    base: str  # text areas, lists
    alt_base: str
    text: str
    muted: str  # secondary text
    border: str
    accent: str
    accent_text: str
    status: dict  # article status -> colour

    @property
    def dark(self) -> bool:
        return self.name == "dark"


LIGHT = Theme(
    name="light",
    window="#f3f3f1",
    panel="#ebebe8",
    base="#ffffff",
    alt_base="#f7f7f5",
    text="#1d1d1f",
    muted="#6b6b70",
    border="#d6d6d2",
    accent="#3b6fd8",
    accent_text="#ffffff",
    status={"pending": "#9a9aa0", "accepted": "#2e9d57", "rejected": "#d0453b",
            "skipped": "#d49a1e"},
)  # fmt: skip

DARK = Theme(
    name="dark",
    window="#1f2023",
    panel="#26272b",
    base="#18191b",
    alt_base="#202124",
    text="#e6e6e6",
    muted="#9a9ba1",
    border="#3a3b40",
    accent="#6d9bf1",
    accent_text="#10131a",
    status={"pending": "#7d7e85", "accepted": "#4cc27a", "rejected": "#ef6a5f",
            "skipped": "#e7b548"},
)  # fmt: skip

THEMES = {"light": LIGHT, "dark": DARK}


def theme(name: str) -> Theme:
    return THEMES.get(name, LIGHT)


def palette(t: Theme) -> QPalette:
    p = QPalette()
    c = QColor
    roles = {
        QPalette.Window: t.window,
        QPalette.WindowText: t.text,
        QPalette.Base: t.base,
        QPalette.AlternateBase: t.alt_base,
        QPalette.Text: t.text,
        QPalette.Button: t.panel,
        QPalette.ButtonText: t.text,
        QPalette.ToolTipBase: t.panel,
        QPalette.ToolTipText: t.text,
        QPalette.PlaceholderText: t.muted,
        QPalette.Highlight: t.accent,
        QPalette.HighlightedText: t.accent_text,
        QPalette.Link: t.accent,
        QPalette.BrightText: "#ff5555",
        QPalette.Light: t.base,
        QPalette.Midlight: t.border,
        QPalette.Mid: t.border,
        QPalette.Dark: t.border,
        QPalette.Shadow: "#000000",
    }
    for role, colour in roles.items():
        p.setColor(role, c(colour))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        p.setColor(QPalette.Disabled, role, c(t.muted))
    return p


def _tint(colour: str, alpha: float) -> str:
    c = QColor(colour)
    return f"rgba({c.red()}, {c.green()}, {c.blue()}, {alpha})"


def stylesheet(t: Theme) -> str:
    """A few touches the palette can't express: borders, header, the side panel."""
    return f"""
    QMainWindow::separator {{ width: 1px; background: {t.border}; }}
    QSplitter::handle {{ background: {t.border}; }}
    #sidePanel {{ background: {t.panel}; }}
    #articleHeader {{ background: {t.base}; border-bottom: 1px solid {t.border}; }}
    #articleTitle {{ color: {t.text}; }}
    #articleMeta {{ color: {t.muted}; }}
    #suggestNote {{ color: {t.accent}; background: {_tint(t.accent, 0.13)}; border-radius: 4px;
                   padding: 2px 8px; font-size: 8pt; font-weight: 600; }}
    #flagNote {{ color: #9a5b00; background: rgba(240, 160, 20, 0.18); border-radius: 4px;
                padding: 2px 8px; font-size: 8pt; font-weight: 600; }}
    QStatusBar QLabel#unseenNote {{ color: {t.accent}; font-weight: 600; }}
    #labelBar {{ background: {t.window}; border-bottom: 1px solid {t.border}; }}
    #labelBarHint {{ color: {t.muted}; }}
    QTableView {{ border: none; background: {t.panel}; alternate-background-color: {t.window};
                 selection-background-color: {t.accent}; selection-color: {t.accent_text}; }}
    QHeaderView::section {{ background: {t.panel}; color: {t.muted}; border: none;
                           border-bottom: 1px solid {t.border}; padding: 4px 6px; }}
    QLineEdit {{ border: 1px solid {t.border}; border-radius: 5px; padding: 4px 6px;
                background: {t.base}; color: {t.text}; }}
    QLineEdit:focus {{ border-color: {t.accent}; }}
    QStatusBar {{ background: {t.panel}; color: {t.muted}; border-top: 1px solid {t.border}; }}
    QStatusBar QLabel {{ color: {t.muted}; padding: 0 8px; }}
    QStatusBar::item {{ border: none; }}
    #emptyPage QLabel {{ color: {t.text}; }}
    #emptyHint {{ color: {t.muted}; }}
    QPushButton#primary {{ background: {t.accent}; color: {t.accent_text}; border: none;
                          border-radius: 6px; padding: 8px 18px; font-weight: 600; }}
    QPushButton#secondary {{ background: {t.base}; color: {t.text}; border: 1px solid {t.border};
                            border-radius: 6px; padding: 8px 18px; }}
    """


def apply(app: QApplication, t: Theme) -> None:
    app.setStyle("Fusion")
    app.setPalette(palette(t))
    app.setStyleSheet(stylesheet(t))
