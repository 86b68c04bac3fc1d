"""Candidate terms for a label, by vector similarity to its seeds, one at a time.

**Seeds**: the label's accepted mentions (the most frequent `MAX_SEEDS`), its accepted
terms, the phrases of the project's pattern rules for it, and seed words given. Each is
a vector: the mean of its content words' vectors (`WordVectors.vector`).

**Candidates**: single words of the vector table (with `anywhere`), and words and phrases
of up to three tokens that occur in the project's articles (the first `MAX_SCAN_CHARS`
characters of them, in id order): a phrase starts with a word, ends with a word or "'s",
and holds only words and connectors ("&", "'s"; no stop word, number or punctuation).
Left out: what is a seed, a pattern rule's phrase (any label), a term of this label
(accepted or rejected), a term accepted for another label, and a phrase that contains one
of those.

**Ranking** (`method`): a candidate's score is the mean of its `TOP_K` highest cosine
similarities to the seeds ("top3", the default), its highest ("max"), or its similarity
to the seeds' centroid ("centroid"), minus `reject_weight` times the same score against
the rejected terms. Measured on the fashion-brands corpus with an oracle (bench_effort.py
and bench/README.md): top3 with rejects weighing 0.5 found the most brands per decision;
max let one vague seed pull in common words, the centroid of many brands favoured phrases
that merely contained one. Ties (words sharing a row of en_core_web_md's pruned table)
go to the word seen more often in the articles.

Accepting a term makes it a seed at once (the ranking moves); rejecting one pushes its
neighbours down; a rejected term is never proposed again for the label (the project
keeps the decision). The session itself writes nothing: callers store each decision
(`Project.decide_terms`) and tell the session (`decided`, `undone`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ProjectError
from ..store.terms import term_key
from ..suggest.pieces import piece_docs
from .vectors import CONNECTORS, WordVectors

if TYPE_CHECKING:
    from spacy.language import Language

    from ..project import Project

MAX_SCAN_CHARS = 2_000_000  # of the project's articles read for words and phrases (~3 s)
MAX_PHRASES = 50_000  # the most frequent phrases are candidates
MAX_SEEDS = 300  # accepted mentions used as seeds (the most frequent)
MAX_TOKENS = 3
TOP_K = 3
REJECT_WEIGHT = 0.5
METHODS = ("top3", "max", "centroid")
TIE = 1e-4  # at most this much is added for being frequent in the articles (ties only)

Key = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Candidate:
    text: str  # as seen most in the articles (or as in the vector table, in lower case)
    score: float  # similarity to the seeds (see the module doc)
    count: int  # occurrences in the articles read

    @property
    def key(self) -> str:
        return term_key(self.text)


class ArticleWords:
    """Words and phrases (up to `MAX_TOKENS` tokens) of the project's articles that may be
    terms, counted, each with a form it was written in (one with capitals when seen)."""

    def __init__(self) -> None:
        self.counts: Counter[Key] = Counter()
        self.capitals: Counter[Key] = Counter()  # occurrences written with capitals
        self.forms: dict[Key, str] = {}  # as first seen (with capitals, once seen so)
        self.chars = 0
        self.articles = 0
        self.complete = True  # every article was read

    @classmethod
    def read(cls, project: Project, nlp: Language, vectors: WordVectors,
             max_chars: int = MAX_SCAN_CHARS,
             should_stop: Callable[[], bool] | None = None) -> ArticleWords:  # fmt: skip
        words = cls()
        kinds: dict[str, int] = {}  # lower-case token -> 2 word, 1 connector, 0 neither
        for art in project.articles.iterate():
            if words.chars >= max_chars or (should_stop is not None and should_stop()):
                words.complete = False
                break
            text = art.text[: max_chars - words.chars]
            words.chars += len(text)
            words.articles += 1
            for _, doc in piece_docs(nlp, text):
                words._count(doc, kinds, vectors)
        return words

    def _count(self, doc, kinds: dict[str, int], vectors: WordVectors) -> None:
        lows = [t.lower_ for t in doc]
        kind = []
        for low in lows:
            k = kinds.get(low)
            if k is None:
                k = 2 if vectors.is_word(low) else 1 if low in CONNECTORS else 0
                kinds[low] = k
            kind.append(k)
        n = len(lows)
        counts, forms = self.counts, self.forms
        for i in range(n):
            if kind[i] != 2:
                continue
            for length in range(1, MAX_TOKENS + 1):
                j = i + length - 1
                if j >= n or kind[j] == 0:
                    break
                if lows[j] == "&":
                    continue  # "&" inside a phrase only
                key = tuple(lows[i : j + 1])
                counts[key] += 1
                seen = doc.text[doc[i].idx : doc[j].idx + len(doc[j].text)]
                if not seen.islower():
                    self.capitals[key] += 1
                form = forms.get(key)
                if form is None or (form.islower() and not seen.islower()):
                    forms[key] = seen

    def form(self, key: Key) -> str:
        """How the key is shown: as written with capitals when it mostly is, else in lower
        case (with the spacing it was written with)."""
        form = self.forms.get(key)
        if form is None:
            return " ".join(key)
        return form if 2 * self.capitals[key] > self.counts[key] else form.lower()


def joined(tokens: Sequence[str]) -> str:
    """Tokens as text: no space before a clitic or closing punctuation ("land's end")."""
    out = ""
    for token in tokens:
        glue = not out or token[:1] in "',.!?;:)]}’" or token.lower() in ("n't", "n’t")
        out += token if glue else " " + token
    return out


def pattern_phrases(project: Project, nlp: Language) -> dict[str, list[str]]:
    """The phrases of the project's pattern rules by project label (through the label
    map): phrase patterns, and token patterns whose every token names one literal
    (`lower`, `orth` or `text`). An unreadable patterns file gives none."""
    from ..suggest.patterns import PatternsError, read_patterns

    path = project.get_setting("patterns")
    if not path or not Path(path).is_file():
        return {}
    try:
        entries = read_patterns(path)
    except PatternsError:
        return {}
    label_map = project.get_setting("label_map", {}) or {}
    out: dict[str, list[str]] = {}
    for entry in entries:
        pattern, label = entry["pattern"], label_map.get(entry["label"], entry["label"])
        if isinstance(pattern, str):
            text = pattern
        else:
            parts = []
            for token in pattern:
                items = [(str(k).lower(), v) for k, v in token.items()]
                if len(items) != 1 or items[0][0] not in ("lower", "orth", "text") or \
                        not isinstance(items[0][1], str):  # fmt: skip
                    break
                parts.append(items[0][1])
            else:
                text = joined(parts)
            if len(parts) != len(pattern) or not parts:
                continue
        out.setdefault(label, []).append(text)
    return out


def accepted_mentions(project: Project, label: str, limit: int = MAX_SEEDS) -> list[str]:
    """The label's accepted mentions, most frequent first (case folded together)."""
    rows = project.store.conn.execute(
        'SELECT substr(a.text, s.start + 1, s."end" - s.start) AS t, count(*) AS n '
        "FROM spans s JOIN articles a ON a.id = s.article_id "
        "WHERE a.status = 'accepted' AND s.label = ? GROUP BY t ORDER BY n DESC",
        [label],
    ).fetchall()
    seen: dict[str, list] = {}
    for text, n in rows:
        text = " ".join(text.split())
        if not text:
            continue
        held = seen.setdefault(term_key(text), [text, 0])
        held[1] += n
    ranked = sorted(seen.values(), key=lambda tn: -tn[1])
    return [text for text, _ in ranked[:limit]]


