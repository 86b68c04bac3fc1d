"""Keyboard work on the article, as a mixin of MainWindow: where the focus starts, stepping
between spans (Tab / Shift+Tab, j / k), the text size (Ctrl+= / Ctrl+- / Ctrl+0), flagging
an article for later (f), and the status bar's note on suggestions out of view.

Needs from the window: project, article, settings, view, side, pages, work, push,
_can_edit, show_error, statusBar.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer

from annotator.core.annotation import Flag

from . import dialogs
from .article_view import DEFAULT_POINT_SIZE

ZOOM_STEP = 1.5  # points per Ctrl+= / Ctrl+-
OUT_OF_VIEW_DELAY_MS = 60


class ArticleKeys:
    def _init_article_keys(self) -> dict:
        """Connect the view; returns the handlers of this mixin's actions."""
        self.view.tabbed.connect(self.step_span)
        # Counted a moment after the view settles, not inside every scroll step or the
        # accept -> next article path (finding the last visible position lays text out).
        self._out_of_view_timer = QTimer(self, singleShot=True, interval=OUT_OF_VIEW_DELAY_MS)
        self._out_of_view_timer.timeout.connect(self._update_out_of_view)
        self.view.visibleChanged.connect(self._out_of_view_timer.start)
        return {
            "next_span": lambda: self.step_span(+1),
            "previous_span": lambda: self.step_span(-1),
            "flag": self.toggle_flag,
            "zoom_in": lambda: self.zoom(+ZOOM_STEP),
            "zoom_out": lambda: self.zoom(-ZOOM_STEP),
            "zoom_reset": lambda: self.zoom(None),
        }

    # ---- focus ------------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802
        # Here, not when built: the app style sheet's polish would reset the font.
        self.view.set_point_size(self.settings.text_size(DEFAULT_POINT_SIZE))
        super().showEvent(event)
        self.focus_start()
        QTimer.singleShot(0, self, self.focus_start)  # after Qt gave the first widget focus

    def focus_start(self) -> None:
        """The first key acts on the article (not the search box), once one is shown."""
        if self.article is not None and self.pages.currentIndex() == self.pages.ARTICLE:
            self.view.setFocus()

    # ---- spans ------------------------------------------------------------------------------
    def step_span(self, delta: int) -> None:
        if self.article is None or self.help.isVisible():
            return
        self.view.setFocus()
        if self.view.step_span(delta) is None:
            where = "after the cursor" if delta > 0 else "before the cursor"
            self.statusBar().showMessage(f"No span {where}", 3000)

    def _update_out_of_view(self) -> None:
        above, below = self.view.suggestions_out_of_view() if self.article else (0, 0)
        self.work.set_out_of_view(above, below)

    # ---- text size --------------------------------------------------------------------------
    def zoom(self, step: float | None) -> None:
        """Larger or smaller text (None: the normal size), remembered between runs."""
        size = DEFAULT_POINT_SIZE if step is None else self.view.point_size() + step
        size = self.view.set_point_size(size)
        self.settings.set_text_size(size)
        self.statusBar().showMessage(f"Text size {size:g} pt", 2000)

    # ---- flag for later ---------------------------------------------------------------------
    def toggle_flag(self) -> None:
        """`f`: flag the article with an optional note; on a flagged one, clear the flag."""
        if not self._can_edit():
            return
        if self.article.flagged:
            self.push([Flag(self.article.id, False)])
            return
        title = self.article.title.strip() or f"Article {self.article.id}"
        note = dialogs.ask_flag_note(self, title)
        self.view.setFocus()
        if note is not None:
            self.push([Flag(self.article.id, True, note)])
