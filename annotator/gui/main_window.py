"""The main window: the queue on the left, the current article on the right.

It shows the core and turns keys into core edits through QUndoCommands; every change is
written to the project file at once. Suggestions come from a worker thread; what is drawn
and when `a` may accept it is in `suggestion_display.py`. The File menu's work (projects,
import, export, labels, preferences) is in `project_actions.py`.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QApplication, QMainWindow, QSplitter

from annotator.core.annotation import (
    Flag,
    SetStatus,
    ShownSpan,
    SuggestSpans,
    accept_edit,
    shown_spans,
)
from annotator.core.project import Article, ConflictError, Project, ProjectError
from annotator.core.search_hits import phrase_hits, search_hits
from annotator.core.store.articles import entity_query

from . import dialogs, error_text, span_edits
from . import theme as themes
from .article_keys import ArticleKeys
from .article_panel import ArticlePanel
from .commands import FAILURES, EditCommand
from .elided import MessageBar
from .help_overlay import HelpOverlay
from .linking import Linking
from .menus import make_actions, make_menus
from .project_actions import ProjectActions
from .queue_panel import QueuePanel
from .review_mode import ReviewMode
from .settings import AppSettings
from .status_bar import WorkStatus
from .suggest_worker import SuggestionFeed
from .suggestion_display import SuggestionDisplay
from .training import Training

REFRESH_MS = 5000  # queue counts and "changed elsewhere" check
CONFLICT = "This article was changed in another window; reloaded"
ALL_DONE = "No pending articles left: all done!"


def guarded(fn):
    """Core errors become a message, never a traceback: the status bar for a problem with
    what was asked (no such article), a dialog when the file can't be read or written."""

    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except FAILURES as exc:
            if error_text.is_storage(exc):
                text = error_text.reason(exc)
                self.show_error(text[:1].upper() + text[1:] + ".", dialog=True)
            else:
                self.show_error(str(exc))
            return None

    return wrapper


