"""What the annotator sees and does on one article, as reversible edits.

`shown_spans` combines an article's stored spans with its suggestions. Every change the
window makes is an `Edit` with `apply(project)` and `revert(project)`: the window wraps
each in a QUndoCommand, and the same edits are tested here without Qt.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from .project import AcceptResult, Project, StoredSpan
from .records import Span


@dataclass(frozen=True, slots=True)
class ShownSpan:
    start: int
    end: int
    label: str
    source: str  # model, pattern, decision, human, import
    confirmed: bool  # a stored span (drawn filled) or a suggestion (drawn outlined)
    span_id: int | None = None

    @property
    def span(self) -> Span:
        return Span(self.start, self.end, self.label, self.source)


def shown_spans(
    project: Project, article_id: int, suggestions: Sequence[Span] = ()
) -> list[ShownSpan]:
    """Stored spans, plus the suggestions that don't overlap them and weren't dismissed.
    Accepted articles show their stored spans only: suggestions never change them."""
    stored = project.spans(article_id)
    shown = [ShownSpan(s.start, s.end, s.label, s.source, True, s.id) for s in stored]
    if project.article(article_id).status != "accepted" and suggestions:
        dismissed = project.dismissed(article_id)
        labels = set(project.label_names())
        taken = _Intervals((s.start, s.end) for s in stored)
        for sug in sorted(suggestions, key=lambda s: (s.start, s.end)):
            if (sug.start, sug.end, sug.label) in dismissed or sug.label not in labels:
                continue
            if taken.overlaps(sug.start, sug.end):
                continue
            taken.add(sug.start, sug.end)
            shown.append(ShownSpan(sug.start, sug.end, sug.label, sug.source, False))
    shown.sort(key=lambda s: (s.start, s.end))
    return shown


class _Intervals:
    """Non-overlapping [start, end) intervals, sorted, with O(log n) overlap tests."""

    def __init__(self, pairs=()):
        pairs = sorted(pairs)
        self.starts = [s for s, _ in pairs]
        self.ends = [e for _, e in pairs]

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect_right(self.starts, start)  # intervals starting at or before `start`
        if i and self.ends[i - 1] > start:
            return True
        return i < len(self.starts) and self.starts[i] < end

    def add(self, start: int, end: int) -> None:
        i = bisect_right(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)


class Edit:
    """A reversible change to one article."""

    article_id: int
    text: str = "edit"

    def apply(self, project: Project, annotator: str = "") -> None:
        raise NotImplementedError

    def revert(self, project: Project, annotator: str = "") -> None:
        raise NotImplementedError


@dataclass
class AddSpan(Edit):
    article_id: int
    span: Span
    span_id: int | None = None
    text: str = "add span"

    def apply(self, project, annotator=""):
        # A redo re-creates the span under the id it got the first time.
        self.span_id = project.add_span(
            self.article_id, self.span, annotator, span_id=self.span_id
        )

    def revert(self, project, annotator=""):
        project.delete_span(self.span_id, annotator, dismiss=False)


@dataclass
class RemoveSpan(Edit):
    """Delete a stored span, or dismiss a suggestion."""

    article_id: int
    shown: ShownSpan
    span_id: int | None = None
    text: str = "delete span"

    def __post_init__(self):
        self.span_id = self.shown.span_id

    def apply(self, project, annotator=""):
        if self.shown.confirmed:
            project.delete_span(self.span_id, annotator)
        else:
            project.dismiss(self.article_id, self.shown.span, annotator)

    def revert(self, project, annotator=""):
        if self.shown.confirmed:
            project.add_span(self.article_id, self.shown.span, annotator, span_id=self.span_id)
        project.undismiss(self.article_id, self.shown.span, annotator)


@dataclass
class ChangeSpan(Edit):
    """New boundaries or label for a span. A changed suggestion becomes a human span."""

    article_id: int
    shown: ShownSpan
    start: int
    end: int
    label: str
    before: StoredSpan | None = None
    new_id: int | None = None
    text: str = "change span"

    def apply(self, project, annotator=""):
        if self.shown.confirmed:
            self.before = project.update_span(
                self.shown.span_id, start=self.start, end=self.end, label=self.label,
                annotator=annotator,
            )  # fmt: skip
        else:
            with project.write():
                project.dismiss(self.article_id, self.shown.span, annotator)
                new = Span(self.start, self.end, self.label, "human")
                self.new_id = project.add_span(
                    self.article_id, new, annotator, span_id=self.new_id
                )

    def revert(self, project, annotator=""):
        if self.shown.confirmed:
            project.restore_span(self.before, annotator)
        else:
            with project.write():
                project.delete_span(self.new_id, annotator, dismiss=False)
                project.undismiss(self.article_id, self.shown.span, annotator)


@dataclass
class SuggestSpans(Edit):
    """Suggest spans in the article: the other occurrences of a mention just labelled."""

    article_id: int
    spans: list[Span]
    text: str = "suggest other occurrences"

    def apply(self, project, annotator=""):
        project.suggest_in_article(self.article_id, self.spans, annotator)

    def revert(self, project, annotator=""):
        project.suggest_in_article(self.article_id, self.spans, annotator, undo=True)


@dataclass
class SetStatus(Edit):
    """Accept (confirming the suggestions shown), reject or skip an article."""

    article_id: int
    status: str
    confirm: list[Span] = field(default_factory=list)
    result: AcceptResult | None = None
    text: str = "decide"

    def __post_init__(self):
        self.text = {"accepted": "accept", "rejected": "reject", "skipped": "skip"}.get(
            self.status, self.status
        )

    def apply(self, project, annotator=""):
        confirm = self.confirm if self.status == "accepted" else []
        ids = self.result.added_span_ids if self.result else None  # a redo keeps the ids
        self.result = project.set_status(
            self.article_id, self.status, annotator, confirm=confirm, span_ids=ids
        )

    def revert(self, project, annotator=""):
        project.undo_status(self.result, annotator)


@dataclass
class Flag(Edit):
    """Flag an article for later with an optional note, or clear its flag."""

    article_id: int
    flagged: bool
    note: str = ""
    before: tuple[bool, str] | None = None  # the flag and note it had
    text: str = "flag"

    def __post_init__(self):
        self.text = "flag" if self.flagged else "clear flag"

    def apply(self, project, annotator=""):
        self.before = project.flag(self.article_id, self.flagged, self.note, annotator)

    def revert(self, project, annotator=""):
        flagged, note = self.before if self.before is not None else (not self.flagged, "")
        project.flag(self.article_id, flagged, note, annotator)


def accept_edit(article_id: int, shown: Sequence[ShownSpan]) -> SetStatus:
    """Accepting confirms every suggestion still shown."""
    return SetStatus(article_id, "accepted", [s.span for s in shown if not s.confirmed])
