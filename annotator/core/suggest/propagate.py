"""The project's own decisions: what was accepted once is suggested wherever it recurs.

Every span of every accepted article becomes a key: the tuple of its token texts (ORTH,
so matching is exact and case-sensitive), tokenized with ``spacy.blank(lang)`` like export.
Each occurrence of a key's token sequence in another text is suggested with source
``"decision"``. A sequence accepted under several labels gets the most frequent one
(ties: alphabetical). Spans that do not fall on token boundaries are not indexed
(counted in :attr:`DecisionIndex.skipped`).

Occurrences may overlap (``Vladimir Putin`` and ``Putin`` both accepted): all are returned
and :func:`~annotator.core.suggest.merge.merge` keeps the longer one.

Precision: a sequence is suggested only where it has earned it. For each key, the index
counts how often its token sequence occurs in the accepted articles (``seen``) and how often
it was accepted there as a span with its label; ``find(min_precision=p)`` leaves out keys
whose ratio is below ``p`` ("May" accepted as a PERSON once but seen forty times as the
month is not propagated). Occurrence counts are kept per key that was ever asked for, and
updated as articles come and go.

The same counts speak against the model (the veto, :meth:`DecisionIndex.vetoed`): a model's
span (or an imported suggestion) whose token sequence occurs in accepted articles but was
accepted there with its label less than ``min_precision`` of the times is not suggested
("Apple" accepted as ORG every time it occurs, the model's PERSON on it is vetoed; the
model's GPE on "May" vetoed where the month occurs unannotated in accepted articles).
Sequences that never occur in accepted articles are left alone: the model's own ground.

The index is incremental: :meth:`DecisionIndex.add` an article when it is accepted,
:meth:`DecisionIndex.remove_article` it when that is undone or re-edited.

Long texts are tokenized a piece at a time (:func:`~.pieces.piece_docs`, the tokens of the
whole text): ``find`` carries the last few tokens of a piece into the next, so a sequence
across a cut is found, and ``add`` keeps the article's words (the index) and its token
offsets only while it reads its spans; no Doc of a whole long text is made.
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import count
from typing import TYPE_CHECKING

from annotator.core.records import Span

from .merge import Dismissed, is_dismissed
from .pieces import PIECE_CHARS, piece_docs

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

SOURCE = "decision"

Key = tuple[str, ...]


class DecisionIndex:
    """Accepted mentions (token sequences) and their labels, and a finder for them.
    ``piece_chars``: longer texts are tokenized in pieces (see :mod:`.pieces`)."""

    def __init__(self, lang: str = "en", *, nlp: Language | None = None,
                 piece_chars: int = PIECE_CHARS) -> None:  # fmt: skip
        if nlp is None:
            import spacy

            nlp = spacy.blank(lang)
        self.nlp = nlp
        self.piece_chars = piece_chars
        self._counts: dict[Key, Counter[str]] = {}
        self._labels: dict[Key, str] | None = None
        self._first: dict[str, set[int]] | None = None  # first token -> key lengths
        self.skipped = 0
        # Accepted articles' words, for counting where a key occurs (precision).
        self._docs: dict[int, tuple[str, ...]] = {}
        self._doc_keys: dict[int, list[tuple[Key, str]]] = {}
        self._by_word: dict[str, set[int]] = {}  # word -> articles holding it
        self._seen: dict[Key, int] = {}  # occurrences in accepted articles, of keys asked for
        self._auto_ids = count(-1, -1)

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

    def _tokens(self, text: str) -> tuple[tuple[str, ...], array, array]:
        """The text's token texts (interned), and each token's start and end offsets."""
        from spacy.attrs import IDX, LENGTH

        words: list[str] = []
        starts, ends = array("q"), array("q")
        for offset, doc in piece_docs(self.nlp, text, self.piece_chars):  # one piece at a time
            words.extend(sys.intern(t.text) for t in doc)
            rows = doc.to_array([IDX, LENGTH]).astype("int64")
            starts.frombytes((rows[:, 0] + offset).tobytes())
            ends.frombytes((rows[:, 0] + rows[:, 1] + offset).tobytes())
        return tuple(words), starts, ends

    def _keys_in(self, words: tuple[str, ...], starts: array, ends: array,
                 spans: Iterable[Span]) -> Iterator[tuple[Key, str]]:  # fmt: skip
        """Keys of the spans that start and end on token boundaries (as ``Doc.char_span``)."""
        for s in spans:
            first = bisect_left(starts, s.start)
            last = bisect_left(ends, s.end)
            if (first >= len(starts) or starts[first] != s.start or last >= len(ends)
                    or ends[last] != s.end or last < first):  # fmt: skip
                self.skipped += 1
                continue
            yield words[first : last + 1], s.label

    def keys_of(self, text: str, spans: Iterable[Span]) -> list[tuple[Key, str]]:
        """The (token sequence, label) entries that :meth:`add` would make."""
        return list(self._keys_in(*self._tokens(text), spans))

    def add(self, text: str, spans: Iterable[Span], article_id: int | None = None) -> None:
        """Index an accepted article: its spans' keys, and its words for occurrence counts.
        Adding an `article_id` again replaces what it had."""
        if article_id is None:
            article_id = next(self._auto_ids)
        self.remove_article(article_id)
        words, starts, ends = self._tokens(text)
        keys = list(self._keys_in(words, starts, ends, spans))
        del starts, ends
        self.add_keys(keys)
        self._docs[article_id], self._doc_keys[article_id] = words, keys
        for word in set(words):
            self._by_word.setdefault(word, set()).add(article_id)
        for key, n in _occurrences(words, self._seen).items():
            self._seen[key] += n

    def remove_article(self, article_id: int) -> None:
        """Undo :meth:`add` of this article (nothing if it was not added)."""
        words = self._docs.pop(article_id, None)
        if words is None:
            return
        self.remove_keys(self._doc_keys.pop(article_id))
        for word in set(words):
            held = self._by_word.get(word)
            if held is not None:
                held.discard(article_id)
                if not held:
                    del self._by_word[word]
        for key, n in _occurrences(words, self._seen).items():
            self._seen[key] -= n

    def seen(self, key: Key) -> int:
        """How often `key` occurs in the accepted articles (counted once, then kept)."""
        n = self._seen.get(key)
        if n is None:
            n = sum(_occurrences(self._docs[aid], {key: 0}).get(key, 0)
                    for aid in self._by_word.get(key[0], ()))  # fmt: skip
            self._seen[key] = n
        return n

    def precision(self, key: Key) -> float:
        """Of the key's occurrences in accepted articles, the share accepted with its label."""
        counts = self._counts.get(key)
        if not counts:
            return 0.0
        accepted = counts[self.labels[key]]
        return min(1.0, accepted / max(self.seen(key), 1))

    @property
    def articles(self) -> int:
        """How many accepted articles are indexed."""
        return len(self._docs)

    def label_precision(self, key: Key, label: str) -> float | None:
        """Of the key's occurrences in accepted articles, the share accepted with `label`;
        None when it never occurs in them (nothing is known)."""
        seen = self.seen(key)
        if not seen:
            return None
        counts = self._counts.get(key)
        return min(1.0, (counts[label] if counts else 0) / seen)

    def vetoed(self, text: str, spans: Iterable[Span], min_precision: float) -> list[Span]:
        """The spans (a model's, with the project's labels) the accepted articles speak
        against: their token sequence occurs there but was accepted with this label less
        than `min_precision` of the times."""
        if not self._docs:
            return []
        out = []
        for s in spans:
            key = tuple(t.text for t in self.nlp.make_doc(text[s.start : s.end]))
            if not key:
                continue
            precision = self.label_precision(key, s.label)
            if precision is not None and precision < min_precision:
                out.append(s)
        return out

    def add_keys(self, keys: Iterable[tuple[Key, str]]) -> None:
        for key, label in keys:
            self._counts.setdefault(key, Counter())[label] += 1
        self._labels = self._first = None

    def remove(self, text: str, spans: Iterable[Span]) -> None:
        """Undo an earlier :meth:`add` (without an id) of the same text and spans."""
        words, starts, ends = self._tokens(text)
        keys = list(self._keys_in(words, starts, ends, spans))
        aid = next((a for a, w in self._docs.items()
                    if a < 0 and w == words and self._doc_keys[a] == keys), None)  # fmt: skip
        if aid is not None:
            self.remove_article(aid)
        else:
            self.remove_keys(keys)

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

    def find(self, text_or_doc: str | Doc, dismissed: Dismissed = frozenset(),
             min_precision: float = 0.0) -> list[Span]:  # fmt: skip
        """Every occurrence of an accepted sequence whose precision is at least
        `min_precision`, minus ``dismissed``, sorted by start (then end)."""
        if not self._counts:
            return []
        if isinstance(text_or_doc, str):
            pieces = piece_docs(self.nlp, text_or_doc, self.piece_chars)
        else:
            pieces = iter([(0, text_or_doc)])
        labels = self.labels
        first = self._lengths_by_first()
        carry = max(len(key) for key in self._counts) - 1  # tokens a key can reach back
        words: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        out: list[Span] = []
        for offset, doc in pieces:
            done = len(words)  # the tokens carried over: keys within them were found before
            words += [t.text for t in doc]
            starts += [offset + t.idx for t in doc]
            ends += [offset + t.idx + len(t.text) for t in doc]
            n = len(words)
            for i, word in enumerate(words):
                lengths = first.get(word)
                if not lengths:
                    continue
                for length in sorted(lengths):
                    if i + length > n:
                        break
                    if i + length <= done:
                        continue
                    key = tuple(words[i : i + length])
                    label = labels.get(key)
                    if label is None:
                        continue
                    if min_precision > 0 and self.precision(key) < min_precision:
                        continue
                    span = Span(starts[i], ends[i + length - 1], label, SOURCE)
                    if not (dismissed and is_dismissed(span, dismissed)):
                        out.append(span)
            keep = min(carry, n)
            words, starts, ends = words[n - keep :], starts[n - keep :], ends[n - keep :]
        if len(out) > 1:
            out.sort(key=lambda s: (s.start, s.end))  # as if the text were one Doc
        return out


def _occurrences(words: tuple[str, ...], keys: Iterable[Key]) -> dict[Key, int]:
    """How often each of `keys` occurs in `words` (keys that never occur are left out)."""
    first: dict[str, set[int]] = {}
    wanted = set(keys)
    for key in wanted:
        first.setdefault(key[0], set()).add(len(key))
    found: dict[Key, int] = {}
    if not first:
        return found
    n = len(words)
    for i, word in enumerate(words):
        lengths = first.get(word)
        if lengths:
            for length in lengths:
                key = words[i : i + length]
                if i + length <= n and key in wanted:
                    found[key] = found.get(key, 0) + 1
    return found
