"""Long texts in pieces: spaCy refuses texts over ``nlp.max_length`` (1,000,000 characters,
error E088), and a model needs memory in proportion to the text.

:func:`split_text` cuts a text into pieces of at most ``limit`` characters, each cut placed
just before the first non-space character after a run of whitespace that holds a newline
(a paragraph boundary). Such a run is always a token of its own for spaCy's tokenizer, so
tokenizing the pieces one by one gives exactly the tokens of the whole text (checked on
random texts by the tests). A piece with no newline to cut at is cut after other whitespace
(after a run other than one plain space, which is just as safe; failing that, after a single
space, where a tokenizer exception such as ``:)`` may in rare cases split differently), and
a run of ``limit`` characters without any whitespace is cut where it must be.

:func:`make_doc` tokenizes a text of any length into one ``Doc`` (pieces joined with
``Doc.from_docs``), so pattern matching and decisions see the whole text as usual.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

PIECE_CHARS = 100_000  # the longest piece the model and the tokenizer are given

_WHITESPACE_RUN = re.compile(r"\s+(?=\S)")


def _cut(text: str, start: int, limit: int) -> int:
    """Where the piece that starts at ``start`` ends (``len(text) - start > limit``)."""
    end = start + limit
    # 1. After a whitespace run holding a newline: the last newline before `end` whose run
    #    of whitespace ends (at a non-space character) no later than `end`.
    i = text.rfind("\n", start, end)
    while i >= start:
        j = i + 1
        while j < end and text[j].isspace():
            j += 1
        if j < end or (j == end and not text[j].isspace()):
            if j > start:
                return j
        # This run reaches past `end`: look for a newline before the run starts.
        k = i
        while k > start and text[k - 1].isspace():
            k -= 1
        i = text.rfind("\n", start, k)
    # 2. After other whitespace: a run other than one space, else a single space.
    window = text[start : end + 1]
    best_any = best_safe = None
    for m in _WHITESPACE_RUN.finditer(window):
        if m.end() > limit or m.end() == 0:
            continue
        best_any = m.end()
        if m.group() != " ":
            best_safe = m.end()
    cut = best_safe or best_any
    if cut:
        return start + cut
    return end  # no whitespace at all: a hard cut


def split_text(text: str, limit: int = PIECE_CHARS) -> list[tuple[int, str]]:
    """``(offset, piece)`` pairs covering ``text`` in order; one pair for a short text."""
    if len(text) <= limit:
        return [(0, text)]
    if limit < 1:
        raise ValueError("the piece limit must be at least 1")
    pieces: list[tuple[int, str]] = []
    start = 0
    while len(text) - start > limit:
        cut = _cut(text, start, limit)
        pieces.append((start, text[start:cut]))
        start = cut
    pieces.append((start, text[start:]))
    return pieces


def make_doc(nlp: Language, text: str, limit: int = PIECE_CHARS) -> Doc:
    """``nlp.make_doc(text)`` for a text of any length (tokenized in pieces when long)."""
    limit = min(limit, nlp.max_length)
    if len(text) <= limit:
        return nlp.make_doc(text)
    from spacy.tokens import Doc

    docs = [nlp.make_doc(piece) for _, piece in split_text(text, limit)]
    return Doc.from_docs(docs, ensure_whitespace=False)