def _holds(phrase: Key, part: Key) -> bool:
    n = len(part)
    return any(phrase[i : i + n] == part for i in range(len(phrase) - n + 1))


class _Nearness:
    """How near the table's rows and the phrases are to a growing set of vectors (the
    seeds, or the rejected terms), by method, updated one vector at a time: each keeps its
    `k` highest similarities ("top3", "max"), or the vectors' sum ("centroid")."""

    def __init__(self, rows, phrases, method: str, k: int) -> None:
        import numpy as np

        self.matrices, self.method, self.k, self.n = (rows, phrases), method, k, 0
        if method == "centroid":
            self.sum = np.zeros(rows.shape[1], dtype=np.float32)
        else:
            self.top = [np.full((m.shape[0], k), -np.inf, dtype=np.float32)
                        for m in self.matrices]  # fmt: skip

    def add(self, vec) -> None:
        import numpy as np

        self.n += 1
        if self.method == "centroid":
            self.sum += vec
            return
        for matrix, top in zip(self.matrices, self.top, strict=True):
            sims = matrix @ vec
            better = sims > top[:, 0]  # each row's top is sorted: the lowest first
            if better.any():
                top[better, 0] = sims[better]
                top[better] = np.sort(top[better], axis=1)

    def scores(self):
        import numpy as np

        if not self.n:
            return tuple(np.zeros(m.shape[0], dtype=np.float32) for m in self.matrices)
        if self.method == "centroid":
            c = self.sum / max(float(np.linalg.norm(self.sum)), 1e-9)
            return tuple(m @ c for m in self.matrices)
        m = min(self.k, self.n)
        return tuple(top[:, -m:].mean(axis=1) for top in self.top)


