"""Accepted terms found in a text, as pattern rules are found.

A term matches wherever its tokens occur, whole tokens, case-insensitively (Prodigy's
``{"lower": ...}`` patterns): "uniqlo" finds "Uniqlo" and "UNIQLO", not "Uniqlos". Each
occurrence is a span with the term's label and source ``"pattern"``, so the merge order
and the label map treat terms as pattern rules; the project's decisions never veto them.
Overlapping occurrences are all returned (the merge keeps the longer, as the EntityRuler
does). Texts are tokenized a piece at a time (`suggest.pieces`), a term across a cut found.

Terms are matched where the project's decisions are (`SuggestionService._decided`), not
by the suggester: adding one changes no machine suggestion, only the decisions' signature
(`terms_signature`), so the window's cached model and pattern spans stay valid.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..records import Span
from ..store.terms import signature_of
from ..suggest.pieces import PIECE_CHARS, piece_docs

if TYPE_CHECKING:
    from spacy.language import Language

    from ..project import Project

SOURCE = "pattern"

Key = tuple[str, ...]


def term_tokens(nlp: Language, text: str) -> Key:
    """A term's tokens in lower case, as they are matched."""
    return tuple(t.lower_ for t in nlp.make_doc(text) if not t.is_space)


class TermMatcher:
    """Finds terms, given as (label, text) pairs, in texts."""

    def __init__(self, terms: Iterable[tuple[str, str]], nlp: Language | None,
                 piece_chars: int = PIECE_CHARS) -> None:  # fmt: skip
        self.nlp = nlp
        self.piece_chars = piece_chars
        labels: dict[Key, set[str]] = {}
        for label, text in terms:
            key = term_tokens(nlp, text)
            if key:
                labels.setdefault(key, set()).add(label)
        self._labels = {key: sorted(found) for key, found in labels.items()}
        self._first: dict[str, list[int]] = {}
        for key in self._labels:
            self._first.setdefault(key[0], []).append(len(key))
        for lengths in self._first.values():
            lengths.sort()
        self._carry = max((len(k) for k in self._labels), default=1) - 1

    def __len__(self) -> int:
        return len(self._labels)

    @classmethod
    def of_project(cls, project: Project, nlp: Language | None = None,
                   lang: str | None = None) -> TermMatcher:  # fmt: skip
        """The project's accepted terms (`nlp`: the tokenizer; default a blank pipeline of
        `lang`, else of the project's language; made only when there are terms)."""
        terms = project.terms(decision="accept")
        if nlp is None and terms:
            import spacy

            nlp = spacy.blank(lang or project.language)
        return cls(((t.label, t.text) for t in terms), nlp)

    def find(self, text: str) -> list[Span]:
        """Every occurrence of a term, sorted by start (then end)."""
        if not self._labels:
            return []
        first, labels = self._first, self._labels
        words: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        out: list[Span] = []
        for offset, doc in piece_docs(self.nlp, text, self.piece_chars):
            done = len(words)  # tokens carried over: terms within them were found before
            for t in doc:
                words.append(t.lower_)
                starts.append(offset + t.idx)
                ends.append(offset + t.idx + len(t.text))
            n = len(words)
            for i, word in enumerate(words):
                lengths = first.get(word)
                if not lengths:
                    continue
                for length in lengths:
                    if i + length > n:
                        break
                    if i + length <= done:
                        continue
                    found = labels.get(tuple(words[i : i + length]))
                    if found:
                        out.extend(Span(starts[i], ends[i + length - 1], label, SOURCE)
                                   for label in found)  # fmt: skip
            keep = min(self._carry, n)
            words, starts, ends = words[n - keep :], starts[n - keep :], ends[n - keep :]
        out.sort(key=lambda s: (s.start, s.end, s.label))
        return out


_MATCHERS: dict[tuple[int, str], tuple[Language, TermMatcher]] = {}
_LOCK = threading.Lock()
KEEP = 4  # matchers kept (per tokenizer and set of terms)


def terms_signature(project: Project) -> str | None:
    """A digest of the project's accepted terms; None when there are none."""
    return project.terms_signature()


def term_spans(project: Project, text: str, nlp: Language) -> list[Span]:
    """The project's accepted terms found in `text` (tokenized with `nlp`). The matcher is
    kept while the terms stay the same."""
    terms = project.terms(decision="accept")
    if not terms:
        return []
    signature = signature_of((t.label, t.key) for t in terms)
    key = (id(nlp), signature)
    with _LOCK:
        held = _MATCHERS.get(key)
    if held is None or held[0] is not nlp:
        held = (nlp, TermMatcher(((t.label, t.text) for t in terms), nlp))
        with _LOCK:
            _MATCHERS[key] = held
            while len(_MATCHERS) > KEEP:
                _MATCHERS.pop(next(iter(_MATCHERS)))
    return held[1].find(text)
