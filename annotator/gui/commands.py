"""QUndoCommands over the core's reversible edits.

One command holds one or more `Edit`s of one article (e.g. "remove the overlapped spans
and add the new one") and applies them in one transaction. `redo()`/`undo()` only call
the core and then tell the window what changed; the window decides what to redraw and
navigates back to the article when an undo or redo concerns another one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from PySide6.QtGui import QUndoCommand

from annotator.core.annotation import Edit
from annotator.core.project import Project, ProjectError


class EditHost(Protocol):
    project: Project
    annotator: str

    def edits_done(self, edits: Sequence[Edit], undo: bool, first: bool) -> None: ...

    def show_error(self, message: str) -> None: ...


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
        host = self.host
        try:
            with host.project.write():
                for edit in self.edits:  # a redo keeps the span ids of the first time
                    edit.apply(host.project, host.annotator)
        except ProjectError as exc:
            self.setObsolete(True)  # the stack drops it: nothing was written
            host.show_error(f"Could not {self.text()}: {exc}")
            return
        first = not self._done_once
        self._done_once = True
        host.edits_done(self.edits, undo=False, first=first)

    def undo(self) -> None:
        host = self.host
        try:
            with host.project.write():
                for edit in reversed(self.edits):
                    edit.revert(host.project, host.annotator)
        except ProjectError as exc:
            self.setObsolete(True)
            host.show_error(f"Could not undo {self.text()}: {exc}")
            return
        host.edits_done(self.edits, undo=True, first=False)
