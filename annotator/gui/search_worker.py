"""Searching off the UI thread: a thread of its own, with its own connection to the project,
first builds whatever part of the full-text index is missing (articles imported before the
index was kept current, or by an older version), then runs the searches asked for.

Only the latest search waiting is run (typing asks for many); one asked for while the index
is being built runs when the index is complete, so its results are right.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from annotator.core.errors import ProjectError
from annotator.core.project import Project

from .queue_model import DISAGREEMENTS

CHUNK = 5000  # articles indexed per transaction: the write lock is held briefly
FIRST_PAGE = 256  # a search's first results, sent before all of them are counted


class SearchWorker(QObject):
    indexing = Signal(int)  # articles still to index; 0 when the index is complete
    # request token, ids in queue order, complete (False: the first page; all of them follow)
    found = Signal(int, object, bool)
    failed = Signal(int, str)  # request token (0: indexing), message

    def __init__(self, path: Path | str, parent=None):
        super().__init__(parent)
        self.path = Path(path)
        self._cond = threading.Condition()
        self._search: tuple | None = None  # (token, status, text, flagged, order): the latest
        self._index_wanted = True
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="annotator-search", daemon=True)
        self._thread.start()

    # ---- asked from the UI thread -------------------------------------------------------------
    def catch_up(self) -> None:
        """Index whatever is missing (articles were added elsewhere)."""
        with self._cond:
            self._index_wanted = True
            self._cond.notify()

    def request(self, token: int, status: str | None, text: str, flagged: bool,
                order: tuple[str, bool] = ("id", False)) -> None:  # fmt: skip
        """`order`: (sort key "id" or "status", descending)."""
        with self._cond:
            self._search = (token, status, text, flagged, order)
            self._cond.notify()

    def stop(self) -> None:
        """Never waits: a chunk being indexed is committed (or not) on its own."""
        with self._cond:
            self._stopped = True
            self._cond.notify()

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # ---- the thread ---------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            project = Project(self.path, create=False)
        except ProjectError as exc:
            self.failed.emit(0, str(exc))
            return
        try:
            while True:
                with self._cond:
                    while not (self._stopped or self._index_wanted or self._search):
                        self._cond.wait()
                    if self._stopped:
                        return
                    index, self._index_wanted = self._index_wanted, False
                    search, self._search = (None, self._search) if index else (self._search, None)
                if index:
                    self._index(project)
                if search is not None:
                    self._find(project, *search)
        finally:
            project.close()

    def _index(self, project: Project) -> None:
        try:
            left = project.articles.unindexed()
            if not left or project.read_only:  # read-only: searches read the rest as text
                return
            while left > 0 and not self._stopped:
                self.indexing.emit(left)
                if not project.articles.ensure_search_index(CHUNK, limit=CHUNK):
                    break
                left = project.articles.unindexed()
            self.indexing.emit(0)
        except Exception as exc:  # noqa: BLE001 (busy for long: again at the next catch-up)
            self.indexing.emit(0)
            self.failed.emit(0, str(exc))

    def _find(self, project: Project, token: int, status, text: str, flagged: bool,
              order: tuple[str, bool]) -> None:  # fmt: skip
        def ids(limit=None):
            return project.articles.ids(status, text, flagged, catch_up=False, limit=limit,
                                        sort=order[0], descending=order[1])  # fmt: skip

        try:
            if status == DISAGREEMENTS:  # a team file's ranking: seconds for 100k articles
                from annotator.core.team.review import disagreement_order

                self.found.emit(token, disagreement_order(project), True)
                return
            first = ids(FIRST_PAGE)  # shown at once (~1 ms at 1M), the count follows
            if len(first) < FIRST_PAGE:
                self.found.emit(token, first, True)
                return
            self.found.emit(token, first, False)
            with self._cond:
                if self._stopped or self._search is not None:  # a newer search: skip this one
                    return
            self.found.emit(token, ids(), True)
        except Exception as exc:  # noqa: BLE001 (shown, and the next search tries again)
            self.failed.emit(token, str(exc))
