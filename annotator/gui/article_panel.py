"""The right side: the current article (title, meta, label bar, text), or the page an
empty project shows instead (import files, open the sample articles)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from annotator.core.project import Article

from .article_view import ArticleView
from .elided import ElidedLabel
from .label_bar import LabelBar
from .link_panel import LinkPanel
from .theme import Theme
from .versions_bar import VersionsBar

META_KEYS = ("date", "published", "author", "url")  # article meta shown under the title


def _plain_label(parent, name: str, scale: float = 1.0, bold: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setTextFormat(Qt.PlainText)  # article content is never rich text
    return _scaled(label, scale, bold)


def _scaled(label: QLabel, scale: float = 1.0, bold: bool = False) -> QLabel:
    if scale != 1.0 or bold:
        f = QFont(label.font())
        f.setPointSizeF(f.pointSizeF() * scale)
        if bold:
            f.setWeight(QFont.DemiBold)
        label.setFont(f)
    return label


class ArticlePanel(QStackedWidget):
    ARTICLE, EMPTY = 0, 1

    def __init__(self, parent=None):
        super().__init__(parent)
        page = QWidget(self)
        head = QWidget(page)
        head.setObjectName("articleHeader")
        head.setAttribute(Qt.WA_StyledBackground, True)
        # one line, elided, the whole title on hover: a text without a title takes its
        # first line, which can be a whole paragraph
        self.title_label = _scaled(ElidedLabel(head, "articleTitle"), 1.45, bold=True)
        self.status_pill = _plain_label(head, "statusPill")
        self.meta_label = _plain_label(head, "articleMeta")
        self.meta_label.setWordWrap(True)
        # "Loading suggestions…" while the article's final suggestions are on their way.
        self.note = _plain_label(head, "suggestNote")
        self.note.hide()
        self.flag_label = _plain_label(head, "flagNote")  # "⚑ Flagged: note" (f)
        self.flag_label.hide()
        meta_row = QHBoxLayout()
        meta_row.setSpacing(8)
        meta_row.addWidget(self.status_pill)
        meta_row.addWidget(self.flag_label)
        meta_row.addWidget(self.meta_label, 1)
        meta_row.addWidget(self.note)
        head_layout = QVBoxLayout(head)
        head_layout.setContentsMargins(24, 16, 24, 12)
        head_layout.setSpacing(6)
        head_layout.addWidget(self.title_label)
        head_layout.addLayout(meta_row)
        self.label_bar = LabelBar(page)
        self.versions_bar = VersionsBar(page)  # review mode: the annotators' versions
        self.view = ArticleView(page)
        self.view.setFrameShape(QFrame.NoFrame)
        self.link_panel = LinkPanel(page)  # entity linking: shown when there is a KB
        self.link_panel.hide()
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.view, 1)
        body.addWidget(self.link_panel)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(head)
        layout.addWidget(self.label_bar)
        layout.addWidget(self.versions_bar)
        layout.addLayout(body, 1)
        self.addWidget(page)
        self.addWidget(self._empty_page())

    def _empty_page(self) -> QWidget:
        empty = QWidget(self)
        empty.setObjectName("emptyPage")
        self.empty_title = _plain_label(empty, "emptyTitle", 1.5, bold=True)
        hint = _plain_label(empty, "emptyHint")
        hint.setText("Import .txt, .jsonl or .csv files (or drop them here), or start with a\n"
                     "few sample news articles to see how suggestions work.")  # fmt: skip
        hint.setAlignment(Qt.AlignCenter)
        self.import_button = QPushButton("Import files…", empty)
        self.import_button.setObjectName("primary")
        self.samples_button = QPushButton("Open sample articles", empty)
        self.samples_button.setObjectName("secondary")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.samples_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(empty)
        layout.addStretch(2)
        layout.addWidget(self.empty_title, 0, Qt.AlignCenter)
        layout.addSpacing(6)
        layout.addWidget(hint, 0, Qt.AlignCenter)
        layout.addSpacing(18)
        layout.addLayout(buttons)
        layout.addStretch(3)
        return empty

    def show_empty(self, project_open: bool) -> None:
        self.setCurrentIndex(self.EMPTY)
        self.empty_title.setText(
            "This project has no articles yet" if project_open else "No project is open"
        )
        self.import_button.setEnabled(project_open)
        self.samples_button.setEnabled(project_open)
        self.import_button.setFocus()

    def set_note(self, text: str | None) -> None:
        """A small note on the article's header (None hides it)."""
        if text:
            self.note.setText(text)
            self.note.show()
        else:
            self.note.hide()

    def show_header(self, a: Article, t: Theme) -> None:
        self.setCurrentIndex(self.ARTICLE)
        self.title_label.setText(a.title.strip() or f"Article {a.id}")
        self.status_pill.setText(a.status.upper())
        self.status_pill.setStyleSheet(
            f"background: {t.status.get(a.status, t.muted)}; color: white; border-radius: 4px;"
            " padding: 1px 7px; font-size: 8pt; font-weight: 700;"
        )
        parts = [f"#{a.id}"]
        if a.source:
            parts.append(a.source)
        meta = a.meta if isinstance(a.meta, dict) else {}
        parts += [str(meta[k]) for k in META_KEYS if meta.get(k)]
        parts.append(f"{len(a.text.split()):,} words")
        if a.status != "pending" and a.status_by:
            parts.append(f"{a.status} by {a.status_by}")
        self.meta_label.setText("  ·  ".join(parts))
        note = " ".join(a.flag_note.split())
        short = note if len(note) <= 60 else note[:59] + "…"
        self.flag_label.setText("⚑ Flagged" + (f": {short}" if short else ""))
        self.flag_label.setToolTip(f"Flagged for later: {note}" if note else "Flagged for later")
        self.flag_label.setVisible(a.flagged)
