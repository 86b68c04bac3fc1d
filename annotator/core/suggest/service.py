"""Suggestions for a project: the engine in `suggest/` tied to the project file.

- `configure_suggester` builds a `Suggester` from the project's settings (model, patterns,
  label map, merge order), saving any new setting (a label map given is merged into the
  stored one), and gives a new project the model's (or the patterns') labels.
- `suggest_pending` computes and caches machine suggestions for every pending article that
  has none under the current fingerprint (the `annotator suggest` command).
- `SuggestionService` is what the window uses: cheap to create, `load()` off the UI thread,
  `cached()` fast for drawing, `compute()` for a miss, `prefetch()` for the next articles.

Reading never depends on writing: the service's own writes (remembering the fingerprint,
caching what it computed, a new project's labels) are best-effort. When the project file
cannot take them (read-only, disk full, locked too long) the suggestions are still
computed and returned, kept in memory instead, and `unsaved` says in one line that they
are not saved. `suggest_pending`, whose whole point is storing, refuses a read-only
project instead.

What an article shows is: machine suggestions (cached per fingerprint, with the model's and
the patterns' own labels) + suggestions that came with an import + the project's own
decisions, with the project's current label map and labels applied, merged (`finalize`),
minus what the annotator dismissed and what overlaps their spans
(`annotation.shown_spans`). The label map and labels are read from the project every time,
so a rename shows at once and never makes anything be computed again. Accepted articles
show their stored spans only; every other article (pending, skipped, rejected) gets
suggestions.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ..project import Project, ProjectError, StorageError
from ..records import Span, check_label_name
from ..store.connection import read_only_sentence

# The order new projects get the model's labels in: the most used first (keys 1-9, 0).
PREFERRED_LABELS = ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "DATE",
                    "TIME", "WORK_OF_ART", "LAW", "LANGUAGE", "MONEY", "PERCENT", "QUANTITY",
                    "ORDINAL", "CARDINAL")  # fmt: skip
IMPORT_FINGERPRINT = "import"
MERGE_SOURCES = ("decision", "pattern", "model")
# Decisions are propagated only for sequences accepted at least this share of the times they
# occur in accepted articles (project setting "propagation_precision"; null: none at all).
PROPAGATION_PRECISION = 0.5
CHUNK = 256  # articles cached per transaction
MEMORY = 5000  # articles whose machine suggestions are kept in memory while none can be saved


def read_only_refusal(project: Project) -> str:
    """Why `annotator suggest` does nothing on a read-only project (one line)."""
    return (f"{project.path.name} is read-only here: suggestions would be computed but could "
            "not be saved, so nothing was done (the window and export compute them as "
            "needed; to cache them, copy the file somewhere you can write to)")  # fmt: skip


def not_saved_note(why: StorageError | str) -> str:
    """The one line `SuggestionService.unsaved` holds when a write failed."""
    return f"Suggestions are shown but not saved ({why})"


def parse_label_map(items: Iterable[str] | None) -> dict[str, str]:
    """["LOC=GPE", "ORG="] -> {"LOC": "GPE", "ORG": ""}; an empty target means "remove
    this mapping" (see `merge_label_map`). A clear error for anything else."""
    out = {}
    for item in items or ():
        src, sep, dst = item.partition("=")
        if not sep or not src.strip():
            raise ProjectError(f"--map {item!r}: expected FROM=TO, e.g. LOC=GPE (FROM= removes)")
        if dst.strip():
            try:
                check_label_name(dst)
            except ValueError as exc:
                raise ProjectError(f"--map {item!r}: {exc}") from None
        out[src.strip()] = dst.strip()
    return out


def merge_label_map(stored: dict[str, str], changes: dict[str, str]) -> dict[str, str]:
    """The stored map with `changes` applied: a key given again is overridden, a key given
    with an empty target is removed, every other stored entry (e.g. one a rename made)
    stays."""
    merged = dict(stored)
    for src, dst in changes.items():
        if dst:
            merged[src] = dst
        else:
            merged.pop(src, None)
    return merged


