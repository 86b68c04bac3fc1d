"""The current article's suggestions in the window (a mixin of MainWindow): what is drawn,
whether it is final, and what `a` does before it is.

An article is drawn at once with what is certain or cached (`preliminary`: cached machine
suggestions, or the imported ones) and a "Loading suggestions…" note; the worker's result,
which also holds the project's own decisions, replaces it and is *final*. When the project
kept the decisions found in the article and nothing was accepted or changed since (the
article the window was last on, at start-up), the cache alone is final and drawn so at
once. Spans that change when the worker's result replaces what was drawn glow for a moment
(`ArticleView.flash`), so the eye catches them. `ready` is emitted only when the final
suggestions are drawn, or when no worker will deliver (off or failed: then the imported
suggestions are final).

Accept (`a`) stores exactly what is on screen, and only final suggestions:

- final on screen: accepted at once;
- not final yet: `a` is remembered, the note says "Accepting when the suggestions are
  in…", and when the final suggestions arrive the article is accepted if they are what
  was on screen when `a` was pressed. If they differ, nothing is stored and the status bar
  says to look again. Any edit, decision or move in between cancels the waiting accept.

So a fast annotator can press `a` as soon as the article looks right, without watching for
the note to go, and an accept never stores a set of spans nobody saw (nor, by accident,
none at all while the model loads).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QTimer

from annotator.core.records import Span
from annotator.core.suggest.service import PATTERNS_ONLY
from annotator.core.team.review import has_versions

PREFETCH = 5  # pending articles whose machine suggestions are computed ahead
NOTE_AFTER_MS = 150  # the note shows only if the final suggestions take longer than this
# With cached suggestions on screen, the worker's pass (which adds the project's decisions,
# tokenizing in Python) starts this much later, so that it does not hold the GIL while the
# next article is laid out and painted (bench_window, accept -> next drawn: 57 -> 32 ms
# median on the same machine).
ASK_WORKER_AFTER_MS = 80
LOADING_NOTE = "Loading suggestions…"
WAITING_NOTE = "Accepting when the suggestions are in…"
CHANGED = "The suggestions changed after you pressed A: nothing was accepted, press A again"


@dataclass(frozen=True)
class PendingAccept:
    article_id: int
    version: int
    shown: frozenset  # (start, end, label) of the suggestions on screen when `a` was pressed


class SuggestionDisplay:
    """Needs from the window: project, article, feed, pages, view, shown, version, ready,
    show_error, statusBar, _redraw_spans, decide."""

    suggestions: list[Span] | None
    final: bool
    _pending_accept: PendingAccept | None

    def _init_suggestions(self) -> None:
        self.suggestions = None  # what is drawn (None: nothing yet)
        self.final = False  # True: the drawn suggestions are the final ones
        self._pending_accept = None
        self._ask_timer = QTimer(self, singleShot=True, interval=ASK_WORKER_AFTER_MS)
        self._ask_timer.timeout.connect(self._request_suggestions)
        self._note_timer = QTimer(self, singleShot=True, interval=NOTE_AFTER_MS)
        self._note_timer.timeout.connect(self._update_note)
        self.feed.stateChanged.connect(self._suggester_state)
        self.feed.suggestionsReady.connect(self._suggestions_ready)

    def is_ready(self) -> bool:
        return self.article is None or self.final

    def _take_suggestions(self, article_id: int) -> None:
        """For a newly shown article: the final suggestions if no worker will deliver,
        else what can be drawn now, and ask the worker for the final ones."""
        self._pending_accept = None
        if has_versions(self.project, article_id):  # review: the versions are compared, and
            self.suggestions, self.final = [], True  # a taken one is exactly what is accepted
            self._note_timer.stop()
            self.pages.set_note(None)
            return
        if self.feed.settled:
            self.suggestions, self.final = self.feed.fallback(article_id), True
        else:
            # final already when the project kept everything the worker would add; the
            # worker is asked all the same (a new model may change them: they glow then)
            self.suggestions, self.final = self.feed.preliminary(article_id)
            if self.suggestions or self.final:  # drawn: let the paint go first (ASK_...)
                self._ask_timer.start()
            else:
                self._request_suggestions()
        self._note_timer.stop()
        self.pages.set_note(None)
        if not self.final:
            self._note_timer.start()

    def _request_suggestions(self) -> None:
        """Ask the worker for this article's final suggestions, and to prefetch the
        machine suggestions of the next pending ones."""
        if self.article is None or self.project is None:
            return
        ahead, after = [], self.article.id
        for _ in range(PREFETCH):
            after = self.project.next_article_id(after)
            if after is None or after in ahead or after == self.article.id:
                break
            ahead.append(after)
        self.feed.request(self.article.id, ahead)

    def _suggestions_ready(self, article_id: int, spans: list) -> None:
        if self.article is None or article_id != self.article.id:
            return
        if self.final and list(spans) == list(self.suggestions or ()):
            return  # drawn as final from the project's cache, and confirmed: nothing moves
        self._set_final(list(spans))

    def _suggester_state(self, state: str, message: str) -> None:
        if self.project is None:
            return
        if state != "loading":  # loading may have given the project the model's labels
            self.reload_labels()
        if state == "ready" and message.endswith(PATTERNS_ONLY):  # the model has no DRUG label
            self.statusBar().showMessage(message, 15000)
        if self.article is not None and not self.final and self.feed.settled:
            self._set_final(self.feed.fallback(self.article.id))
        self._update_status()

    def _set_final(self, spans: list[Span]) -> None:
        before = {(s.start, s.end, s.label): s for s in self.shown if not s.confirmed}
        drawn = bool(self.suggestions)  # something was on screen already
        self.suggestions, self.final = spans, True
        self._redraw_spans()
        if drawn:  # what changed under the annotator's eyes glows for a moment
            after = {(s.start, s.end, s.label): s for s in self.shown if not s.confirmed}
            added = [s for k, s in after.items() if k not in before]
            gone = [s for k, s in before.items() if k not in after]
            if added or gone:
                self.view.flash(added, gone)
        self._note_timer.stop()
        self.pages.set_note(None)
        self.ready.emit()
        pending, self._pending_accept = self._pending_accept, None
        if pending is not None:
            self._finish_accept(pending)

    # ---- accept ---------------------------------------------------------------------------
    def _shown_suggestions(self) -> frozenset:
        return frozenset((s.start, s.end, s.label) for s in self.shown if not s.confirmed)

    def _wait_to_accept(self) -> None:
        """`a` before the final suggestions are drawn: accept when they are, if unchanged."""
        if self._pending_accept is None:
            self._pending_accept = PendingAccept(
                self.article.id, self.version, self._shown_suggestions()
            )
        self._note_timer.stop()
        self._update_note()

    def _finish_accept(self, pending: PendingAccept) -> None:
        if self.article is None or self.article.id != pending.article_id:
            return
        if self.version != pending.version or self._shown_suggestions() != pending.shown:
            self.show_error(CHANGED)
            return
        self.decide("accepted")

    def _cancel_pending_accept(self) -> None:
        if self._pending_accept is not None:
            self._pending_accept = None
            self._update_note()

    def _update_note(self) -> None:
        if self.article is None or self.final:
            self.pages.set_note(None)
        else:
            self.pages.set_note(WAITING_NOTE if self._pending_accept else LOADING_NOTE)

    def suggested_here(self, edits, undo: bool) -> None:
        """Suggestions this window just stored with the article (other occurrences of a
        mention it labelled) join, or on undo leave, the ones drawn: they are as final as
        the rest, so nothing is asked of the worker."""
        for edit in edits:
            spans = set(edit.spans)
            kept = [s for s in (self.suggestions or []) if s not in spans]
            self.suggestions = kept if undo else kept + list(edit.spans)

