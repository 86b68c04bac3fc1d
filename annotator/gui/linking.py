"""Entity linking in the window (a mixin of MainWindow): the entity panel beside the article
follows the span at the cursor; Shift+1…9 links it to the panel's candidate N, Shift+0 marks
it "not in the knowledge base" (NIL), Shift+Del takes the link away. Linking one mention
offers the same entity to the other mentions of the same string in the article, in the same
undo step (annotation.link_mention). A linked span shows its entity's name on hover and a
small mark; a suggested link (learnt from accepted articles, or offered) is drawn hollow,
and `a` stores it with the article, exactly as shown.

Needs from the window: project, article, shown, view, pages, side, push, _can_edit,
show_error, statusBar, focus_article.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer

from annotator.core.annotation import ShownSpan, link_mention
from annotator.core.records import NIL

PANEL_DELAY_MS = 40  # after the cursor settles: candidates are looked up once, not per step


class Linking:
    def _init_linking(self) -> dict:
        """Connect the entity panel; returns the handlers of the linking actions."""
        self.link_panel = self.pages.link_panel
        self.link_panel.picked.connect(self.link_to)
        self.link_panel.lookup.connect(self._look_up_typed)
        self.link_panel.findArticles.connect(self.find_entity)
        self._panel_timer = QTimer(self, singleShot=True, interval=PANEL_DELAY_MS)
        self._panel_timer.timeout.connect(self.update_link_panel)
        self.view.cursorPositionChanged.connect(self._panel_timer.start)
        self._entity_names: dict[str, str] = {}
        return {
            "link": self.link_candidate,
            "link_nil": lambda: self.link_to(NIL),
            "unlink": lambda: self.link_to(None),
        }

    # ---- the panel ------------------------------------------------------------------------
    def linking_on(self) -> bool:
        """The panel shows when the project has a knowledge base, or links."""
        project = self.project
        if project is None:
            return False
        try:
            return bool(project.kb.page(limit=1)) or project.has_links()
        except Exception:  # an unreadable KB must not stop annotation
            return False

    def refresh_linking(self) -> None:
        """After a project opened or its knowledge base changed."""
        on = self.linking_on()
        self.link_panel.setVisible(on)
        self.view.link_marks = on
        if on:
            self._name_links()
            self.update_link_panel()

    def _name_links(self) -> None:
        """The names of the entities the shown spans link to (hover, the panel)."""
        ids = {s.kb_id for s in self.shown if s.kb_id and s.kb_id != NIL}
        missing = [i for i in ids if i not in self._entity_names]
        if missing and self.project is not None:
            self._entity_names.update({i: e.name for i, e in self.project.kb.many(missing).items()})
        self.view.entity_names = self._entity_names

    def links_redrawn(self) -> None:
        """The shown spans changed (an article shown, an edit, new suggestions)."""
        if self.link_panel.isVisible():
            self._name_links()
            self._panel_timer.start()

    def update_link_panel(self) -> None:
        if not self.link_panel.isVisible():
            return
        span = self._link_target(quiet=True)
        if span is None or self.article is None:
            self.link_panel.set_mention(None)
            return
        from annotator.core.kb.lookup import candidates

        mention = self.article.text[span.start : span.end]
        try:
            found = candidates(self.project, mention)
        except Exception as exc:  # shown, never a traceback
            self.show_error(f"Looking up “{mention}” failed: {exc}")
            found = []
        name = self._entity_names.get(span.kb_id) if span.kb_id else None
        self.link_panel.field.clear()
        self.link_panel.set_mention(mention, span.kb_id, span.kb_suggested, name, found)

    def _look_up_typed(self, text: str) -> None:
        """The panel's field: the entities named by what was typed (an alias of theirs)."""
        from annotator.core.kb.lookup import candidates

        if self.project is None:
            return
        self.link_panel.show_candidates(candidates(self.project, text) if text.strip() else ())

    # ---- linking ----------------------------------------------------------------------------
    def _link_target(self, quiet: bool = False) -> ShownSpan | None:
        span = self.view.span_at_cursor()
        if span is None and not quiet:
            self.show_error("Put the cursor on a span to link it")
        return span

    def link_candidate(self, number: int) -> None:
        kb_id = self.link_panel.candidate(number)
        if kb_id is None:
            if self.link_panel.isVisible():
                self.show_error(f"The entity panel has no candidate {number}")
            else:
                self.show_error("This project has no knowledge base: add one with "
                                "`annotator kb add --db PROJECT FILE`")  # fmt: skip
            return
        self.link_to(kb_id)

    def link_to(self, kb_id: str | None) -> None:
        """Link the span at the cursor to `kb_id` (NIL: not in the knowledge base; None:
        no link), and offer it to the other mentions of the same string (one undo step).
        An id the knowledge base does not hold is refused, in the status bar."""
        if not self._can_edit():
            return
        span = self._link_target()
        if span is None:
            return
        if kb_id == span.kb_id and not span.kb_suggested:
            return
        if kb_id is not None and kb_id != NIL and self.project.kb.get(kb_id) is None:
            self.show_error(f"“{kb_id}” is not in this project's knowledge base: not linked")
            return
        edits = link_mention(self.article.id, self.shown, self.article.text, span, kb_id)
        self.push(edits, "unlink" if kb_id is None else f"link to {kb_id}")
        self.focus_article()

    def find_entity(self, kb_id: str) -> None:
        """The queue lists the articles that mention the entity (the search `kb:ID`)."""
        self.side.search.setText(f"kb:{kb_id}")
        self.side.apply_filter()
