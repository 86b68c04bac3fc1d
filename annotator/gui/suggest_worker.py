"""Suggestions off the UI thread, tagged so that a stale result can never land.

A `SuggestJob` is one project's worker: a plain daemon thread with its own `Project`
(SQLite connections are per thread) that loads the SuggestionService (spaCy: seconds),
then computes the article the window asks for and prefetches the next pending ones.
Requests coalesce: only the newest is worked on. Between units of work it checks a stop
flag; a load cannot be interrupted, so a stopped job that is still loading finishes in
the background and then exits without delivering anything. Nobody ever waits for it,
and being a daemon thread (not a QThread) it cannot make Qt abort at exit.

Results travel to the UI thread through a `_Relay` signal (a queued connection), each
tagged with (project file, generation). `SuggestionFeed`, what the window talks to,
starts a new generation for every project and every change of model or patterns, drops
whatever arrives with another tag, and disconnects the relay of a stopped job. Within a
generation each request has a serial number: a result older than the newest request for
its article (made, say, before a decision changed the suggestions) is dropped too.

Suggestions never depend on saving them: on a read-only project (or a full disk) the
service keeps them in memory and says so in its `unsaved` line, which leads the state's
message; the job sends the state again whenever that line comes or goes.
"""

from __future__ import annotations

import gc
import itertools
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from annotator.core.project import Project
from annotator.core.records import Span

from .error_text import reason

log = logging.getLogger(__name__)

UNAVAILABLE = ("Suggestions are unavailable in this build "
               "(annotator.core.suggest.service is missing)")
LOADING = "Loading the suggestion model…"
WORKER_START_DELAY_MS = 150  # after the window's first paint

Tag = tuple[str, int]  # (project file, generation)
_generations = itertools.count(1)


def service_class():
    """The SuggestionService class, or None when the core doesn't provide it."""
    try:
        from annotator.core.suggest.service import SuggestionService
    except ImportError:
        return None
    return SuggestionService


def fallback_suggestions(project: Project, article_id: int) -> list[Span]:
    """Without a worker: the suggestions that came with the imported file."""
    return project.cached_suggestions(article_id, "import") or []


