"""Suggestions for a project: the engine in `suggest/` tied to the project file.

- `configure_suggester` builds a `Suggester` from the project's settings (model, patterns,
  label map, merge order), saving any new setting, and gives a new project the model's
  (or the patterns') labels.
- `suggest_pending` computes and caches machine suggestions for every pending article that
  has none under the current fingerprint (the `annotator suggest` command).
- `SuggestionService` is what the window uses: cheap to create, `load()` off the UI thread,
  `cached()` fast for drawing, `compute()` for a miss, `prefetch()` for the next articles.

What an article shows is: machine suggestions (cached per fingerprint) + suggestions that
came with an import + the project's own decisions, merged (`finalize`), minus what the
annotator dismissed and what overlaps their spans (`annotation.shown_spans`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from .project import Project, ProjectError
from .records import Span

# The order new projects get the model's labels in: the most used first (keys 1-9, 0).
PREFERRED_LABELS = ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "DATE",
                    "TIME", "WORK_OF_ART", "LAW", "LANGUAGE", "MONEY", "PERCENT", "QUANTITY",
                    "ORDINAL", "CARDINAL")  # fmt: skip
IMPORT_FINGERPRINT = "import"
MERGE_SOURCES = ("decision", "pattern", "model")
CHUNK = 256  # articles cached per transaction


def parse_label_map(items: Iterable[str] | None) -> dict[str, str]:
    """["LOC=GPE", ...] -> {"LOC": "GPE"}; a clear error for anything else."""
    out = {}
    for item in items or ():
        src, sep, dst = item.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise ProjectError(f"--map {item!r}: expected FROM=TO, e.g. LOC=GPE")
        out[src.strip()] = dst.strip()
    return out


def configure_suggester(
    project: Project,
    model: str | None = None,
    patterns: str | Path | None = None,
    label_map: Iterable[str] | dict[str, str] | None = None,
    order: str | Sequence[str] | None = None,
):
    """A Suggester for the project; arguments given here become the project's settings."""
    from .suggest import PatternsError, Suggester

    if model is not None:
        project.set_setting("model", model)
    if patterns is not None:
        path = Path(patterns)
        if not path.is_file():
            raise ProjectError(f"{path}: no such patterns file")
        project.set_setting("patterns", str(path.resolve()))
    if label_map is not None:
        mapping = label_map if isinstance(label_map, dict) else parse_label_map(label_map)
        project.set_setting("label_map", mapping)
    if order is not None:
        names = [o.strip() for o in order.split(",")] if isinstance(order, str) else list(order)
        if sorted(names) != sorted(MERGE_SOURCES):
            raise ProjectError(
                f"--order {','.join(names)}: name each of {', '.join(MERGE_SOURCES)} once"
            )
        project.set_setting("merge_order", names)
    settings_patterns = project.get_setting("patterns")
    if settings_patterns and not Path(settings_patterns).is_file():
        raise ProjectError(f"{settings_patterns}: the project's patterns file is missing")
    kwargs = dict(
        model=project.get_setting("model", "auto"),
        patterns_path=settings_patterns,
        label_map=project.get_setting("label_map", {}),
        order=project.get_setting("merge_order", list(MERGE_SOURCES)),
        lang=project.language,
    )
    try:
        if not project.label_names():  # a new project takes the suggester's labels
            labels = Suggester(**kwargs).labels
            ranked = sorted(labels, key=lambda lab: (
                PREFERRED_LABELS.index(lab) if lab in PREFERRED_LABELS else 99, lab))  # fmt: skip
            project.ensure_labels(ranked)
        return Suggester(**kwargs, label_set=set(project.label_names()))
    except PatternsError as exc:
        raise ProjectError(str(exc)) from exc


def suggest_pending(
    project: Project,
    suggester,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = 64,
) -> int:
    """Compute and cache machine suggestions for pending articles that lack them.
    Returns how many were computed (0 when the cache is up to date)."""
    suggester.load()
    fingerprint = suggester.fingerprint
    ids = project.uncached_article_ids(fingerprint)
    if not ids:
        return 0
    done = 0

    def texts():
        for i in range(0, len(ids), CHUNK):
            for art in project.articles_by_id(ids[i : i + CHUNK]):
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