class TermSession:
    """Candidates for one label, best first, re-ranked as terms are decided."""

    def __init__(self, project: Project, label: str, vectors: WordVectors, *,
                 seeds: Sequence[str] = (), anywhere: bool = False, method: str = "top3",
                 reject_weight: float = REJECT_WEIGHT, words: ArticleWords | None = None,
                 nlp: Language | None = None, max_seeds: int = MAX_SEEDS,
                 should_stop: Callable[[], bool] | None = None) -> None:  # fmt: skip
        import numpy as np

        if label not in project.label_names():
            raise ProjectError(f"no label {label} in this project")
        if method not in METHODS:
            raise ProjectError(f"unknown ranking {method!r} (one of {', '.join(METHODS)})")
        if nlp is None:
            import spacy

            nlp = spacy.blank(project.language)
        self.label, self.vectors, self.nlp = label, vectors, nlp
        self.method, self.reject_weight = method, reject_weight
        self.k = TOP_K if method == "top3" else 1
        self.anywhere = anywhere
        # the seeds, as shown: given, the label's terms, its patterns, its accepted mentions
        terms = project.terms()
        mine = [t for t in terms if t.label == label]
        patterns = pattern_phrases(project, nlp)
        mentions = accepted_mentions(project, label, max_seeds)
        given = [" ".join(s.split()) for s in seeds if s.strip()]
        self.seeds: list[str] = []
        seen_seeds: set[str] = set()
        for text in [*given, *(t.text for t in mine if t.decision == "accept"),
                     *patterns.get(label, ()), *mentions]:  # fmt: skip
            if term_key(text) not in seen_seeds:
                seen_seeds.add(term_key(text))
                self.seeds.append(text)
        # never proposed: seeds, any label's pattern phrases, other labels' accepted terms
        self._base_texts = set(seen_seeds)
        self._base_texts |= {term_key(p) for phrases in patterns.values() for p in phrases}
        self._base_texts |= {t.key for t in terms if t.label != label and t.decision == "accept"}
        self._base_tokens = {self._tokens(text) for text in self._base_texts}
        self.decisions: dict[str, str] = {t.key: t.decision for t in mine}
        self.skipped: set[str] = set()

        self.words = words if words is not None else ArticleWords.read(
            project, nlp, vectors, should_stop=should_stop)  # fmt: skip
        self._build_candidates(np)
        self.without_vectors = sum(1 for text in self.seeds if self._vector(text) is None)
        self._rebuild()

    # ---- building ------------------------------------------------------------------------
    def _tokens(self, text: str) -> Key:
        return tuple(t.lower_ for t in self.nlp.make_doc(text) if not t.is_space)

    def _vector(self, text: str):
        return self.vectors.vector(self._tokens(text))

    def _build_candidates(self, np) -> None:
        counts, forms, vectors = self.words.counts, self.words.forms, self.vectors
        # single words: those of the articles, and (anywhere) every word of the table
        word_rows: dict[str, int] = {}
        for key in counts:
            if len(key) == 1:
                row = vectors.row(key[0])
                if row is not None:
                    word_rows[key[0]] = row
        if self.anywhere:
            table_words, table_rows = vectors.words()
            extra = [i for i, w in enumerate(table_words) if w not in word_rows]
            words = [*word_rows, *(table_words[i] for i in extra)]
            rows = np.concatenate([np.fromiter(word_rows.values(), dtype=np.int64,
                                               count=len(word_rows)),
                                   table_rows[extra]])  # fmt: skip
        else:
            words = list(word_rows)
            rows = np.fromiter(word_rows.values(), dtype=np.int64, count=len(word_rows))
        self.w_text = [self.words.form((w,)) if (w,) in forms else w for w in words]
        self.w_key = [term_key(t) for t in self.w_text]
        self.w_rows = rows
        self.w_count = np.fromiter((counts.get((w,), 0) for w in words), dtype=np.int64,
                                   count=len(words))  # fmt: skip
        # phrases of the articles, the most frequent first
        phrases = sorted((k for k in counts if len(k) > 1), key=lambda k: (-counts[k], k))
        p_keys, p_vecs = [], []
        for key in phrases:
            vec = vectors.vector(key)
            if vec is not None:
                p_keys.append(key)
                p_vecs.append(vec)
                if len(p_keys) >= MAX_PHRASES:
                    break
        self.p_tokens = p_keys
        self.p_text = [self.words.form(k) for k in p_keys]
        self.p_key = [term_key(t) for t in self.p_text]
        dim = vectors.unit.shape[1]
        self.p_vecs = np.array(p_vecs, dtype=np.float32).reshape(len(p_vecs), dim)
        self.p_count = np.fromiter((counts[k] for k in p_keys), dtype=np.int64,
                                   count=len(p_keys))  # fmt: skip
        self._index = {key: ("w", i) for i, key in enumerate(self.w_key)}
        for i, key in enumerate(self.p_key):
            self._index.setdefault(key, ("p", i))
        self.w_tie = TIE * np.log1p(self.w_count) / math.log1p(max(int(self.w_count.max(
            initial=0)), int(self.p_count.max(initial=0)), 1))  # fmt: skip
        self.p_tie = TIE * np.log1p(self.p_count) / math.log1p(max(int(self.w_count.max(
            initial=0)), int(self.p_count.max(initial=0)), 1))  # fmt: skip

    def _mark_done(self) -> None:
        """Which candidates are never proposed now (see the module doc)."""
        import numpy as np

        texts = self._base_texts | set(self.decisions) | self.skipped
        tokens = self._base_tokens | {self._tokens(t) for t, d in self.decisions.items()
                                      if d == "accept"}  # fmt: skip
        self.w_done = np.fromiter(((k in texts or (k,) in tokens) for k in self.w_key),
                                  dtype=bool, count=len(self.w_key))  # fmt: skip
        self.p_done = np.fromiter((self._phrase_known(i, texts, tokens)
                                   for i in range(len(self.p_key))), dtype=bool,
                                  count=len(self.p_key))  # fmt: skip

    def _phrase_known(self, i: int, texts: set[str], tokens: set[Key]) -> bool:
        if self.p_key[i] in texts:
            return True
        key = self.p_tokens[i]
        n = len(key)
        return any(key[a:b] in tokens for a in range(n) for b in range(a + 1, n + 1))


    # ---- scoring -------------------------------------------------------------------------
    def _rescore(self) -> None:
        rows, phrases = self._pos.scores()
        if self._neg.n and self.reject_weight:
            nrows, nphrases = self._neg.scores()
            rows = rows - self.reject_weight * nrows
            phrases = phrases - self.reject_weight * nphrases
        self.row_scores = rows
        self.w_score = rows[self.w_rows]
        self.p_score = phrases

    # ---- asking ----------------------------------------------------------------------------
    @property
    def seed_count(self) -> int:
        """Seeds with a vector (accepted terms included)."""
        return self._pos.n

    def top(self, n: int = 1) -> list[Candidate]:
        """The `n` best candidates not decided, skipped or known, best first."""
        import numpy as np

        found: list[tuple[float, str, Candidate]] = []
        for kind, scores, done, tie in (("w", self.w_score, self.w_done, self.w_tie),
                                        ("p", self.p_score, self.p_done, self.p_tie)):
            if not len(scores):
                continue
            ranked = np.where(done, -np.inf, scores + tie)
            m = min(len(ranked), n)
            best = np.argpartition(-ranked, m - 1)[:m] if m < len(ranked) else \
                np.arange(len(ranked))  # fmt: skip
            for i in best:
                if not np.isfinite(ranked[i]):
                    continue
                if kind == "w":
                    c = Candidate(self.w_text[i], float(scores[i]), int(self.w_count[i]))
                else:
                    c = Candidate(self.p_text[i], float(scores[i]), int(self.p_count[i]))
                found.append((-float(ranked[i]), c.key, c))
        found.sort(key=lambda item: item[:2])
        return [c for *_, c in found[:n]]

    def next(self) -> Candidate | None:
        found = self.top(1)
        return found[0] if found else None

    # ---- being told ------------------------------------------------------------------------
    def decided(self, text: str, decision: str) -> None:
        """The annotator accepted or rejected `text` (already stored)."""
        key = term_key(text)
        before = self.decisions.get(key)
        self.decisions[key] = decision
        self.skipped.discard(key)
        if before is not None:
            self._rebuild()
            return
        vec = self._vector(text)
        if vec is not None:
            (self._pos if decision == "accept" else self._neg).add(vec)
            if decision == "accept" or self.reject_weight:
                self._rescore()
        self._done(key)
        if decision == "accept":  # phrases holding it are not proposed any more
            tokens = self._tokens(text)
            for i, phrase in enumerate(self.p_tokens):
                if len(phrase) > len(tokens) and _holds(phrase, tokens):
                    self.p_done[i] = True

    def undone(self, text: str) -> None:
        """The last decision on `text` was undone (the store restored what it was)."""
        key = term_key(text)
        if self.decisions.pop(key, None) is not None:
            self._rebuild()

    def skip(self, text: str) -> None:
        """Not now: not proposed again in this session."""
        key = term_key(text)
        self.skipped.add(key)
        self._done(key)

    def _done(self, key: str) -> None:
        where = self._index.get(key)
        if where is not None:
            (self.w_done if where[0] == "w" else self.p_done)[where[1]] = True

    def _rebuild(self) -> None:
        """The seeds and rejects again from the decisions (after an undo or a change)."""
        seeds = {term_key(t) for t in self.seeds}
        self._pos = _Nearness(self.vectors.unit, self.p_vecs, self.method, self.k)
        self._neg = _Nearness(self.vectors.unit, self.p_vecs, self.method, self.k)
        for text in [*(t for t in self.seeds if self.decisions.get(term_key(t)) != "reject"),
                     *(k for k, d in self.decisions.items() if d == "accept" and k not in seeds)]:
            vec = self._vector(text)
            if vec is not None:
                self._pos.add(vec)
        for key, decision in self.decisions.items():
            vec = self._vector(key) if decision == "reject" else None
            if vec is not None:
                self._neg.add(vec)
        self._rescore()
        self._mark_done()


def make_session(project: Project, label: str, *, seeds: Iterable[str] = (),
                 anywhere: bool = False, vectors: WordVectors | None = None,
                 **kwargs) -> TermSession:  # fmt: skip
    """A session on the project's vectors (loading them: a second the first time)."""
    from .vectors import load_vectors

    if label not in project.label_names():
        raise ProjectError(f"no label {label} in this project")
    return TermSession(project, label, vectors or load_vectors(), seeds=list(seeds),
                       anywhere=anywhere, **kwargs)  # fmt: skip
