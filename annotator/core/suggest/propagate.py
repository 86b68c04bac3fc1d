"""The project's own decisions: what was accepted once is suggested wherever it recurs.

Every span of every accepted article becomes a key: the tuple of its token texts (ORTH,
so matching is exact and case-sensitive), tokenized with ``spacy.blank(lang)`` like export.
Each occurrence of a key's token sequence in another text is suggested with source
``"decision"``. A sequence accepted under several labels gets the most frequent one
(ties: alphabetical). Spans that do not fall on token boundaries are not indexed
(counted in :attr:`DecisionIndex.skipped`).

Occurrences may overlap (``Vladimir Putin`` and ``Putin`` both accepted): all are returned
and :func:`~annotator.core.suggest.merge.merge` keeps the longer one.

The index is incremental: :meth:`DecisionIndex.add` an article when it is accepted,
:meth:`DecisionIndex.remove` it (with the spans it had) when that is undone or re-edited.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from annotator.core.records import Span

from .merge import Dismissed, is_dismissed
from .pieces import make_doc

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

SOURCE = "decision"

Key = tuple[str, ...]


class DecisionIndex:
    """Accepted mentions (token sequences) and their labels, and a finder for them."""

    def __init__(self, lang: str = "en", *, nlp: Language | None = None) -> None:
        if nlp is None:
            import spacy

            nlp = spacy.blank(lang)
        self.nlp = nlp
        self._counts: dict[Key, Counter[str]] = {}
        self._labels: dict[Key, str] | None = None
        self._first: dict[str, set[int]] | None = None  # first token -> key lengths
        self.skipped = 0

    @classmethod
    def from_pairs(
        cls,
        pairs: Iterable[tuple[str, Iterable[Span]]],
        lang: str = "en",
        *,
        nlp: Language | None = None,
    ) -> DecisionIndex:
        """Build from ``(text, spans)`` of accepted articles."""
        index = cls(lang, nlp=nlp)
        for text, spans in pairs:
            index.add(text, spans)
        return index

    def _keys(self, text: str, spans: Iterable[Span]) -> Iterator[tuple[Key, str]]:
        doc = make_doc(self.nlp, text)  # in pieces when longer than spaCy's max_length
        for s in spans:
            span = doc.char_span(s.start, s.end)
            if span is None or len(span) == 0:
                self.skipped += 1
                continue
            yield tuple(t.text for t in span), s.label

    def keys_of(self, text: str, spans: Iterable[Span]) -> list[tuple[Key, str]]:
        """The (token sequence, label) entries that :meth:`add` would make."""
        return list(self._keys(text, spans))

    def add(self, text: str, spans: Iterable[Span]) -> None:
        self.add_keys(self._keys(text, spans))

    def add_keys(self, keys: Iterable[tuple[Key, str]]) -> None:
        for key, label in keys:
            self._counts.setdefault(key, Counter())[label] += 1
        self._labels = self._first = None

    def remove(self, text: str, spans: Iterable[Span]) -> None:
        """Undo an earlier :meth:`add` of the same text and spans."""
        self.remove_keys(self._keys(text, spans))

    def remove_keys(self, keys: Iterable[tuple[Key, str]]) -> None:
        """Undo an earlier :meth:`add_keys` of the same entries."""
        for key, label in keys:
            counts = self._counts.get(key)
            if counts is None:
                continue
            counts[label] -= 1
            if counts[label] <= 0:
                del counts[label]
            if not counts:
                del self._counts[key]
        self._labels = self._first = None

    def __len__(self) -> int:
        return len(self._counts)

    def __contains__(self, key: object) -> bool:
        return key in self._counts

    @property
    def labels(self) -> dict[Key, str]:
        """Each accepted token sequence and the label it will be suggested with."""
        if self._labels is None:
            self._labels = {
                key: min(c, key=lambda lab, c=c: (-c[lab], lab)) for key, c in self._counts.items()
            }
        return self._labels

    def _lengths_by_first(self) -> dict[str, set[int]]:
        if self._first is None:
            first: dict[str, set[int]] = {}
            for key in self._counts:
                first.setdefault(key[0], set()).add(len(key))
            self._first = first
        return self._first

    def find(self, text_or_doc: str | Doc, dismissed: Dismissed = frozenset()) -> list[Span]:
        """Every occurrence of an accepted sequence, minus ``dismissed``, sorted by start."""
        if not self._counts:
            return []
        doc = make_doc(self.nlp, text_or_doc) if isinstance(text_or_doc, str) else text_or_doc
        labels = self.labels
        first = self._lengths_by_first()
        words = [t.text for t in doc]
        n = len(words)
        out: list[Span] = []
        for i, word in enumerate(words):
            lengths = first.get(word)
            if not lengths:
                continue
            for length in sorted(lengths):
                if i + length > n:
                    break
                label = labels.get(tuple(words[i : i + length]))
                if label is None:
                    continue
                last = doc[i + length - 1]
                span = Span(doc[i].idx, last.idx + len(last.text), label, SOURCE)
                if not (dismissed and is_dismissed(span, dismissed)):
                    out.append(span)
        return out
