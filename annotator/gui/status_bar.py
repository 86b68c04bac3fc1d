"""The status bar's permanent part: the last training's result, a running training,
progress, this session's pace, the suggester's state.
Messages (errors, "reloaded", "all done") use the bar's own message area on the left.

The training's labels elide what does not fit, the whole text on hover: a result says what
decided, then in numbers ("Model 3 used for suggestions: F 0.74; 112 corrections on 250 dev
articles vs 140 with the model in use (−28, 95% −41 to −15)"), and stays until the next
training starts."""

from __future__ import annotations

import time

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar

from annotator.core.suggest.service import PATTERNS_ONLY

from .elided import ElidedLabel

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


RESULT_STRETCH = 8  # against the message area's 1


class StatusText(ElidedLabel):
    """An ElidedLabel among the bar's permanent widgets, which the style pads: its size hint
    counts the padding too, so that a text that fits is drawn whole."""

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        hint = super().sizeHint()
        pad = max(self.width() - self.contentsRect().width(), 0)
        return QSize(hint.width() + pad, hint.height())


class WorkStatus:
    def __init__(self, bar: QStatusBar):
        bar.setSizeGripEnabled(False)
        # "Model 3 used for suggestions: F 0.74; 112 corrections…", until the next training
        # starts; in the room the others leave (a running training's line comes first)
        self.result_label = StatusText(bar, "trainingResult")
        self.result_label.setMinimumWidth(120)
        bar.addPermanentWidget(self.result_label, RESULT_STRETCH)
        self.result_label.hide()
        # "Training: epoch 3 of at most 12 · dev F 0.61 · 0:42 elapsed · ~1:05 left"
        self.training_label = StatusText(bar, "trainingStatus")
        self.training_label.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
        self.training_label.setMinimumWidth(120)
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
        """Show what a running training is doing; None hides it. The tooltip holds the
        whole text (and `tip` after it)."""
        self.training_label.setText(text or "")
        self.training_label.setToolTip("\n".join(t for t in (text, tip) if t))
        self.training_label.setVisible(text is not None)
        self._fit(self.training_label)

    def set_result(self, text: str | None, tip: str = "") -> None:
        """The last training's result, shown until the next starts; None hides it."""
        self.result_label.setText(text or "")
        self.result_label.setToolTip("\n".join(t for t in (text, tip) if t))
        self.result_label.setVisible(bool(text))
        self._fit(self.result_label)

    @staticmethod
    def _fit(label: ElidedLabel) -> None:
        """Lay the bar out again now: a longer text (the clock ticking, 0:59 → 1:00) would
        otherwise be drawn elided until the next layout pass."""
        label.updateGeometry()
        bar = label.parentWidget()
        if bar is not None and bar.layout() is not None:
            bar.layout().activate()