def configure_suggester(
    project: Project,
    model: str | None = None,
    patterns: str | Path | None = None,
    label_map: Iterable[str] | dict[str, str] | None = None,
    order: str | Sequence[str] | None = None,
    unsaved: list[str] | None = None,
):
    """A Suggester for the project; arguments given here become the project's settings.
    `label_map` is merged into the project's map (see `merge_label_map`).

    `unsaved`: saving is best-effort. A StorageError while saving a setting (or a new
    project's labels) is appended to this list as one line and the value is used all the
    same, for this suggester only; without the list it is raised."""
    from . import PatternsError, Suggester

    given: dict = {}

    def keep(key: str, value) -> None:
        given[key] = value
        try:
            project.set_setting(key, value)
        except StorageError as exc:
            if unsaved is None:
                raise
            unsaved.append(str(exc))

    def setting(key: str, default=None):
        return given[key] if key in given else project.get_setting(key, default)

    if model is not None:
        keep("model", model)
    if patterns is not None:
        path = Path(patterns)
        if not path.is_file():
            raise ProjectError(f"{path}: no such patterns file")
        keep("patterns", str(path.resolve()))
    if label_map is not None:
        changes = label_map if isinstance(label_map, dict) else parse_label_map(label_map)
        if changes:
            stored = project.get_setting("label_map", {}) or {}
            keep("label_map", merge_label_map(stored, changes))
    if order is not None:
        names = [o.strip() for o in order.split(",")] if isinstance(order, str) else list(order)
        if sorted(names) != sorted(MERGE_SOURCES):
            raise ProjectError(
                f"--order {','.join(names)}: name each of {', '.join(MERGE_SOURCES)} once"
            )
        keep("merge_order", names)
    settings_patterns = setting("patterns")
    if settings_patterns and not Path(settings_patterns).is_file():
        raise ProjectError(f"{settings_patterns}: the project's patterns file is missing")
    kwargs = dict(
        model=setting("model", "auto"),
        patterns_path=settings_patterns,
        label_map=setting("label_map", {}) or {},
        order=setting("merge_order", list(MERGE_SOURCES)),
        lang=project.language,
    )
    try:
        suggester = Suggester(**kwargs)
        labels = project.label_names()
        if not labels:  # a new project takes the preselected labels only
            offered = seed_choices(suggester)
            chosen = [c.name for c in offered if c.chosen]
            try:
                project.ensure_labels(chosen)  # one call: one transaction, all or nothing
            except StorageError as exc:
                if unsaved is None:
                    raise
                unsaved.append(str(exc))
            suggester.seeded = (chosen, [c.name for c in offered if not c.chosen])
            labels = project.label_names() or chosen  # not saved: used all the same
        suggester.label_set = frozenset(labels)
        note = suggester.unused_model(suggester.label_set)
        if note is not None:  # not loaded at all: seconds and memory saved, no stray spans
            suggester.drop_model(note)
        return suggester
    except PatternsError as exc:
        raise ProjectError(str(exc)) from exc


def seed_choices(suggester) -> list:
    """The labels a new project is offered from this suggester's model and patterns."""
    from .label_choice import label_choices

    info, patterns = suggester.model_info, suggester.patterns
    return label_choices(info.labels if info else (), patterns.labels if patterns else (),
                         suggester.label_map)  # fmt: skip


def suggest_pending(
    project: Project,
    suggester,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = 64,
) -> int:
    """Compute and cache machine suggestions for pending articles that lack them.
    Returns how many were computed (0 when the cache is up to date).

    Memory stays bounded at any size: the ids are a compact array, texts are read CHUNK at
    a time and results written CHUNK at a time, each chunk in its own transaction. So a
    stopped run (Ctrl+C, a crash) keeps what it finished, and the next run computes only
    the rest: every article once. A read-only project is refused (StorageError): nothing
    computed could be kept."""
    if project.read_only:
        raise StorageError(read_only_refusal(project))
    suggester.load()
    fingerprint = suggester.fingerprint
    ids = project.uncached_article_ids(fingerprint)
    if not ids:
        return 0
    done = 0

    def texts():
        for i in range(0, len(ids), CHUNK):
            for art in project.articles_by_id(list(ids[i : i + CHUNK])):
                yield art.text

    results = suggester.suggest_docs(texts(), batch_size=batch_size, n_process=workers,
                                     merged=False)  # fmt: skip
    buffer: list[tuple[int, str, list[Span]]] = []
    for aid, spans in zip(ids, results, strict=True):
        buffer.append((aid, fingerprint, spans))
        if len(buffer) >= CHUNK:
            project.cache_suggestions(buffer)
            done += len(buffer)
            buffer = []
            if progress:
                progress(done, len(ids))
    if buffer:
        project.cache_suggestions(buffer)
        done += len(buffer)
    if progress:
        progress(done, len(ids))
    project.set_setting("last_fingerprint", fingerprint)
    return done


PATTERNS_ONLY = "patterns and earlier decisions only"  # in the message of a model-less run
NO_MODEL_MESSAGE = f"Suggestions from {PATTERNS_ONLY} (no model chosen)"


