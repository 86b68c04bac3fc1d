"""Text helpers shared by the formats: titles, offsets across normalisation, length notes."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable

from ..records import Span

TITLE_MAX = 200
SPACY_MAX_LENGTH = 1_000_000  # spaCy's default `nlp.max_length`, in characters


def make_title(text: str) -> str:
    """First non-empty line, stripped, cut to TITLE_MAX characters."""
    start, n = 0, len(text)
    while start < n:  # scan line by line without splitting the whole (maybe huge) text
        end = text.find("\n", start)
        end = n if end == -1 else end
        line = text[start:end].strip()
        if line:
            return line[:TITLE_MAX].rstrip()
        start = end + 1
    return ""


def offset_mapper(original: str) -> Callable[[int], int]:
    """Map an offset into `original` to the same place in `normalise_text(original)`.

    Only CRLF changes length (a lone CR becomes LF in place): each CR of a CRLF that lies
    before the offset shifts it left by one.
    """
    removed = []  # indices of the CRs that normalisation drops
    i = original.find("\r\n")
    while i != -1:
        removed.append(i)
        i = original.find("\r\n", i + 2)
    if not removed:
        return lambda offset: offset
    return lambda offset: offset - bisect_left(removed, offset)


def remap_spans(original: str, spans: Iterable[Span]) -> list[Span]:
    """`spans` over `original`, moved onto `normalise_text(original)`."""
    remap = offset_mapper(original)
    return [Span(remap(s.start), remap(s.end), s.label, s.source) for s in spans]


def length_warning(text: str) -> str | None:
    """A note for an article (as stored) longer than spaCy's default max_length, else None."""
    if len(text) <= SPACY_MAX_LENGTH:
        return None
    return (
        f"article has {len(text):,} characters; spaCy's default limit is"
        f" {SPACY_MAX_LENGTH:,}: export and suggestions process it in pieces"
    )