class _DropFilter(QObject):
    """Lets files dropped on the article text reach the window's import."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window

    def eventFilter(self, obj, event) -> bool:
        if event.type() in (QEvent.DragEnter, QEvent.DragMove) and event.mimeData().hasUrls():
            event.acceptProposedAction()
            return True
        if event.type() == QEvent.Drop and event.mimeData().hasUrls():
            self.window.dropEvent(event)
            return True
        return False


class MainWindow(ArticleKeys, ProjectActions, SuggestionDisplay, Training, ReviewMode,
                 Linking, QMainWindow):  # fmt: skip
    articleShown = Signal(int)
    ready = Signal()  # the current article is shown with its final suggestions (or none come)

    def __init__(self, project_path: Path | str | None = None, settings: AppSettings | None = None,
                 article: int | None = None, start_worker: bool = True,
                 interactive: bool = True):  # fmt: skip
        """`interactive=False` (a screenshot run): never stop to ask (a new project then
        takes the preselected labels)."""
        super().__init__()
        self.interactive = interactive
        self.settings = settings or AppSettings()
        self.project: Project | None = None
        self.article: Article | None = None
        self.versions: dict[int, int] = {}  # article id -> version as last read or written here
        self.shown: list[ShownSpan] = []
        self._tokens = None
        self._start_worker = start_worker
        self._counts: dict = {"articles": 0}
        self.undo_stack = QUndoStack(self)
        self.feed = SuggestionFeed(self)
        self.terms_dialog = None  # Model → Terms… (terms_dialog.py), while open
        self.setAcceptDrops(True)
        self.resize(1200, 780)
        self._build()
        self._init_suggestions()
        self.apply_theme(self.settings.theme())
        if self.settings.geometry() is not None:
            self.restoreGeometry(self.settings.geometry())
        self.timer = QTimer(self, interval=REFRESH_MS)
        self.timer.timeout.connect(self.refresh_from_disk)
        self.timer.start()
        if project_path is not None:
            self.open_project(project_path, article=article)
        else:
            self._show_start()

    @property
    def annotator(self) -> str:
        return self.settings.annotator_name()

    @property
    def current_id(self) -> int | None:
        return self.article.id if self.article else None

    @property
    def version(self) -> int:
        """The current article's version when this window last read or wrote it."""
        return self.versions.get(self.current_id, 0) if self.article else 0

    @property
    def suggester_state(self) -> str:
        return self.feed.state

    # ---- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.side = QueuePanel(self)
        self.side.articleChosen.connect(self._chosen_in_queue)
        self.side.searchDone.connect(self.focus_article)
        self.side.searchApplied.connect(lambda _: self._show_search_hits(reveal=True))
        self.queue_model, self.queue = self.side.model, self.side.table
        self.search, self.status_filter = self.side.search, self.side.status_filter
        self.pages = ArticlePanel(self)
        self.view, self.label_bar = self.pages.view, self.pages.label_bar
        self.title_label, self.meta_label = self.pages.title_label, self.pages.meta_label
        self.status_pill = self.pages.status_pill
        self.import_button = self.pages.import_button
        self.samples_button = self.pages.samples_button
        self.label_bar.labelClicked.connect(self.apply_label)
        self.import_button.clicked.connect(self.import_files)
        self.samples_button.clicked.connect(self.import_samples)
        self.view.viewport().installEventFilter(_DropFilter(self))
        self.view.setAcceptDrops(False)
        self.splitter = QSplitter(Qt.Horizontal, self)
        self.splitter.addWidget(self.side)
        self.splitter.addWidget(self.pages)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([320, 880])
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(1)
        if self.settings.splitter() is not None:
            self.splitter.restoreState(self.settings.splitter())
        self.setCentralWidget(self.splitter)
        self.help = HelpOverlay(self)  # not in the splitter: it would become a pane
        self.setStatusBar(MessageBar(self))  # messages elide, the whole text on hover
        self.work = WorkStatus(self.statusBar())
        self.progress_label = self.work.progress_label
        self.session_label = self.work.session_label
        self.suggester_label = self.work.suggester_label
        handlers = {
            "accept": lambda: self.decide("accepted"),
            "reject": lambda: self.decide("rejected"),
            "skip": lambda: self.decide("skipped"),
            "delete": self.delete_span,
            "start_left": lambda: self.resize_span("start", +1),
            "start_right": lambda: self.resize_span("start", -1),
            "end_left": lambda: self.resize_span("end", -1),
            "end_right": lambda: self.resize_span("end", +1),
            "clear": self.clear,
            "previous": lambda: self.step(-1),
            "next": lambda: self.step(+1),
            "next_pending": self.next_pending,
            "search": self.side.focus_search,
            "undo": self.undo_stack.undo,
            "redo": self.undo_stack.redo,
            "help": self.help.toggle,
            "new": self.new_project,
            "open": self.choose_project,
            "import": self.import_files,
            "export": self.export,
            "labels": self.edit_labels,
            "preferences": self.edit_preferences,
            "train": self.train_now,
            "terms": self.show_terms,
            "quit": self.close,
        }
        handlers.update(self._init_article_keys())  # spans, zoom, flag: article_keys.py
        handlers["take_version"] = self.take_version  # review mode: review_mode.py
        handlers.update(self._init_linking())  # entity linking: linking.py
        self.actions_by_name = make_actions(self, handlers, self.apply_label_key)
        self.actions_by_name.update(self._init_training())  # Model menu: cancel, models
        self.actions_by_name.update(self._init_review())  # Model menu: agreement
        for name, signal in (("undo", self.undo_stack.canUndoChanged),
                             ("redo", self.undo_stack.canRedoChanged)):  # fmt: skip
            self.actions_by_name[name].setEnabled(False)
            signal.connect(self.actions_by_name[name].setEnabled)
        make_menus(self, self.actions_by_name, self._fill_recent, self.import_samples)

    def apply_theme(self, name: str) -> None:
        t = themes.theme(name)
        themes.apply(QApplication.instance(), t)
        self.queue_model.status_colours = dict(t.status)
        self.view.set_theme(t.dark)
        # The app style sheet pins the viewport's palette when it polishes: hand it the new one.
        self.view.viewport().setPalette(self.view.palette())
        self.help.set_theme(t.dark)
        if self.article is not None:
            self.pages.show_header(self.article, t)

    # ---- the project ------------------------------------------------------------------------
    def open_project(self, path: Path | str, article: int | None = None,
                     create: bool = True) -> bool:  # fmt: skip
        """Open (or, with `create`, make) a project file; on failure keep the current one."""
        try:
            project = Project(path, create=create)
        except ProjectError as exc:
            self.show_error(str(exc), dialog=True)
            return False
        self._close_project()
        self.project = project
        self.settings.add_recent(project.path)
        self.undo_stack.clear()
        self.versions.clear()
        self.setWindowTitle(f"{project.path.name} — Annotator"
                            + (" (read-only: nothing can be saved)" if project.read_only else ""))
        self.side.set_project(project)
        self.reload_labels()
        asking = self._start_worker and self.interactive and not project.read_only
        offer = self._label_offer(project) if asking else None  # (labels could not be saved)
        if offer is None:
            self.feed.start(project, run_worker=self._start_worker)
        else:  # asked over the window once it shows; suggestions start after the answer
            QTimer.singleShot(0, self, lambda p=project, o=offer: self._ask_first_labels(p, o))
        self._entity_names = {}
        self.link_panel.hide()
        self._show_start(article if article is not None else self.settings.last_article(path))
        self.refresh_linking()
        self.focus_start()
        if project.warning:
            self.show_error(project.warning, dialog=True)
        return True

    def _label_offer(self, project: Project) -> tuple[list, str] | None:
        """(choices, model name) when a project without labels would get them from its
        model or patterns; None when there is nothing to ask."""
        if project.label_names():
            return None
        from annotator.core.suggest.label_choice import project_label_choices

        choices, model = project_label_choices(
            project.get_setting("model", "auto"), project.get_setting("patterns"),
            project.get_setting("label_map", {}) or {})  # fmt: skip
        return (choices, model) if choices else None

    def _ask_first_labels(self, project: Project, offer: tuple[list, str]) -> None:
        """The new project's labels, chosen in a dialog over the window; then its
        suggestions start (so they never seed labels nobody chose)."""
        if self.project is not project:  # switched to another project meanwhile
            return
        names = dialogs.choose_labels(self, *offer)
        if self.project is not project:
            return
        if names and not project.label_names():  # another window may have chosen already
            project.ensure_labels(names)
            self.reload_labels()
        self.feed.start(project, run_worker=self._start_worker)
        self._update_status()
        if self.article is not None:
            self.show_article(self.article.id)
        self.activateWindow()  # back from the dialog: the first key acts on the article
        self.focus_article()

    def _close_project(self) -> None:
        if self.terms_dialog is not None:  # its decisions are saved: it only stops
            self.terms_dialog.close()
            self.terms_dialog = None
        self.feed.stop()  # never waits: a job still loading ends on its own, unheard
        self.stop_training()
        self.side.set_project(None)  # stops its search worker
        if self.project is not None:
            self.project.close()
        self.project, self.article = None, None

    def restart_suggestions(self) -> None:
        """The model or patterns changed: a new worker generation, the article asked again."""
        if self.project is None:
            return
        self.feed.start(self.project, run_worker=self._start_worker, settings_changed=True)
        self._update_status()
        if self.article is not None:
            self.show_article(self.article.id)

    def show_terms(self) -> None:
        """Model → Terms…: a label's word list grown from word vectors (not modal)."""
        if self.project is None:
            return
        from .terms_dialog import TermsDialog

        if self.terms_dialog is None or not self.terms_dialog.isVisible():
            self.terms_dialog = TermsDialog(self.project, self, self.annotator,
                                            changed=self.terms_changed)  # fmt: skip
        self.terms_dialog.show()
        self.terms_dialog.raise_()
        self.terms_dialog.activateWindow()

    def terms_changed(self) -> None:
        """The accepted terms changed: the worker computes the article's suggestions again
        (the decisions' signature holds the terms, so it does not answer from its cache)."""
        if self.article is not None and self.project is not None and not self.feed.settled:
            self._request_suggestions()

    def _show_start(self, target: int | None = None) -> None:
        """The article to start with: `target` if it exists, else the first pending one."""
        self._counts = self.project.counts() if self.project else {"articles": 0}
        if not self._counts["articles"]:
            self.article = None
            self.pages.show_empty(self.project is not None)
            self._update_status()
            self.ready.emit()
            return
        aid = None
        if target is not None:
            try:
                aid = self.project.article(target).id
            except ProjectError:
                aid = None
        if aid is None:
            aid = self.project.next_article_id() or self.project.article_ids()[0]
        self.show_article(aid)

    def colours(self) -> dict[str, str]:
        return {lab.name: lab.colour for lab in self.project.labels()} if self.project else {}

    def reload_labels(self) -> None:
        if self.project is None:
            return
        self.label_bar.set_labels(self.project.labels())
        self.view.set_colours(self.colours())
        if self.article is not None:
            self._redraw_spans()

    # ---- showing an article -----------------------------------------------------------------
    @guarded
    def show_article(self, article_id: int, message: str = "") -> None:
        article = self.project.article(article_id)
        self.article, self._tokens = article, None
        self.versions[article_id] = article.version
        self._take_suggestions(article_id)
        self.shown = shown_spans(self.project, article_id, self.suggestions or ())
        self.pages.show_header(article, themes.theme(self.settings.theme()))
        self._show_versions(article)
        self.view.set_article(article.text, self.shown, self.colours())
        self._show_search_hits(reveal=True)
        self.links_redrawn()
        self.settings.set_last_article(self.project.path, article_id)
        self.side.select(article_id)
        self._update_status()
        if message:
            self.statusBar().showMessage(message, 8000)
        self.articleShown.emit(article_id)
        if self.is_ready():
            self.ready.emit()

    def _show_search_hits(self, reveal: bool = False) -> None:
        """The search filtering the queue, highlighted in the article (and, with `reveal`,
        its first hit scrolled into view)."""
        if self.article is None:
            return
        query = self.side.model.search
        entity = entity_query(query)
        if entity is not None:  # kb:ID: the entity's mentions, linked or named
            hits = {(s.start, s.end) for s in self.shown if s.kb_id == entity}
            names = self.project.kb.aliases_of([entity]).get(entity, ())
            hits = sorted(hits | set(phrase_hits(self.article.text, list(names))))
        else:
            hits = search_hits(self.article.text, query) if query.strip() else []
        self.view.set_marks(hits)
        if hits and reveal:
            self.view.reveal(hits[0][0])

    def refresh_spans(self) -> None:
        """After this window changed the article: re-read it, redraw spans (keeps scroll)."""
        if self.article is None or self.project is None:
            return
        self.article = self.project.article(self.article.id)
        self.versions[self.article.id] = self.article.version
        self._redraw_spans()
        self.pages.show_header(self.article, themes.theme(self.settings.theme()))

    def _redraw_spans(self) -> None:
        """New suggestions or labels: redraw without taking in changes made elsewhere
        (the version check reports those before the next edit)."""
        if self.article is not None and self.project is not None:
            self.shown = shown_spans(self.project, self.article.id, self.suggestions or ())
            self.view.set_spans(self.shown)
            self.links_redrawn()

    def focus_article(self) -> None:
        self.view.setFocus()

    def _chosen_in_queue(self, article_id: int, clicked: bool) -> None:
        if article_id != self.current_id:
            self.show_article(article_id)
        if clicked:  # arrow keys in the queue keep the focus there
            self.focus_article()

    # ---- status and changes made elsewhere --------------------------------------------------
    def _update_status(self) -> None:
        self.work.update(self._counts, self.feed.state, self.feed.message, self.feed.unsaved)
        self.side.set_counts(self._counts)

    def show_error(self, message: str, dialog: bool = False) -> None:
        if dialog:
            dialogs.inform(self, "Annotator", message)
        else:
            self.statusBar().showMessage(message, 10000)

    def refresh_from_disk(self) -> None:
        """Cheap check for changes made elsewhere (timer, focus-in)."""
        if self.project is None:
            return
        try:
            counts = self.project.counts()
            if counts["articles"] != self._counts["articles"]:  # imported elsewhere
                self.side.reload()
                if self.article is None:
                    self._show_start()
            elif counts != self._counts:
                self.queue_model.invalidate()
            self._counts = counts
            self._update_status()
            if not self.link_panel.isVisible() and self.linking_on():  # `kb add` meanwhile
                self.refresh_linking()
            if self.article is not None:
                self.check_version()
        except ProjectError as exc:
            self.show_error(str(exc))

    def check_version(self) -> bool:
        """True if the current article is as this window last read it; else reload it."""
        if self.article is None or self.project is None:
            return False
        if self.project.article_version(self.article.id) == self.version:
            return True
        self.show_article(self.article.id, message=CONFLICT)
        return False

    def event(self, event) -> bool:
        if event.type() == QEvent.WindowActivate:
            QTimer.singleShot(0, self.refresh_from_disk)
        return super().event(event)

    # ---- editing ----------------------------------------------------------------------------
    def push(self, edits, text: str | None = None) -> None:
        if edits:
            self._cancel_pending_accept()
            self.undo_stack.push(EditCommand(self, edits, text))

    def edit_failed(self, what: str, article_id: int, exc: Exception) -> None:
        """A command could not write (and was dropped): say so once, after the stack is done
        with it; a conflict also reloads the article."""
        if isinstance(exc, ConflictError):
            if article_id == self.current_id:
                QTimer.singleShot(0, self, self.check_version)
            self.show_error(f"Not saved ({what}): {error_text.CONFLICT}; reloaded")
            return
        message = error_text.not_saved(what, exc)
        storage = error_text.is_storage(exc)
        QTimer.singleShot(0, self, lambda: self.show_error(message, dialog=storage))

    def edits_done(self, edits, undo: bool, first: bool) -> None:
        """Called by every command after it changed the project: redraw, and follow the
        edit to its article (undo/redo on another article goes there)."""
        aid = edits[0].article_id
        deciding = isinstance(edits[0], SetStatus)
        self._counts = self.project.counts()
        flagging = isinstance(edits[0], Flag) and self.side.filtering_flagged()
        if (deciding and self.side.filtering_status()) or flagging:
            self.side.reload()  # the article leaves (or, undone, rejoins) the filtered list
        else:
            self.queue_model.invalidate(aid)
        if deciding:
            self.work.session_count += -1 if undo else 1
        if deciding and not undo:
            self.after_decision(edits[0])  # retrain every N accepted
            nxt = self.project.next_article_id(aid)
            if nxt is None:
                self.show_article(aid, message=ALL_DONE)
            else:
                self.show_article(nxt)
        elif aid != self.current_id:
            verb = "Undid" if undo else "Redid"
            self.show_article(aid, message=f"{verb} “{edits[0].text}” on article {aid}")
        else:
            self.suggested_here([e for e in edits if isinstance(e, SuggestSpans)], undo)
            self.refresh_spans()
        self._update_status()

    def _can_edit(self) -> bool:
        if self.project is None or self.article is None or self.help.isVisible():
            return False
        return self.check_version()

    def tokens(self):
        if self._tokens is None:
            from annotator.core.tokens import token_index  # spaCy: only once a key needs it

            self._tokens = token_index(self.article.text, self.project.language)
        return self._tokens

    def _selection(self) -> tuple[int, int] | None:
        sel = self.view.selected_range()
        return None if sel is None or sel[0] == sel[1] else (min(sel), max(sel))

    def apply_label_key(self, key: str) -> None:
        if self.project is None:
            return
        name = next((lab.name for lab in self.project.labels() if lab.key == key), None)
        if name is None:
            self.show_error(f"No label has key {key} (File → Labels… to give it one)")
            return
        self.apply_label(name)

    @guarded
    def apply_label(self, label: str) -> None:
        """A selection gets the label (snapped to tokens); else the span at the cursor."""
        if not self._can_edit():
            return
        aid, selection = self.article.id, self._selection()
        if selection is not None:
            edits, message, snapped = span_edits.label_selection(
                aid, self.shown, self.tokens(), selection, label
            )
            if edits and snapped:  # the other occurrences, in the same undo step
                edits += span_edits.label_occurrences(aid, self.shown, self.tokens(), *snapped,
                                                      label)  # fmt: skip
            self.push(edits, f"label {label}")
            if snapped and edits:
                self.view.clear_selection()
        else:
            span = self.view.span_at_cursor()
            if span is None:
                self.show_error("Select some text first, or put the cursor on a span")
                return
            edits, message = span_edits.relabel(aid, span, label)
            if edits:
                edits += span_edits.label_occurrences(aid, self.shown, self.tokens(),
                                                      span.start, span.end, label)  # fmt: skip
            self.push(edits, f"relabel as {label}")
        if message:
            self.show_error(message)
        self.focus_article()

    @guarded
    def delete_span(self) -> None:
        if not self._can_edit():
            return
        edits, message = span_edits.delete(
            self.article.id, self.shown, self._selection(), self.view.span_at_cursor()
        )
        gone = {e.shown for e in edits}
        for shown in list(gone):
            more = span_edits.forget_occurrences(self.article.id, self.shown, self.tokens(), shown)
            edits += [e for e in more if e.shown not in gone and not gone.add(e.shown)]
        self.push(edits, "delete span" if len(edits) < 2 else f"delete {len(edits)} spans")
        if message:
            self.show_error(message)

    @guarded
    def resize_span(self, side: str, delta: int) -> None:
        if not self._can_edit():
            return
        span = self.view.span_at_cursor()
        if span is None:
            self.show_error("Put the cursor on a span to move its edges")
            return
        edits, message, new = span_edits.resize(
            self.article.id, self.shown, self.tokens(), span, side, delta
        )
        self.push(edits, "grow span" if delta > 0 else "shrink span")
        if message:
            self.show_error(message)
        if edits and new is not None and not new[0] <= self.view.cursor_offset() < new[1]:
            self.view.select_range(new[0], new[0])  # the next press moves the same span

    @guarded
    def decide(self, status: str) -> None:
        if not self._can_edit():
            return
        if status == "accepted":
            if not self.final:  # see suggestion_display: accept only what is final
                self._wait_to_accept()
                return
            edit = accept_edit(self.article.id, self.shown)
        else:
            edit = SetStatus(self.article.id, status)
        self.push([edit])

    def clear(self) -> None:
        if self.help.isVisible():
            self.help.close_overlay()
        self.view.clear_selection()
        self.focus_article()

    # ---- moving without deciding ------------------------------------------------------------
    @guarded
    def step(self, delta: int) -> None:
        """The next/previous article in the queue as filtered (or by id if not listed)."""
        if self.article is None:
            return
        aid = self.side.neighbour(self.article.id, delta)
        if aid is False:
            aid = self.project.neighbour_id(self.article.id, delta)
        if aid is None:
            self.statusBar().showMessage("No more articles this way", 4000)
        else:
            self.show_article(aid)

    @guarded
    def next_pending(self) -> None:
        if self.project is None:
            return
        aid = self.project.next_article_id(self.current_id)
        if aid is None:
            self.statusBar().showMessage(ALL_DONE, 6000)
        else:
            self.show_article(aid)

    @guarded
    def apply_filter(self) -> None:
        self.side.apply_filter()

    # ---- drag and drop, closing -------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            QTimer.singleShot(0, lambda: self.import_paths(files))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.help.isVisible():
            self.help.setGeometry(self.centralWidget().geometry())

    def closeEvent(self, event) -> None:
        self.timer.stop()
        self._note_timer.stop()
        self.settings.set_geometry(self.saveGeometry())
        self.settings.set_splitter(self.splitter.saveState())
        self._close_project()
        super().closeEvent(event)
