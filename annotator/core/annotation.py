"""What the annotator sees and does on one article, as reversible edits.

`shown_spans` combines an article's stored spans with its suggestions. Every change the
window makes is an `Edit` with `apply(project)` and `revert(project)`: the window wraps
each in a QUndoCommand, and the same edits are tested here without Qt.

Links (entity linking): each shown span carries the entity it names (`kb_id`), stored
(`kb_suggested` False) or suggested (True: drawn dashed). A suggested link comes, in this
order, from a link offered at that place (linking another mention of the same string, see
`link_occurrences`, or an imported suggestion's link), else from the learnt links
(`learnt_links.py`: the surface form was linked to that entity in the accepted articles at
least `propagation_precision` of the times it is a span there). Only links the knowledge
base can take are suggested (an entity it holds, or NIL), so accepting never fails on one.
Accepted articles show their stored links only. `accept_edit` stores exactly the links
shown: those of the suggestions it confirms and the suggested links of stored spans.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from .learnt_links import DEFAULT_PRECISION, PRECISION_SETTING
from .project import AcceptResult, LinkChange, Offered, Project, StoredSpan
from .records import NIL, Span


@dataclass(frozen=True, slots=True)
class ShownSpan:
    start: int
    end: int
    label: str
    source: str  # model, pattern, decision, human, import
    confirmed: bool  # a stored span (drawn filled) or a suggestion (drawn outlined)
    span_id: int | None = None
    kb_id: str | None = None  # the entity it names: an id, NIL, or None (no link shown)
    kb_suggested: bool = False  # kb_id is a suggested link (drawn dashed), not a stored one

    @property
    def span(self) -> Span:
        """The span as stored: with its stored link only."""
        return Span(self.start, self.end, self.label, self.source,
                    None if self.kb_suggested else self.kb_id)  # fmt: skip

    @property
    def as_shown(self) -> Span:
        """The span with the link shown on it, suggested or not (what accepting stores)."""
        return Span(self.start, self.end, self.label, self.source, self.kb_id)


def shown_spans(
    project: Project, article_id: int, suggestions: Sequence[Span] = ()
) -> list[ShownSpan]:
    """Stored spans, plus the suggestions that don't overlap them and weren't dismissed,
    each with its link (stored or suggested). Accepted articles show their stored spans
    and links only: suggestions never change them."""
    stored = project.spans(article_id)
    shown = [ShownSpan(s.start, s.end, s.label, s.source, True, s.id, s.kb_id)
             for s in stored]  # fmt: skip
    art = project.article(article_id)
    if art.status == "accepted":
        return shown
    if suggestions:
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
    return suggested_links(project, art.id, art.text, shown)


def suggested_links(project: Project, article_id: int, text: str,
                    shown: list[ShownSpan]) -> list[ShownSpan]:  # fmt: skip
    """`shown` with a suggested link on each span that shows no stored one: offered at its
    place, else learnt (see the module docstring)."""
    offered = project.offered_links(article_id)
    precision = project.get_setting(PRECISION_SETTING, DEFAULT_PRECISION)
    learnt = project.learnt_links() if precision is not None and project.has_links() else None
    if not offered and learnt is None:
        return shown
    wanted: dict[int, str] = {}
    for i, s in enumerate(shown):
        if s.kb_id is not None and not s.kb_suggested:
            continue
        at = offered.get((s.start, s.end))
        kb_id = at.get(s.label, next(iter(at.values()))) if at else None
        if kb_id is None and learnt is not None:
            kb_id = learnt.suggest(text[s.start : s.end], precision)
        if kb_id:  # DECLINED ('') : a link was taken away here
            wanted[i] = kb_id
    if not wanted:
        return shown
    known = project.known_entities([k for k in set(wanted.values()) if k != NIL]) | {NIL}
    out = list(shown)
    for i, kb_id in wanted.items():
        if kb_id in known:
            out[i] = replace(shown[i], kb_id=kb_id, kb_suggested=True)
    return out


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
class SetLink(Edit):
    """Link a span to an entity (an id of the knowledge base, or NIL), or take its link
    away (None). `target`: a shown span or a stored span's id. Linking a suggestion stores
    it (its link with it); taking away a suggestion's suggested link marks the place so
    that none is suggested there. Undo puts back exactly what was there."""

    article_id: int
    target: ShownSpan | int
    kb_id: str | None
    change: LinkChange | None = None
    new_id: int | None = None  # a suggestion linked: the span stored for it
    offers: list[Offered] | None = None  # a suggestion's suggested link taken away
    text: str = "link"

    def __post_init__(self):
        self.text = "link" if self.kb_id is not None else "unlink"

    def apply(self, project, annotator=""):
        t = self.target
        if isinstance(t, int) or t.confirmed:
            span_id = t if isinstance(t, int) else t.span_id
            self.change = project.set_link(span_id, self.kb_id, annotator)
        elif self.kb_id is not None:
            span = replace(t.span, kb_id=self.kb_id)
            # a redo re-creates it under the id it got the first time, its link as it was
            self.new_id = project.add_span(self.article_id, span, annotator,
                                           span_id=self.new_id)  # fmt: skip
        else:
            self.offers = project.offer_links(self.article_id, [(t.span, None)], annotator)

    def revert(self, project, annotator=""):
        t = self.target
        if isinstance(t, int) or t.confirmed:
            project.undo_link(self.change, annotator)
        elif self.kb_id is not None:
            project.delete_span(self.new_id, annotator, dismiss=False)
        else:
            project.restore_offers(self.article_id, self.offers or [], annotator)


@dataclass
class OfferLinks(Edit):
    """Suggest links at some shown spans' places: the other mentions of a string just
    linked (`link_occurrences`). None takes a suggested link away there."""

    article_id: int
    offers: list[tuple[ShownSpan, str | None]]
    before: list[Offered] | None = None
    text: str = "suggest the link for other mentions"

    def apply(self, project, annotator=""):
        self.before = project.offer_links(self.article_id,
                                          [(s.span, kb) for s, kb in self.offers],
                                          annotator)  # fmt: skip

    def revert(self, project, annotator=""):
        project.restore_offers(self.article_id, self.before or [], annotator)


def link_occurrences(article_id: int, shown: Sequence[ShownSpan], text: str,
                     span: ShownSpan, kb_id: str | None) -> list[Edit]:  # fmt: skip
    """After linking `span` to `kb_id`: every other shown span of the same string in the
    article (`text` is the article's) that shows no stored link is offered the same
    entity, as a suggested link (one edit, or none). Stored links are left as they are;
    taking a link away (None) offers nothing."""
    if kb_id is None:
        return []
    surface = text[span.start : span.end]
    offers = [
        (s, kb_id) for s in shown
        if (s.start, s.end) != (span.start, span.end) and text[s.start : s.end] == surface
        and (s.kb_suggested or s.kb_id is None) and s.kb_id != kb_id
    ]  # fmt: skip
    return [OfferLinks(article_id, offers)] if offers else []


def link_mention(article_id: int, shown: Sequence[ShownSpan], text: str, span: ShownSpan,
                 kb_id: str | None) -> list[Edit]:  # fmt: skip
    """The edits of linking one mention, to push as one undo step (the window applies a
    command's edits in one transaction): the link, and the offer to the other mentions."""
    return [SetLink(article_id, span, kb_id),
            *link_occurrences(article_id, shown, text, span, kb_id)]  # fmt: skip


@dataclass
class SetStatus(Edit):
    """Accept (confirming the suggestions shown, and the links shown), reject or skip an
    article."""

    article_id: int
    status: str
    confirm: list[Span] = field(default_factory=list)
    result: AcceptResult | None = None
    text: str = "decide"
    links: list[tuple[int, str]] = field(default_factory=list)  # suggested links of stored spans

    def __post_init__(self):
        self.text = {"accepted": "accept", "rejected": "reject", "skipped": "skip"}.get(
            self.status, self.status
        )

    def apply(self, project, annotator=""):
        confirm = self.confirm if self.status == "accepted" else []
        ids = self.result.added_span_ids if self.result else None  # a redo keeps the ids
        links = self.links if self.status == "accepted" else []
        self.result = project.set_status(
            self.article_id, self.status, annotator, confirm=confirm, span_ids=ids, links=links
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
    """Accepting confirms every suggestion still shown, with the link shown on it, and the
    suggested links shown on stored spans; nothing else."""
    links = [(s.span_id, s.kb_id) for s in shown
             if s.confirmed and s.kb_suggested and s.kb_id is not None]  # fmt: skip
    return SetStatus(article_id, "accepted", [s.as_shown for s in shown if not s.confirmed],
                     links=links)  # fmt: skip