class SuggestionService:
    """Suggestions for the window. Create it on the UI thread (cheap); call `load()`,
    `compute()` and `prefetch()` on a worker thread with its own Project connection;
    `cached()` is fast and safe to call from the UI thread."""

    def __init__(self, model=None, patterns=None, label_map=None, fingerprint=None):
        self.state = "loading"
        self.message = "Loading the suggestion model…"
        self.suggester = None
        self.fingerprint: str | None = fingerprint  # the last one used, until load() says
        self._decisions = None  # DecisionIndex of accepted mentions (see refresh_decisions)
        self._indexed: dict[int, tuple[int, list]] = {}  # article id -> (version, its keys)
        self._decisions_sig = None
        self._lock = threading.Lock()
        self._overrides = (model, patterns, label_map)

    @classmethod
    def from_project(cls, project: Project) -> SuggestionService:
        return cls(fingerprint=project.get_setting("last_fingerprint"))

    def load(self, project: Project) -> None:
        """Build the suggester and load its model (slow: seconds). Never raises for a
        missing model: `state` becomes "no-model" and `message` says how to add one."""
        try:
            suggester = configure_suggester(project, *self._overrides)
            suggester.load()
        except ProjectError as exc:
            self.state, self.message = "error", str(exc)
            return
        self.suggester = suggester
        self.fingerprint = suggester.fingerprint
        project.set_setting("last_fingerprint", self.fingerprint)
        self.refresh_decisions(project)
        if suggester.model_error:
            self.state, self.message = "no-model", suggester.model_error
        elif suggester.model_info is None:  # the project chose to run without a model
            self.state = "ready"
            self.message = "Suggestions from patterns and earlier decisions (no model chosen)"
        else:
            info = suggester.model_info
            self.state = "ready"
            self.message = f"Suggestions ready ({info.name} {info.version})"

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
        for aid in [a for a, (version, _) in indexed.items() if current.get(a) != version]:
            index.remove_keys(indexed.pop(aid)[1])
        new = sorted(a for a in current if a not in indexed)
        for i in range(0, len(new), 500):
            for art, spans in project.with_spans(project.articles_by_id(new[i : i + 500])):
                keys = index.keys_of(art.text, spans)
                index.add_keys(keys)
                indexed[art.id] = (art.version, keys)
        self._decisions_sig = sig

    def _finish(self, project: Project, article_id: int, machine: list[Span]) -> list[Span]:
        imported = project.cached_suggestions(article_id, IMPORT_FINGERPRINT) or []
        candidates = [*machine, *imported]
        blocked = [s.span for s in project.spans(article_id)]
        dismissed = project.dismissed(article_id)
        if self.suggester is None:  # not loaded yet: no spaCy on this thread, no decisions
            from .suggest.merge import DEFAULT_ORDER, group_by_source, merge

            return merge(group_by_source(candidates), DEFAULT_ORDER, blocked=blocked,
                         dismissed=dismissed)  # fmt: skip
        art = project.article(article_id)
        return self.suggester.finalize(art.text, candidates, self._decisions, blocked=blocked,
                                       dismissed=dismissed)  # fmt: skip

    def cached(self, project: Project, article_id: int) -> list[Span] | None:
        """Suggestions from the cache, or None when the machine ones must be computed."""
        machine = (
            project.cached_suggestions(article_id, self.fingerprint) if self.fingerprint else None
        )
        if machine is None:
            if self.state in ("no-model", "error"):
                machine = []
            elif project.article(article_id).status != "pending":
                machine = []  # decided articles aren't suggested for
            else:
                return None
        return self._finish(project, article_id, machine)

    def has_machine(self, project: Project, article_id: int) -> bool:
        """True when nothing would have to be computed for this article (cheap)."""
        if self.fingerprint is None or self.state in ("no-model", "error"):
            return True
        return project.has_cached_suggestions(article_id, self.fingerprint)

    def imported(self, project: Project, article_id: int) -> list[Span]:
        """What is certain without the model: suggestions that came with the import."""
        return project.cached_suggestions(article_id, IMPORT_FINGERPRINT) or []

    def compute(self, project: Project, article_id: int) -> list[Span]:
        """Cached, or computed now and cached (needs `load()`)."""
        with self._lock:
            self.refresh_decisions(project)
            found = self.cached(project, article_id)
            if found is not None:
                return found
            if self.suggester is None:
                return self.imported(project, article_id)
            art = project.article(article_id)
            machine = next(self.suggester.suggest_docs([art.text], merged=False))
            project.cache_suggestions([(article_id, self.fingerprint, machine)])
            return self._finish(project, article_id, machine)

    def prefetch(self, project: Project, article_ids: Sequence[int]) -> None:
        """Compute and cache the machine suggestions of several articles in one pipe."""
        if self.suggester is None or self.fingerprint is None:
            return
        with self._lock:
            todo = [
                a for a in project.articles_by_id(article_ids)
                if a.status == "pending"
                and project.cached_suggestions(a.id, self.fingerprint) is None
            ]  # fmt: skip
            if not todo:
                return
            spans = self.suggester.suggest_docs([a.text for a in todo], merged=False)
            project.cache_suggestions(
                [(a.id, self.fingerprint, s) for a, s in zip(todo, spans, strict=True)]
            )
