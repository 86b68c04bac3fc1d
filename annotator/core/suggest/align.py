"""Keeping suggestions on the token boundaries of the tokenizer export uses.

Export tokenizes with ``spacy.blank(lang)``; for English that tokenizer splits exactly like
the packaged models' tokenizers, so model entities are aligned already and this is a cheap
no-op check. A pipeline with a custom tokenizer (``--model PATH``) may split differently:
its entities are then widened to the nearest enclosing tokens.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from annotator.core.records import Span

if TYPE_CHECKING:
    from spacy.tokens import Doc


def snap_to_tokens(doc: Doc, start: int, end: int) -> tuple[int, int] | None:
    """Character offsets widened to whole tokens of ``doc``; None if nothing is covered."""
    start = max(0, start)
    end = min(len(doc.text), end)
    if start >= end:
        return None
    span = doc.char_span(start, end)  # strict: the common, already aligned case
    if span is None:
        span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or len(span) == 0:
        return None
    return span.start_char, span.end_char


def align_spans(doc: Doc, spans: Iterable[Span]) -> list[Span]:
    """Every span snapped to ``doc``'s tokens; spans that cover no token are dropped."""
    out: list[Span] = []
    seen: set[Span] = set()
    for s in spans:
        snapped = snap_to_tokens(doc, s.start, s.end)
        if snapped is None:
            continue
        new = s if snapped == (s.start, s.end) else Span(*snapped, s.label, s.source)
        if new not in seen:
            seen.add(new)
            out.append(new)
    return out
