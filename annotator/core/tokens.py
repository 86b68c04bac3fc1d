"""Token boundaries of an article: the one place that snaps spans to whole tokens.

The store's span checks, the window's selections and boundary keys, the import and the
suggestion engine (model entities on another tokenizer's doc) all snap through here.

Uses the tokenizer of the project's language (`spacy.blank(lang)`), the same one export
uses, so a span made in the window always falls on the boundaries spaCy trains with.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from functools import lru_cache


@lru_cache(maxsize=4)
def blank(lang: str = "en"):
    import spacy

    return spacy.blank(lang)


class TokenIndex:
    """Start and end offsets (code points) of every non-space token of a text."""

    def __init__(self, text: str, lang: str = "en", *, doc=None):
        if doc is None:
            doc = blank(lang).tokenizer(text)  # the tokenizer alone has no max_length
        toks = [(t.idx, t.idx + len(t.text)) for t in doc if not t.is_space]
        self.starts = [s for s, _ in toks]
        self.ends = [e for _, e in toks]
        self.text_length = len(text)
        self.words = [text[s:e] for s, e in toks]

    @classmethod
    def of_doc(cls, doc) -> TokenIndex:
        """The boundaries of an already tokenized spaCy Doc."""
        return cls(doc.text, doc=doc)

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
        key = self.words[first : last + 1]
        n = len(key)
        return [(self.starts[i], self.ends[i + n - 1])
                for i in range(len(self.words) - n + 1)
                if i != first and self.words[i] == key[0]
                and self.words[i : i + n] == key]  # fmt: skip

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