class SuggestionService:
    """Suggestions for the window. Create it on the UI thread (cheap); call `load()`,
    `compute()` and `prefetch()` on a worker thread with its own Project connection;
    `cached()` is fast and safe to call from the UI thread.

    `state`: "loading" (until `load()`), "ready" (a model, or none chosen: `model` set to
    "none" or ""), "no-model" (the model named or the default one is not there: `message`
    names it and says how to add one; patterns and decisions still work) or "error" (the
    project's suggestion settings cannot be used, e.g. its patterns file is missing:
    nothing is computed, imported suggestions are still shown).

    `unsaved`: None while what the service writes is saved; else one line saying the
    suggestions are shown but not saved, and why (read-only, disk full, locked). It leads
    `message` then, whatever the state. Suggestions that could not be cached are kept in
    memory (the last `MEMORY` articles), so they are not computed again."""

    def __init__(self, model=None, patterns=None, label_map=None, fingerprint=None):
        self.state = "loading"
        self.message = "Loading the suggestion model…"
        self.unsaved: str | None = None
        self._memory: OrderedDict[int, list[Span]] = OrderedDict()  # id -> machine spans
        self.suggester = None
        self.fingerprint: str | None = fingerprint  # the last one used, until load() says
        self._decisions = None  # DecisionIndex of accepted mentions (see refresh_decisions)
        self._indexed: dict[int, int] = {}  # article id -> the version indexed
        self._decisions_sig = None
        self._lock = threading.Lock()
        self._overrides = (model, patterns, label_map)

    @classmethod
    def from_project(cls, project: Project) -> SuggestionService:
        return cls(fingerprint=project.get_setting("last_fingerprint"))

    @property
    def message(self) -> str:
        """The state in words; led by `unsaved` when nothing is being saved."""
        if self.unsaved and self._message:
            return f"{self.unsaved}. {self._message}"
        return self.unsaved or self._message

    @message.setter
    def message(self, text: str) -> None:
        self._message = text

    def _saved(self, write: Callable[[], object]) -> bool:
        """Run one of the service's own writes, best-effort: False (and `unsaved` set)
        when the project file could not take it."""
        try:
            write()
        except StorageError as exc:
            self.unsaved = not_saved_note(exc)
            return False
        self.unsaved = None
        return True

    def _keep(self, project: Project, items: list[tuple[int, str, list[Span]]]) -> None:
        """Cache machine suggestions; in memory when the project file cannot take them."""
        if self._saved(lambda: project.cache_suggestions(items)):
            for aid, _, _ in items:
                self._memory.pop(aid, None)
            return
        for aid, _, spans in items:
            self._memory[aid] = spans
            self._memory.move_to_end(aid)
        while len(self._memory) > MEMORY:
            self._memory.popitem(last=False)

    def load(self, project: Project, should_stop=None) -> None:
        """Build the suggester and load its model (slow: seconds). Never raises for a
        missing model: `state` becomes "no-model" and `message` says how to add one.
        `should_stop()` true once the model is loaded: a load nobody waits for any more
        (the window moved on) writes nothing to the project; `state` becomes "stopped"."""
        if self.prepare(project):
            self.load_model(project, should_stop)

    def prepare(self, project: Project) -> bool:
        """The part of `load` that needs no model (importing spaCy, tokenizing the accepted
        articles): the suggester, its fingerprint (which never loads the model) and the
        index of the project's decisions. Afterwards `compute()` answers at once for an
        article whose machine suggestions are cached, so the window's first article gets
        its final suggestions without waiting for the model. False (and `state` "error")
        when the project's settings cannot be used."""
        unsaved: list[str] = []
        try:
            suggester = configure_suggester(project, *self._overrides, unsaved=unsaved)
        except ProjectError as exc:
            self.state, self.message = "error", str(exc)
            return False
        with self._lock:
            self.suggester = suggester
            if suggester.fingerprint != self.fingerprint:
                self._memory.clear()
            self.fingerprint = suggester.fingerprint
            if unsaved:
                self.unsaved = not_saved_note(unsaved[0])
            elif project.read_only:  # nothing this service computes can be kept
                self.unsaved = not_saved_note(read_only_sentence(project.path))
            self.refresh_decisions(project)
        return True

    def load_model(self, project: Project, should_stop=None) -> None:
        """The rest of `load`: the model itself (seconds), then `state` and `message`."""
        with self._lock:
            self.suggester.load()
        self.finish_loading(project, should_stop)

    def finish_loading(self, project: Project, should_stop=None) -> None:
        """After `suggester.load()` (which may run on a thread of its own: it touches
        neither the project nor the service): `state`, `message`, the fingerprint."""
        suggester = self.suggester
        with self._lock:
            if suggester.fingerprint != self.fingerprint:  # the model failed to load
                self._memory.clear()
                self.fingerprint = suggester.fingerprint
        if should_stop is not None and should_stop():
            self.state, self.message = "stopped", "Stopped before it was used"
            return
        if project.get_setting("last_fingerprint") != self.fingerprint:
            self._saved(lambda: project.set_setting("last_fingerprint", self.fingerprint))
        if suggester.model_error:
            self.state, self.message = "no-model", suggester.model_error
        elif suggester.model_note:  # the model has none of the project's labels
            self.state = "ready"
            self.message = f"{suggester.model_note}; suggestions from {PATTERNS_ONLY}"
        elif suggester.model_info is None:  # the project chose to run without a model
            self.state, self.message = "ready", NO_MODEL_MESSAGE
        else:
            info = suggester.model_info
            self.state = "ready"
            self.message = f"Suggestions ready ({info.name} {info.version})"

    @property
    def warnings(self) -> list[str]:
        """Problems met while computing (patterns skipped for taking too long), one line
        each; empty before `load()`."""
        return self.suggester.warnings if self.suggester is not None else []

    def refresh_decisions(self, project: Project) -> None:
        """Bring the index of accepted mentions up to date, incrementally: only articles
        accepted or changed since the last call are (re)tokenized."""
        if self.suggester is None:
            return
        sig = project.accepted_signature()
        if sig == self._decisions_sig:
            return
        if self._decisions is None:
            self._decisions = self.suggester.decision_index()
        index, indexed = self._decisions, self._indexed
        current = project.accepted_versions()
        for aid in [a for a, version in indexed.items() if current.get(a) != version]:
            index.remove_article(aid)
            del indexed[aid]
        new = sorted(a for a in current if a not in indexed)
        for i in range(0, len(new), 500):
            for art, spans in project.with_spans(project.articles_by_id(new[i : i + 500])):
                index.add(art.text, spans, article_id=art.id)
                indexed[art.id] = art.version
        self._decisions_sig = sig

    def decisions_signature(self, project: Project) -> str:
        """What the decisions found in an article (and the machine spans they veto) depend
        on: the accepted work, the precision they must have earned, the tokenizer's
        language, the machine suggestions' fingerprint; and the accepted terms, found with
        them (when there are any)."""
        precision = project.get_setting("propagation_precision", PROPAGATION_PRECISION)
        terms = project.terms_signature()
        return json.dumps([list(project.accepted_signature()), precision, project.language,
                           self.fingerprint, *([terms] if terms else [])])  # fmt: skip

    def _decided(self, project: Project, art, candidates: list[Span], keep: bool = False
                 ) -> tuple[list[Span], list[Span]] | None:  # fmt: skip
        """(the project's decisions found in the article, the `candidates` they veto):
        from the index once `prepare()` built it (`keep`: and kept in the project for the
        next start-up), else from what was kept if nothing changed since; None when
        unknown. The decisions include the accepted terms found in it (source "pattern":
        merged as pattern rules, never vetoed; annotator.core.terms)."""
        if self.suggester is None:  # the UI thread's service, or before prepare()
            return project.cached_decisions(art.id, lambda: self.decisions_signature(project))
        from ..terms.matching import term_spans
        from .engine import VETOED_SOURCES

        precision = project.get_setting("propagation_precision", PROPAGATION_PRECISION)
        index = self._decisions
        found: list[Span] = []
        vetoed: list[Span] = []
        if precision is not None and index is not None:
            if len(index):
                found = index.find(art.text, min_precision=precision)
            vetoed = index.vetoed(art.text, [s for s in candidates if s.source in VETOED_SOURCES],
                                  precision)  # fmt: skip
        found = [*found, *term_spans(project, art.text, self.suggester.tokenizer_nlp)]
        if keep and not project.read_only:
            signature = self.decisions_signature(project)
            if project.cached_decisions(art.id, lambda: signature) != (found, vetoed):
                self._saved(lambda: project.cache_decisions(art.id, signature, found, vetoed))
        return found, vetoed

    def _finish(self, project: Project, art, machine: list[Span], keep: bool = False
                ) -> tuple[list[Span], bool]:  # fmt: skip
        """Machine + imported + decisions, minus what the decisions veto, with the
        project's current label map, labels and merge order (read now: a rename or a new
        map shows at once); and whether the decisions were known (final)."""
        from .engine import finalize
        from .merge import DEFAULT_ORDER, relabel

        imported = project.cached_suggestions(art.id, IMPORT_FINGERPRINT) or []
        order = project.get_setting("merge_order") or (
            self.suggester.order if self.suggester is not None else DEFAULT_ORDER
        )
        label_map = project.get_setting("label_map", {}) or {}
        label_set = set(project.label_names()) or set(
            (self.suggester.label_set or ()) if self.suggester is not None else ()
        )  # a new project's labels, when they could not be saved
        decided = self._decided(project, art, relabel([*machine, *imported], label_set,
                                                      label_map), keep)  # fmt: skip
        found, vetoed = decided if decided is not None else ([], [])
        spans = finalize(
            art.text,
            [*machine, *imported, *found],  # grouped by source in finalize
            None,
            blocked=[s.span for s in project.spans(art.id)],
            dismissed=project.dismissed(art.id),
            order=tuple(order),
            label_map=label_map,
            label_set=label_set,
            min_precision=project.get_setting("propagation_precision", PROPAGATION_PRECISION),
            vetoed=vetoed,
        )
        return spans, decided is not None

    def _computable(self) -> bool:
        """True when a cache miss can be computed (after `load()`, unless it failed)."""
        return not (self.state == "error" and self.suggester is None)

    def cached(self, project: Project, article_id: int) -> list[Span] | None:
        """Suggestions from the cache, or None when the machine ones must be computed
        (`compute()`). Accepted articles: [] (they show their stored spans only). Before
        `prepare()` (the UI thread's service) the project's decisions are left out unless
        they were kept for this article and nothing was accepted since: see
        `cached_final`."""
        return self.lookup(project, article_id)[0]

    def cached_final(self, project: Project, article_id: int) -> list[Span] | None:
        """The article's final suggestions from what the project keeps alone (no spaCy, no
        index): its cached machine suggestions and the decisions found in it when nothing
        was accepted or changed since. None when either is missing."""
        spans, complete = self.lookup(project, article_id)
        return spans if complete else None

    def lookup(self, project: Project, article_id: int, keep: bool = False
               ) -> tuple[list[Span] | None, bool]:  # fmt: skip
        """(`cached()`, whether that is final: the project's decisions are in it)."""
        art = project.article(article_id)
        if art.status == "accepted":
            return [], True
        machine = (
            project.cached_suggestions(article_id, self.fingerprint) if self.fingerprint else None
        )
        if machine is None:
            machine = self._memory.get(article_id)
        if machine is None:
            if self._computable():
                return None, False
            machine = []  # nothing can be computed: imported suggestions only
        return self._finish(project, art, machine, keep)

    def has_machine(self, project: Project, article_id: int) -> bool:
        """True when nothing would have to be computed for this article (cheap)."""
        if self.fingerprint is None or not self._computable():
            return True
        if article_id in self._memory or project.has_cached_suggestions(article_id,
                                                                        self.fingerprint):
            return True
        return project.article(article_id).status == "accepted"

    def imported(self, project: Project, article_id: int) -> list[Span]:
        """What is certain without the model: suggestions that came with the import."""
        return project.cached_suggestions(article_id, IMPORT_FINGERPRINT) or []

    def compute(self, project: Project, article_id: int) -> list[Span]:
        """Cached, or computed now and cached (needs `load()`; before it, the imported
        suggestions). Works without a model: patterns and decisions are computed then."""
        with self._lock:
            self.refresh_decisions(project)
            found = self.lookup(project, article_id, keep=True)[0]
            if found is not None:
                return found
            art = project.article(article_id)
            if self.suggester is None:  # not loaded yet
                return self._finish(project, art, [])[0]
            machine = next(self.suggester.suggest_docs([art.text], merged=False))
            self._keep(project, [(article_id, self.fingerprint, machine)])
            return self._finish(project, art, machine, keep=True)[0]

    def prefetch(self, project: Project, article_ids: Sequence[int]) -> None:
        """Compute and cache the machine suggestions of several articles in one pipe."""
        if self.suggester is None or self.fingerprint is None:
            return
        with self._lock:
            todo = [
                a for a in project.articles_by_id(article_ids)
                if a.status != "accepted" and a.id not in self._memory
                and not project.has_cached_suggestions(a.id, self.fingerprint)
            ]  # fmt: skip
            if not todo:
                return
            spans = self.suggester.suggest_docs([a.text for a in todo], merged=False)
            self._keep(project,
                       [(a.id, self.fingerprint, s) for a, s in zip(todo, spans, strict=True)])
