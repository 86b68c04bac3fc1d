"""Keeping suggestions on the token boundaries of the tokenizer export uses.

Export tokenizes with ``spacy.blank(lang)``; for English that tokenizer splits exactly like
the packaged models' tokenizers, so model entities are aligned already and this is a cheap
no-op check. A pipeline with a custom tokenizer (``--model PATH``) may split differently:
its entities are then widened to the nearest enclosing tokens.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import TYPE_CHECKING

from annotator.core.records import Span

if TYPE_CHECKING:
    from spacy.tokens import Doc


class TokenBoundaries:
    """Token start/end offsets of one doc, for many O(log n) snaps (``Doc.char_span`` scans
    the tokens on every call, which dominated suggestion time on long articles)."""

    def __init__(self, doc: Doc) -> None:
        self.length = len(doc.text)
        self.starts = [t.idx for t in doc]
        self.ends = [t.idx + len(t.text) for t in doc]
        self._start_set = set(self.starts)
        self._end_set = set(self.ends)

    def snap(self, start: int, end: int) -> tuple[int, int] | None:
        """Like ``doc.char_span(start, end, alignment_mode="expand")``, as offsets."""
        start = max(0, start)
        end = min(self.length, end)
        if start >= end:
            return None
        if start in self._start_set and end in self._end_set:
            return start, end
        first = bisect.bisect_right(self.ends, start)  # first token ending after `start`
        last = bisect.bisect_left(self.starts, end) - 1  # last token starting before `end`
        if first > last:
            return None
        return self.starts[first], self.ends[last]


def snap_to_tokens(doc: Doc, start: int, end: int) -> tuple[int, int] | None:
    """Character offsets widened to whole tokens of ``doc``; None if nothing is covered."""
    return TokenBoundaries(doc).snap(start, end)


def align_spans(doc: Doc, spans: Iterable[Span]) -> list[Span]:
    """Every span snapped to ``doc``'s tokens; spans that cover no token are dropped."""
    bounds = TokenBoundaries(doc)
    out: list[Span] = []
    seen: set[Span] = set()
    for s in spans:
        snapped = bounds.snap(s.start, s.end)
        if snapped is None:
            continue
        new = s if snapped == (s.start, s.end) else Span(*snapped, s.label, s.source)
        if new not in seen:
            seen.add(new)
            out.append(new)
    return out
