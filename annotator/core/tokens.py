"""Token boundaries of an article: the one place that snaps spans to whole tokens.

The store's span checks, the window's selections and boundary keys, the import and the
suggestion engine (model entities on another tokenizer's doc) all snap through here.

Uses the tokenizer of the project's language (`spacy.blank(lang)`), the same one export
uses, so a span made in the window always falls on the boundaries spaCy trains with.

Memory: a `TokenIndex` holds two arrays of 8-byte offsets (the token texts are read from the
article text when needed), and a long article is tokenized a paragraph piece at a time (cut
only where spaCy's tokenizer splits anyway, so the tokens are those of the whole text): no
`Doc` of a whole long article is made, and the index of a 1.2M-character article is ~4 MB.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from functools import lru_cache


@lru_cache(maxsize=4)
def blank(lang: str = "en"):
    import spacy

    return spacy.blank(lang)


PIECE_CHARS = 100_000  # a longer text is tokenized a paragraph at a time (see the module doc)


def _docs(text: str, lang: str, limit: int = PIECE_CHARS) -> Iterator[tuple[int, object]]:
    """``(offset, Doc)`` of the text's paragraph pieces, one at a time; the whole text at
    once for a tokenizer other than spaCy's rule-based one (where a newline may not be a
    token boundary)."""
    from spacy.tokenizer import Tokenizer

    from annotator.core.suggest.pieces import iter_pieces  # here: suggest imports this module

    tokenizer = blank(lang).tokenizer  # the tokenizer alone has no max_length
    if not isinstance(tokenizer, Tokenizer):
        yield 0, tokenizer(text)
        return
    for offset, piece in iter_pieces(text, limit, paragraphs=True):
        yield offset, tokenizer(piece)


class TokenIndex:
    """Start and end offsets (code points) of every non-space token of a text.
    `piece_chars`: a longer text is tokenized a paragraph piece at a time."""

    def __init__(self, text: str, lang: str = "en", *, doc=None, piece_chars: int = PIECE_CHARS):
        from spacy.attrs import IDX, IS_SPACE, LENGTH

        self.starts, self.ends = array("q"), array("q")
        pieces = _docs(text, lang, piece_chars) if doc is None else [(0, doc)]
        for offset, piece in pieces:
            rows = piece.to_array([IDX, LENGTH, IS_SPACE]).astype("int64")
            rows = rows[rows[:, 2] == 0]
            self.starts.frombytes((rows[:, 0] + offset).tobytes())
            self.ends.frombytes((rows[:, 0] + rows[:, 1] + offset).tobytes())
        self.text = text
        self.text_length = len(text)

    @classmethod
    def of_doc(cls, doc) -> TokenIndex:
        """The boundaries of an already tokenized spaCy Doc."""
        return cls(doc.text, doc=doc)

    def word(self, i: int) -> str:
        """The text of token `i`."""
        return self.text[self.starts[i] : self.ends[i]]

    def __len__(self) -> int:
        return len(self.starts)

    def snap(self, start: int, end: int) -> tuple[int, int] | None:
        """Expand [start, end) to whole tokens; None if it covers no token (only spaces)."""
        if start > end:
            start, end = end, start
        if start == end:  # a caret: the token under it
            end = start + 1
        first = bisect_right(self.ends, start)  # first token ending after start
        last = bisect_left(self.starts, end) - 1  # last token starting before end
        if first > last or first >= len(self.starts):
            return None
        return self.starts[first], self.ends[last]

    def token_at(self, offset: int) -> int | None:
        i = bisect_right(self.starts, offset) - 1
        if i >= 0 and offset < self.ends[i]:
            return i
        return None

    def occurrences(self, start: int, end: int) -> list[tuple[int, int]]:
        """Every other place in the text where the tokens of [start, end) occur again, as
        the same sequence of token texts (for "label all occurrences")."""
        first = bisect_left(self.starts, start)
        last = bisect_left(self.ends, end)
        if first >= len(self.starts) or last >= len(self.ends) or first > last:
            return []
        key = [self.word(i) for i in range(first, last + 1)]
        n, text, starts, ends = len(key), self.text, self.starts, self.ends
        out = []
        at = text.find(key[0])
        while at != -1:  # where the first token's text occurs, then is it a token there
            i = bisect_left(starts, at)
            if (i != first and i + n <= len(starts) and starts[i] == at
                    and ends[i] == at + len(key[0])
                    and all(self.word(i + k) == key[k] for k in range(1, n))):  # fmt: skip
                out.append((starts[i], ends[i + n - 1]))
            at = text.find(key[0], at + 1)
        return out

    def resize(self, start: int, end: int, side: str, delta: int) -> tuple[int, int] | None:
        """Grow (delta=+1) or shrink (delta=-1) a token-aligned span by one token at
        `side` ("start" or "end"). None when that would leave no token or leave the text."""
        snapped = self.snap(start, end)
        if snapped is None:
            return None
        first = bisect_left(self.starts, snapped[0])
        last = bisect_left(self.ends, snapped[1])
        if side == "start":
            first -= delta
        else:
            last += delta
        if first < 0 or last >= len(self.starts) or first > last:
            return None
        return self.starts[first], self.ends[last]


@lru_cache(maxsize=16)
def token_index(text: str, lang: str = "en") -> TokenIndex:
    """A TokenIndex of `text`, remembered for the last few texts: the window, the store's
    span checks and export ask for the same article's tokens again and again."""
    return TokenIndex(text, lang)


def on_whitespace(text: str, start: int, end: int) -> bool:
    """True when [start, end) is bounded by whitespace (or the text's ends) and starts and
    ends on a non-space: spaCy's tokenizers split on whitespace first, so such a span
    starts and ends tokens whatever the language's rules, and no tokenization is needed."""
    return (
        0 <= start < end <= len(text)
        and (start == 0 or text[start - 1].isspace())
        and (end == len(text) or text[end].isspace())
        and not text[start].isspace()
        and not text[end - 1].isspace()
    )


def snap(text: str, start: int, end: int, lang: str = "en") -> tuple[int, int] | None:
    """[start, end) widened to whole tokens of `spacy.blank(lang)`; None if it covers no
    token or leaves the text. Tokenizes only when the span is not plainly on whitespace."""
    if not 0 <= start < end <= len(text):
        return None
    if on_whitespace(text, start, end):
        return start, end
    return token_index(text, lang).snap(start, end)
