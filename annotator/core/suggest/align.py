"""Keeping suggestions on the token boundaries of the tokenizer export uses.

Export tokenizes with ``spacy.blank(lang)``; for English that tokenizer splits exactly like
the packaged models' tokenizers, so model entities are aligned already and this is a cheap
no-op check. A pipeline with a custom tokenizer (``--model PATH``) may split differently:
its entities are then widened to the nearest enclosing tokens (`annotator.core.tokens`, the
one snapping helper the store, the window and import use too).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from annotator.core.records import Span
from annotator.core.tokens import TokenIndex

if TYPE_CHECKING:
    from spacy.tokens import Doc


def snap_to_tokens(doc: Doc, start: int, end: int) -> tuple[int, int] | None:
    """Character offsets widened to whole tokens of ``doc``; None if nothing is covered."""
    start, end = max(0, start), min(len(doc.text), end)
    return TokenIndex.of_doc(doc).snap(start, end) if start < end else None


def align_spans(doc: Doc, spans: Iterable[Span]) -> list[Span]:
    """Every span snapped to ``doc``'s tokens; spans that cover no token are dropped."""
    bounds = TokenIndex.of_doc(doc)
    n = len(doc.text)
    out: list[Span] = []
    seen: set[Span] = set()
    for s in spans:
        start, end = max(0, s.start), min(n, s.end)
        snapped = bounds.snap(start, end) if start < end else None
        if snapped is None:
            continue
        new = s if snapped == (s.start, s.end) else Span(*snapped, s.label, s.source)
        if new not in seen:
            seen.add(new)
            out.append(new)
    return out