def settle_heap() -> None:
    """A model was loaded: its objects live as long as it is used, so keep the garbage
    collector from walking them in every full collection (a ~100 ms pause mid-keystroke).
    Unfreeze first, so that a pipeline replaced since the last freeze can be freed."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


_LIVE: set[threading.Thread] = set()  # worker threads started and not yet finished


def wait_for_workers(timeout: float) -> bool:
    """Wait (at most `timeout` seconds in all) for stopped workers to end, e.g. one still
    loading a model when the window closed. True when none is left running."""
    deadline = time.monotonic() + timeout
    for thread in list(_LIVE):
        thread.join(max(0.0, deadline - time.monotonic()))
    return not any(t.is_alive() for t in _LIVE)


def warm_tokens(project: Project, article_id: int) -> None:
    """Tokenize an article the annotator is about to see, here rather than on the UI
    thread: accepting it checks its spans against its tokens (the store's span check), and
    the window's span keys use them too; both find them in `token_index`'s cache."""
    from annotator.core.tokens import token_index

    try:
        token_index(project.article(article_id).text, project.language)
    except Exception:  # only a head start: the UI thread tokenizes if this failed
        log.debug("warming tokens failed", exc_info=True)


class _Relay(QObject):
    delivered = Signal(object)  # (tag, kind, payload), emitted from the worker thread


class SuggestJob:
    """One project's worker thread. `request` and `stop` are called from the UI thread
    and never block; everything else runs in the thread."""

    def __init__(self, db_path: str | Path, tag: Tag, relay: _Relay):
        self.db_path, self.tag, self._relay = Path(db_path), tag, relay
        self._stopped = threading.Event()
        self._cond = threading.Condition()
        self._wanted: tuple[int, int | None, list[int]] | None = None
        self.thread = threading.Thread(target=self._run, name=f"suggestions-{tag[1]}", daemon=True)

    # ---- the UI thread ------------------------------------------------------------------
    def start(self) -> None:
        _LIVE.add(self.thread)
        self.thread.start()

    def request(self, serial: int, article_id: int | None, prefetch: Sequence[int]) -> None:
        """Compute `article_id` (None: only prefetch), replacing any older request."""
        with self._cond:
            self._wanted = (serial, article_id, list(prefetch))
            self._cond.notify()

    def stop(self) -> None:
        """Ask the thread to end; it delivers nothing from now on. Returns at once."""
        self._stopped.set()
        with self._cond:
            self._cond.notify()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    # ---- the worker thread --------------------------------------------------------------
    def _emit(self, kind: str, payload) -> None:
        if not self.stopped:
            self._relay.delivered.emit((self.tag, kind, payload))

    def _next(self, loading: threading.Thread | None = None):
        """The newest request (None once stopped), or, with `loading`, None as soon as
        that thread ends (the model is in: time to say so)."""
        with self._cond:
            while self._wanted is None and not self.stopped:
                if loading is not None and not loading.is_alive():
                    return None
                self._cond.wait(None if loading is None else 0.25)
            wanted, self._wanted = self._wanted, None
        return None if self.stopped else wanted

    def _newer_request(self) -> bool:
        with self._cond:
            return self._wanted is not None or self.stopped

    def _say_state(self, service, said: tuple | None) -> tuple:
        """Send the service's state unless it was the last one sent (`said`): after the
        load, and whenever its `unsaved` line comes or goes."""
        state = (service.state, service.message or "", getattr(service, "unsaved", None))
        if state != said:
            self._emit("state", state)
        return state

    def _prefetch(self, service, project: Project, ids, said: tuple | None) -> tuple | None:
        """Compute the machine suggestions of the next articles ahead of time (and their
        tokens), unless the window asks for something else meanwhile."""
        for other in ids:
            if self._newer_request():
                break  # the window moved on: serve that first
            if not service.has_machine(project, other):
                service.prefetch(project, [other])
                said = self._say_state(service, said)
            warm_tokens(project, other)
        return said

    def _load_model(self, suggester) -> None:
        """On a thread of its own: only the model (spaCy, seconds), nothing of the project
        (its connection belongs to the worker thread), so that the worker answers what
        the cache can answer meanwhile."""
        try:
            suggester.load()
        except Exception as exc:  # a broken model must not take the window down
            log.exception("loading the suggestion model failed")
            self._load_error = exc
        finally:
            with self._cond:
                self._cond.notify()
            _LIVE.discard(threading.current_thread())

    def _run(self) -> None:
        project = None
        try:
            project = Project(self.db_path, create=False)
            cls = service_class()
            if cls is None:
                self._emit("state", ("error", UNAVAILABLE))
                return
            service = cls.from_project(project)
            # First what needs no model (the suggester, the index of the project's own
            # decisions), then the model on a thread of its own: an article whose machine
            # suggestions are cached gets its final ones at once, not seconds later.
            if not service.prepare(project):
                self._say_state(service, None)
                return
            self._load_error = None
            loading = threading.Thread(target=self._load_model, args=(service.suggester,),
                                       name=f"model-{self.tag[1]}", daemon=True)  # fmt: skip
            _LIVE.add(loading)
            loading.start()
            said, early = None, []  # early: (serial, article) answered before the model
            ahead: list[int] = []  # to prefetch once the model is in
            while True:
                if loading is not None and not loading.is_alive():
                    if self._load_error is not None:
                        self._emit("state", ("error", "Suggestions failed to load: "
                                             f"{reason(self._load_error)}"))  # fmt: skip
                        return
                    fingerprint = service.fingerprint
                    service.finish_loading(project, should_stop=lambda: self.stopped)
                    said = self._say_state(service, said)
                    if service.state in ("error", "stopped"):
                        return
                    loading = None
                    if early and service.fingerprint != fingerprint and not self._newer_request():
                        # the model did not load as cached: what was answered early changes
                        serial, article_id = early[-1]
                        self.request(serial, article_id, ahead)
                    else:
                        said = self._prefetch(service, project, ahead, said)
                wanted = self._next(loading)
                if wanted is None:
                    if self.stopped:
                        return
                    continue  # the model is in
                serial, article_id, prefetch = wanted
                if article_id is not None:
                    if loading is not None and not service.has_machine(project, article_id):
                        loading.join()  # this one needs the model
                        with self._cond:
                            if self._wanted is None:
                                self._wanted = wanted
                        continue
                    spans = service.compute(project, article_id)
                    self._emit("suggestions", (serial, article_id, list(spans)))
                    if loading is not None:
                        early.append((serial, article_id))
                    said = self._say_state(service, said)
                if loading is None:
                    said = self._prefetch(service, project, prefetch, said)
                else:
                    ahead = list(prefetch)
        except Exception as exc:
            log.exception("suggestions failed")
            self._emit("state", ("error", f"Suggestions failed: {reason(exc)}"))
        finally:
            if project is not None:
                project.close()
            _LIVE.discard(threading.current_thread())


class SuggestionFeed(QObject):
    """What the window talks to. `preliminary()` is what can be drawn at once (cached
    machine suggestions, with the project's own decisions when they were kept and still
    hold); `suggestionsReady` brings the final ones from the worker. `settled` is True
    when no worker will deliver."""

    stateChanged = Signal(str, str)
    suggestionsReady = Signal(int, object)  # article id, list[Span]: final, current generation

    def __init__(self, parent=None):
        super().__init__(parent)
        self.project: Project | None = None
        self.state, self.message = "off", ""
        self.unsaved: str | None = None  # the service's line: suggestions are not saved
        self.tag: Tag | None = None
        self._job: SuggestJob | None = None
        self._relay: _Relay | None = None
        self._service = None  # for preliminary() on the UI thread: no spaCy, no decisions
        self._serials = itertools.count(1)
        self._newest: dict[int, int] = {}  # article id -> serial of its newest request

    def start(self, project: Project, run_worker: bool = True, settings_changed: bool = False):
        """A new generation: for a newly opened project or (`settings_changed`) a new model
        or patterns, whose cache is not worth drawing until the worker has loaded them."""
        self.stop()
        self.project = project
        cls = service_class()
        if cls is not None and not settings_changed:
            self._service = cls.from_project(project)
        if not run_worker:
            self._set("off", "Suggestions are off")
            return
        self.tag = (str(project.path.resolve()), next(_generations))
        self._relay = _Relay()
        self._relay.delivered.connect(self._arrived)
        self._job = SuggestJob(project.path, self.tag, self._relay)
        self.state, self.message = "loading", LOADING
        # The job's first work is importing spaCy and loading the model, which holds the
        # GIL for a second: let the window draw itself first.
        job = self._job
        QTimer.singleShot(WORKER_START_DELAY_MS, self, lambda: self._start_later(job))

    def _start_later(self, job: SuggestJob) -> None:
        if job is self._job:  # not stopped or replaced meanwhile
            job.start()

    def stop(self) -> None:
        """End this generation without waiting: nothing of it reaches the window again."""
        if self._relay is not None:
            self._relay.delivered.disconnect(self._arrived)
        if self._job is not None:
            self._job.stop()
        self._job, self._relay, self.tag = None, None, None
        self.project, self._service = None, None
        self._newest.clear()
        self.state, self.message, self.unsaved = "off", "", None

    @property
    def running(self) -> SuggestJob | None:
        return self._job

    def _set(self, state: str, message: str) -> None:
        self.state, self.message = state, message
        self.stateChanged.emit(state, message)

    def _arrived(self, item) -> None:
        tag, kind, payload = item
        if tag != self.tag or self.project is None:
            return  # another project's, or an earlier generation's
        if kind == "state":
            state, message, *rest = payload
            self.unsaved = rest[0] if rest else None
            if state not in ("loading", self.state):  # said again: only the message changed
                # Loading may have given the project the model's labels and a fingerprint.
                self.project.invalidate_caches()
                cls = service_class()
                self._service = cls.from_project(self.project) if cls is not None else None
                settle_heap()
            self._set(state, message)
        elif kind == "suggestions":
            serial, article_id, spans = payload
            if serial >= self._newest.get(article_id, 0):
                self.suggestionsReady.emit(article_id, spans)

    @property
    def settled(self) -> bool:
        """True when no suggestions will come from the worker."""
        return self.state in ("off", "error")

    def preliminary(self, article_id: int) -> tuple[list[Span], bool]:
        """What can be drawn at once while the worker computes the final suggestions, and
        whether it is final already: the project keeps the article's machine suggestions
        and the decisions found in it, and nothing was accepted or changed since (at
        start-up, the article the window was last on)."""
        project = self.project
        if project is None:
            return [], False
        if self._service is not None:
            try:
                found, final = self._service.lookup(project, article_id)
            except Exception:  # a broken cache must not stop annotation
                log.exception("reading cached suggestions failed")
                found, final = None, False
            if found is not None:
                return found, final
        return fallback_suggestions(project, article_id), False

    def fallback(self, article_id: int) -> list[Span]:
        return fallback_suggestions(self.project, article_id) if self.project else []

    def request(self, article_id: int, ahead: Sequence[int]) -> bool:
        """Ask for `article_id`'s final suggestions; False when no worker will answer."""
        if self._job is None:
            return False
        serial = next(self._serials)
        self._newest[article_id] = serial
        self._job.request(serial, article_id, ahead)
        return True
