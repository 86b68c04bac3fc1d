"""Where a search's words occur in an article's text, to highlight them.

The search box finds articles with every word as a prefix of a word of the text, ignoring
case and accents (SQLite FTS5's unicode61 tokenizer: `store/articles.py`). The hits are the
same: for each word of the text that starts with one of the query's words so folded, the
part of it that matched ("fuel" in "Fuelling", "kyiv" in "Kyïv").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .store.articles import search_words

_WORD = re.compile(r"[^\W_]+")  # runs of letters and digits, as search_words splits them


@lru_cache(maxsize=4096)
def fold(s: str) -> str:
    """Lower case without accents: what the search index compares."""
    decomposed = unicodedata.normalize("NFKD", s)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _matched(token: str, word: str) -> int:
    """How many characters of `token` the folded `word` covers (it is a prefix of the
    folded token)."""
    for i in range(1, len(token) + 1):
        if len(fold(token[:i])) >= len(word):
            return i
    return len(token)


def search_hits(text: str, query: str) -> list[tuple[int, int]]:
    """[start, end) of every hit of `query`'s words in `text` (code points), in order."""
    words = sorted({f for f in map(fold, search_words(query)) if f}, key=len, reverse=True)
    if not words:
        return []
    firsts = {w[0] for w in words}
    hits = []
    for m in _WORD.finditer(text):
        token = m.group()
        head = fold(token[0])
        if not head or head[0] not in firsts:
            continue
        folded = fold(token) if len(token) < 64 else fold(token[:64])
        for word in words:  # the longest first: "paris" before "pari"
            if folded.startswith(word):
                hits.append((m.start(), m.start() + _matched(token, word)))
                break
    return hits


def matches_all(text: str, query: str) -> bool:
    """True when every word of `query` is a prefix of a word of `text` (as the index
    matches: ignoring case and accents)."""
    words = {f for f in map(fold, search_words(query)) if f}
    if not words:
        return False
    for m in _WORD.finditer(text):
        folded = fold(m.group()[:64])
        words = {w for w in words if not folded.startswith(w)}
        if not words:
            return True
    return False


def phrase_hits(text: str, phrases: list[str]) -> list[tuple[int, int]]:
    """[start, end) of every whole-word occurrence of any of `phrases` (an entity's names:
    what a `kb:ID` search found), ignoring case; accents folded where the text and the
    phrase keep their lengths when folded (the usual case)."""
    folded_text = "".join(fold(c) if len(fold(c)) == 1 else c for c in text)
    if len(folded_text) != len(text):  # pragma: no cover (a one-to-one fold by build)
        folded_text = text.casefold()
    found: set[tuple[int, int]] = set()
    for phrase in phrases:
        folded = "".join(fold(c) if len(fold(c)) == 1 else c for c in " ".join(phrase.split()))
        if not folded.strip():
            continue
        pattern = re.compile(r"(?<!\w)" + re.escape(folded).replace(r"\ ", r"\s+") + r"(?!\w)")
        found.update(m.span() for m in pattern.finditer(folded_text))
    return sorted(found)
