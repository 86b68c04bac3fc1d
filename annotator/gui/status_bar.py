"""The status bar's permanent part: a running training, progress, this session's pace, the
suggester's state.
Messages (errors, "reloaded", "all done") use the bar's own message area on the left."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStatusBar

from annotator.core.suggest.service import PATTERNS_ONLY

SUGGESTER_TEXT = {
    "loading": "Suggestions: loading model…",
    "ready": "Suggestions: ready",
    "no-model": "Suggestions: no model installed",
    "error": "Suggestions: failed",
    "off": "Suggestions: off",
}


def out_of_view_text(above: int, below: int) -> str:
    def n(count: int) -> str:
        return f"{count} more suggestion" + ("s" if count != 1 else "")

    parts = []
    if below:
        parts.append(f"{n(below)} below ↓")
    if above:
        parts.append(f"{n(above)} above ↑")
    return " · ".join(parts)


class WorkStatus:
    def __init__(self, bar: QStatusBar):
        bar.setSizeGripEnabled(False)
        self.training_label = QLabel(bar)  # "Training: epoch 3, dev F 0.61…" while one runs
        self.training_label.setTextFormat(Qt.PlainText)
        bar.addPermanentWidget(self.training_label)
        self.training_label.hide()
        self.unseen_label = QLabel(bar)  # "2 more suggestions below ↓"
        self.unseen_label.setObjectName("unseenNote")
        self.unseen_label.setTextFormat(Qt.PlainText)
        bar.addPermanentWidget(self.unseen_label)
        self.unseen_label.hide()
        self.progress_label = QLabel(bar)
        self.session_label = QLabel(bar)
        self.suggester_label = QLabel(bar)
        for w in (self.progress_label, self.session_label, self.suggester_label):
            w.setTextFormat(Qt.PlainText)
            bar.addPermanentWidget(w)
        self.session_count = 0
        self.session_start = time.monotonic()

    def pace(self) -> float | None:
        """Decisions per hour this session, once there is a minute of work to go on."""
        hours = (time.monotonic() - self.session_start) / 3600
        return self.session_count / hours if self.session_count and hours > 1 / 60 else None

    def update(self, counts: dict, state: str, message: str, unsaved: str | None = None) -> None:
        """`unsaved`: the suggestion service's line when what it computes is not saved."""
        total = counts.get("articles", 0)
        done = total - counts.get("pending", 0)
        self.progress_label.setText(f"{done:,} / {total:,} done" if total else "No articles")
        pace = self.pace()
        per_hour = f" · {pace:,.0f}/h" if pace is not None else ""
        self.session_label.setText(f"This session: {self.session_count}{per_hour}")
        text = SUGGESTER_TEXT.get(state, f"Suggestions: {state}")
        if state == "ready" and message.endswith(PATTERNS_ONLY):  # the model has no such label
            text = "Suggestions: patterns and decisions only"
        if unsaved:
            text += " (not saved)"
        self.suggester_label.setText(text)
        self.suggester_label.setToolTip(message or text)

    def set_out_of_view(self, above: int, below: int) -> None:
        """Say how many suggestions are out of view (`a` would accept them too)."""
        self.unseen_label.setText(out_of_view_text(above, below))
        self.unseen_label.setToolTip("Accept (A) confirms these too: scroll to see them")
        self.unseen_label.setVisible(bool(above or below))

    def set_training(self, text: str | None, tip: str = "") -> None:
        """Show what a running training is doing; None hides it."""
        self.training_label.setText(text or "")
        self.training_label.setToolTip(tip or text or "")
        self.training_label.setVisible(text is not None)
