"""QUndoCommands over the core's reversible edits.

One command holds one or more `Edit`s of one article (e.g. "remove the overlapped spans
and add the new one") and applies them in one write transaction that first checks the
article is at the version this window last saw (`Project.write(expect=...)`), so two
windows can never both apply an edit based on the same state. `redo()`/`undo()` only call
the core and then tell the window what changed.

A failure (the file locked too long, read-only, the disk full, a conflict, an integrity
error) rolls the transaction back, makes the command obsolete, so QUndoStack drops it
instead of keeping a command that did nothing, and is reported to the window, which
says so in one sentence. Nothing escapes into Qt.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Protocol

from PySide6.QtGui import QUndoCommand

from annotator.core.annotation import Edit
from annotator.core.project import Project, ProjectError

FAILURES = (ProjectError, sqlite3.Error)


class EditHost(Protocol):
    project: Project
    annotator: str
    versions: dict[int, int]  # article id -> its version as this window last read or wrote it

    def edits_done(self, edits: Sequence[Edit], undo: bool, first: bool) -> None: ...

    def edit_failed(self, what: str, article_id: int, exc: Exception) -> None: ...


class EditCommand(QUndoCommand):
    def __init__(self, host: EditHost, edits: Sequence[Edit], text: str | None = None):
        super().__init__(text or edits[0].text)
        self.host = host
        self.edits = list(edits)
        self._done_once = False

    @property
    def article_id(self) -> int:
        return self.edits[0].article_id

    def redo(self) -> None:
        if self._run(undo=False):
            first = not self._done_once
            self._done_once = True
            self.host.edits_done(self.edits, undo=False, first=first)

    def undo(self) -> None:
        if self._run(undo=True):
            self.host.edits_done(self.edits, undo=True, first=False)

    def _run(self, undo: bool) -> bool:
        host, aid = self.host, self.article_id
        project = host.project
        try:
            with project.write(expect=(aid, host.versions.get(aid))):
                if undo:
                    for edit in reversed(self.edits):
                        edit.revert(project, host.annotator)
                else:
                    for edit in self.edits:  # a redo keeps the span ids of the first time
                        edit.apply(project, host.annotator)
                version = project.article_version(aid)
        except FAILURES as exc:  # rolled back: nothing was written
            self.setObsolete(True)  # the stack drops it
            what = f"undo {self.text()}" if undo else self.text()
            host.edit_failed(what, aid, exc)
            return False
        host.versions[aid] = version
        return True
