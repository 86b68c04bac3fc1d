"""Suggestions off the UI thread.

A `SuggestWorker` lives in its own QThread with its own `Project` (SQLite connections are
per thread). It loads the SuggestionService (spaCy, ~1-2 s), then computes the suggestions
of the article the window asks for and prefetches the next pending ones. Requests
coalesce: only the newest one is worked on, so paging quickly through articles never
builds a backlog. Results come back as signals; the window never waits.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from annotator.core.project import Project
from annotator.core.records import Span

UNAVAILABLE = "Suggestions are unavailable in this build (annotator.core.suggesting is missing)"

WORKER_START_DELAY_MS = 150  # after the window's first paint


def service_class():
    """The SuggestionService class, or None when the core doesn't provide it."""
    try:
        from annotator.core.suggesting import SuggestionService
    except ImportError:
        return None
    return SuggestionService


def fallback_suggestions(project: Project, article_id: int) -> list[Span]:
    """Without a SuggestionService: the suggestions that came with the imported file."""
    return project.cached_suggestions(article_id, "import") or []


class SuggestWorker(QObject):
    # state ("loading", "ready", "no-model", "error"), message. After "ready"/"no-model" the
    # project's labels and last fingerprint may have changed (a new project takes the
    # model's labels): the window re-reads them.
    stateChanged = Signal(str, str)
    suggestionsReady = Signal(int, object)  # article id, list[Span]
    _poke = Signal()
    _stop = Signal()

    def __init__(self, db_path: str | Path):
        super().__init__()
        self.db_path = Path(db_path)
        self.project: Project | None = None
        self.service = None
        self.state = "loading"
        self._lock = threading.Lock()
        self._wanted: tuple[int | None, list[int]] | None = None
        self._poke.connect(self._work)
        self._stop.connect(self._close)

    # ---- called from the UI thread -----------------------------------------------------
    def request(self, article_id: int | None, prefetch: Sequence[int] = ()) -> None:
        """Compute `article_id`'s suggestions (None: only prefetch) as soon as possible."""
        with self._lock:
            self._wanted = (article_id, list(prefetch))
        self._poke.emit()

    def _newer_request(self) -> bool:
        with self._lock:
            return self._wanted is not None

    # ---- in the worker thread ----------------------------------------------------------
    @Slot()
    def start(self) -> None:
        self._set_state("loading", "Loading the suggestion model…")
        try:
            self.project = Project(self.db_path, create=False)
            cls = service_class()
            if cls is None:
                self._set_state("no-model", UNAVAILABLE)
                return
            self.service = cls.from_project(self.project)
            self.service.load(self.project)
            self._set_state(self.service.state, self.service.message or "")
        except Exception as exc:  # a broken model must not take the window down
            self.service = None
            self._set_state("error", f"Suggestions failed to load: {exc}")
        self._work()

    def _set_state(self, state: str, message: str) -> None:
        self.state = state
        self.stateChanged.emit(state, message)

    @Slot()
    def _work(self) -> None:
        with self._lock:
            wanted, self._wanted = self._wanted, None
        if wanted is None or self.service is None or self.project is None:
            return
        article_id, prefetch = wanted
        try:
            if article_id is not None:
                spans = self.service.compute(self.project, article_id)
                self.suggestionsReady.emit(article_id, list(spans))
            for other in prefetch:
                if self._newer_request():
                    break  # the window moved on: serve that first
                if not self.service.has_machine(self.project, other):
                    self.service.prefetch(self.project, [other])
        except Exception as exc:
            self._set_state("error", f"Suggestions failed: {exc}")

    @Slot()
    def _close(self) -> None:
        if self.project is not None:
            self.project.close()
            self.project = None
        QThread.currentThread().quit()


class SuggestThread:
    """Owns a worker and its thread; `stop()` waits for it to finish cleanly."""

    def __init__(self, db_path: str | Path):
        self.thread = QThread()
        self.thread.setObjectName("suggestions")
        self.worker = SuggestWorker(db_path)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.start)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout_ms: int = 15000) -> None:
        if self.thread.isRunning():
            self.worker._stop.emit()
            if not self.thread.wait(timeout_ms):
                self.thread.quit()
                self.thread.wait(2000)


class SuggestionFeed(QObject):
    """What the window talks to: suggestions at once when cached (on the UI thread, no
    spaCy), the rest from the worker thread. `state` mirrors the worker's."""

    stateChanged = Signal(str, str)
    suggestionsReady = Signal(int, object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.project: Project | None = None
        self.state, self.message = "off", ""
        self._thread: SuggestThread | None = None
        self._service = None

    def start(self, project: Project, run_worker: bool = True) -> None:
        self.stop()
        self.project, self._service = project, None
        if not run_worker:
            self._set("off", "Suggestions are off")
            return
        self.state, self.message = "loading", "Loading the suggestion model…"
        self._thread = SuggestThread(project.path)
        self._thread.worker.stateChanged.connect(self._worker_state)
        self._thread.worker.suggestionsReady.connect(self.suggestionsReady)
        # The worker's first job is importing spaCy and loading the model, which holds the
        # GIL for a second: let the window draw itself first.
        thread = self._thread
        QTimer.singleShot(WORKER_START_DELAY_MS, lambda: self._start_later(thread))

    def _start_later(self, thread: SuggestThread) -> None:
        if self._thread is thread:  # not stopped or replaced meanwhile
            thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
        self.project, self._service = None, None

    def _set(self, state: str, message: str) -> None:
        self.state, self.message = state, message
        self.stateChanged.emit(state, message)

    def _worker_state(self, state: str, message: str) -> None:
        if self.project is not None and state != "loading":
            # Loading may have given the project the model's labels and a new fingerprint.
            self.project.invalidate_caches()
            self._service = None
            cls = service_class()
            if cls is not None and state != "error":
                self._service = cls.from_project(self.project)
                self._service.state = state  # no model: cached() needs no machine spans
        self._set(state, message)

    @property
    def settled(self) -> bool:
        """True when no suggestions will come from the worker."""
        return self.state in ("off", "error")

    def cached(self, article_id: int) -> list[Span] | None:
        """What can be shown at once, or None while the worker computes it."""
        project = self.project
        if project is None:
            return []
        if self.settled:
            return fallback_suggestions(project, article_id)
        if self._service is None:
            cls = service_class()
            if cls is None:
                return fallback_suggestions(project, article_id)
            self._service = cls.from_project(project)
        try:
            return self._service.cached(project, article_id)
        except Exception:  # a broken cache must not stop annotation
            return fallback_suggestions(project, article_id)

    def fallback(self, article_id: int) -> list[Span]:
        return fallback_suggestions(self.project, article_id) if self.project else []

    def request(self, article_id: int, ahead: Sequence[int]) -> None:
        if self._thread is not None:
            self._thread.worker.request(article_id, ahead)
