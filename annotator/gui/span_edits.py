"""Turn what the annotator did (a selection, the span at the cursor, a key) into core edits.

Qt-free: the window passes plain values in and pushes the edits it gets back. Each
function returns (edits, message); no edits and a message means "nothing to do, say why".
"""

from __future__ import annotations

from collections.abc import Sequence

from annotator.core.annotation import (
    AddSpan,
    ChangeSpan,
    Edit,
    RemoveSpan,
    ShownSpan,
    SuggestSpans,
)
from annotator.core.records import Span
from annotator.core.tokens import TokenIndex

Result = tuple[list[Edit], str]


def overlapping(shown: Sequence[ShownSpan], start: int, end: int) -> list[ShownSpan]:
    return [s for s in shown if s.start < end and start < s.end]


def label_selection(
    article_id: int, shown: Sequence[ShownSpan], tokens: TokenIndex,
    selection: tuple[int, int], label: str,
) -> tuple[list[Edit], str, tuple[int, int] | None]:  # fmt: skip
    """Label a selection, snapped to whole tokens. Spans it overlaps are replaced.
    Returns the edits, a message and the snapped range."""
    snapped = tokens.snap(*selection)
    if snapped is None:
        return [], "The selection holds no words", None
    start, end = snapped
    hit = overlapping(shown, start, end)
    if len(hit) == 1 and (hit[0].start, hit[0].end) == snapped:
        old = hit[0]
        if old.confirmed and old.label == label:
            return [], f"Already {label}", snapped
        return [ChangeSpan(article_id, old, start, end, label)], "", snapped
    edits: list[Edit] = [RemoveSpan(article_id, s) for s in hit]
    edits.append(AddSpan(article_id, Span(start, end, label, "human")))
    return edits, "", snapped


def relabel(article_id: int, span: ShownSpan, label: str) -> Result:
    """A label key with the cursor on a span: relabel it (on a suggestion, with its own
    label, this confirms it)."""
    if span.confirmed and span.label == label:
        return [], f"Already {label}"
    return [ChangeSpan(article_id, span, span.start, span.end, label)], ""


def delete(article_id: int, shown: Sequence[ShownSpan], selection, span) -> Result:
    """Delete the spans the selection touches, or else the span at the cursor."""
    if selection and selection[0] != selection[1]:
        hit = overlapping(shown, min(selection), max(selection))
    else:
        hit = [span] if span is not None else []
    if not hit:
        return [], "No span at the cursor"
    return [RemoveSpan(article_id, s) for s in hit], ""


def resize(
    article_id: int, shown: Sequence[ShownSpan], tokens: TokenIndex, span: ShownSpan,
    side: str, delta: int,
) -> tuple[list[Edit], str, tuple[int, int] | None]:  # fmt: skip
    """Move one edge of a span by one token (delta +1 grows, -1 shrinks)."""
    new = tokens.resize(span.start, span.end, side, delta)
    if new is None:
        what = "grow" if delta > 0 else "shrink"
        return [], f"Can't {what} the span further", None
    others = [s for s in overlapping(shown, *new) if s != span]
    if others:
        return [], f"That would overlap the {others[0].label} span", None
    if new == (span.start, span.end):
        return [], "", new
    return [ChangeSpan(article_id, span, new[0], new[1], span.label)], "", new


def label_occurrences(article_id: int, shown: Sequence[ShownSpan], tokens: TokenIndex,
                      start: int, end: int, label: str) -> list[Edit]:  # fmt: skip
    """After labelling [start, end): every other occurrence of the same words in the article
    is suggested with that label (a suggestion there with another label is replaced);
    confirmed spans and partial overlaps are left as they are."""
    edits: list[Edit] = []
    new: list[Span] = []
    for s, e in tokens.occurrences(start, end):
        hit = overlapping(shown, s, e)
        if not hit:
            new.append(Span(s, e, label, "decision"))
        elif len(hit) == 1 and (hit[0].start, hit[0].end) == (s, e) and not hit[0].confirmed:
            if hit[0].label != label:
                edits.append(RemoveSpan(article_id, hit[0]))
                new.append(Span(s, e, label, "decision"))
    if new:
        edits.append(SuggestSpans(article_id, new))
    return edits


def forget_occurrences(article_id: int, shown: Sequence[ShownSpan], tokens: TokenIndex,
                       span: ShownSpan) -> list[Edit]:  # fmt: skip
    """After deleting a mention: the suggestions of the same words with the same label
    elsewhere in the article go too (confirmed spans stay)."""
    places = set(tokens.occurrences(span.start, span.end))
    return [RemoveSpan(article_id, s) for s in shown
            if not s.confirmed and (s.start, s.end) in places
            and s.label == span.label]  # fmt: skip
