"""Review mode: above an article that several annotators decided, one line per version
(who said what), the spans not every version has marked ≠; Alt+1…Alt+9 takes a version
(one undo step: the article's spans become that version's), then edit and accept as usual.
The accept is stored as the reviewed result (`reviewed_by`)."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from annotator.core.team.review import Version, differences

MAX_SPANS = 12  # per line; the rest are counted


def version_html(number: int, version: Version, marked: list, text: str,
                 colours: dict[str, str]) -> str:  # fmt: skip
    """One version's line; `marked`: its spans with True where every version has it."""
    parts = []
    for span, shared in marked[:MAX_SPANS]:
        colour = colours.get(span.label, "#999")
        words = html.escape(text[span.start : span.end])
        style = "" if shared else "text-decoration: underline; font-weight: 600;"
        parts.append(f'<span style="color:{colour}">■</span>&nbsp;<span style="{style}">'
                     f"{html.escape(span.label)} {words}{'' if shared else ' ≠'}</span>")
    if len(marked) > MAX_SPANS:
        parts.append(f"… {len(marked) - MAX_SPANS} more")
    spans = " · ".join(parts) if parts else "no spans"
    return (f"<b>Alt+{number}</b> {html.escape(version.annotator)}: "
            f"<i>{html.escape(version.status)}</i> — {spans}")


class VersionsBar(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("versionsBar")
        self.setAttribute(Qt.WA_StyledBackground, True)
        self.title = QLabel("", self)
        self.title.setTextFormat(Qt.PlainText)
        self.lines: list[QLabel] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(24, 6, 24, 6)
        self._layout.setSpacing(2)
        self._layout.addWidget(self.title)
        self.versions: list[Version] = []
        self.hide()

    def show_versions(self, text: str, found: list[Version], colours: dict[str, str],
                      reviewed_by: str | None) -> None:  # fmt: skip
        self.versions = found
        for line in self.lines:
            line.hide()  # at once: deleteLater waits for the event loop's next turn
            line.deleteLater()
        self.lines = []
        if len(found) < 2:
            self.hide()
            return
        state = f"reviewed by {reviewed_by}" if reviewed_by else "to review"
        self.title.setText(f"{len(found)} versions ({state}): take one with Alt+1…"
                           f"{min(len(found), 9)}, edit, then accept (A)")  # fmt: skip
        for i, (version, marked) in enumerate(zip(found, differences(found), strict=True)):
            line = QLabel(version_html(i + 1, version, marked, text, colours), self)
            line.setTextFormat(Qt.RichText)  # built from escaped text only
            line.setWordWrap(True)
            line.setObjectName("versionLine")
            self._layout.addWidget(line)
            self.lines.append(line)
        self.show()

