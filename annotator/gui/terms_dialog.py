"""Model → Terms…: grow a label's word list from word vectors, one candidate at a time.

Choose the label (and, if you like, a few seed words); the dialog shows the best
candidate, its similarity to the seeds, how often it occurs in the articles and a few
lines where it does. `a` accepts it (it becomes one of the label's terms: suggested at once
wherever it occurs, like a pattern rule, and a seed for the next candidates), `x` rejects
it (never proposed again for the label), space skips it for now, Ctrl+Z undoes the last
decision. Each decision is saved at once; closing keeps everything.

The ranking runs on a worker thread with its own project connection (`_TermsJob`): the
vectors take a second or two to load, and re-ranking after an accept tens of
milliseconds. Decisions are written here, on the UI thread, through the window's project
(so they are stored before the next key is read), then the worker is told. While it
answers, keys are ignored: a decision always concerns the candidate on screen. The window
asks its suggestion worker for the current article again after every change of the
accepted terms (`MainWindow.terms_changed`), so a new term shows in it at once.
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFont, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from annotator.core.project import Project
from annotator.core.store.terms import term_key

from . import error_text
from .commands import FAILURES
from .elided import ElidedLabel

log = logging.getLogger(__name__)

LOADING = "Loading word vectors and reading the articles…"
RANKING = "Ranking…"
NONE_LEFT = ("No more candidates for this label in the articles (more seed words, or “Words "
             "not in the articles too”, may find others)")  # fmt: skip
NO_SEEDS = ("No seeds for this label yet: type a few seed words above (or accept some "
            "mentions first)")  # fmt: skip
EXAMPLES = 3


class _Relay(QObject):
    delivered = Signal(object)  # (serial, kind, payload), from the worker thread


class _TermsJob:
    """The ranking's thread: builds a TermSession per label (the vectors and the articles'
    words are read once) and answers with the best candidate after every message."""

    def __init__(self, db_path: Path, relay: _Relay):
        self.db_path, self.relay = db_path, relay
        self.inbox: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="terms", daemon=True)
        self.stopped = threading.Event()

    def start(self) -> None:
        self.thread.start()

    def send(self, *message) -> None:
        self.inbox.put(message)

    def stop(self) -> None:
        self.stopped.set()
        self.inbox.put(None)

    def _emit(self, serial: int, kind: str, payload) -> None:
        if not self.stopped.is_set():
            self.relay.delivered.emit((serial, kind, payload))

    def _run(self) -> None:
        from annotator.core.terms.candidates import ArticleWords, TermSession
        from annotator.core.terms.contexts import examples
        from annotator.core.terms.vectors import load_vectors

        project = None
        session, words, serial = None, None, 0
        try:
            project = Project(self.db_path, create=False)
            while True:
                message = self.inbox.get()
                if message is None or self.stopped.is_set():
                    return
                kind, serial, *args = message
                try:
                    if kind == "open":
                        label, seeds, anywhere = args
                        vectors = load_vectors()
                        import spacy

                        nlp = spacy.blank(project.language)
                        if words is None:
                            words = ArticleWords.read(project, nlp, vectors,
                                                      should_stop=self.stopped.is_set)
                        session = TermSession(project, label, vectors, seeds=seeds,
                                              anywhere=anywhere, words=words, nlp=nlp)
                        self._emit(serial, "seeds", (list(session.seeds), session.seed_count,
                                                     words.complete))  # fmt: skip
                    elif session is None:
                        continue
                    elif kind == "decided":
                        session.decided(*args)
                    elif kind == "undone":
                        session.undone(*args)
                    elif kind == "skip":
                        session.skip(*args)
                    if not self.inbox.empty():
                        continue  # a newer message: answer that one
                    found = session.next()
                    shown = examples(project, found.text, EXAMPLES) if found else []
                    self._emit(serial, "candidate", (found, shown))
                except FAILURES as exc:  # no vectors, no such label, an unreadable file
                    session = None
                    self._emit(serial, "error", error_text.reason(exc))
        except Exception as exc:  # must never take the window down
            log.exception("terms failed")
            self._emit(serial, "error", f"Terms failed: {error_text.reason(exc)}")
        finally:
            if project is not None:
                project.close()


class TermsDialog(QDialog):
    """Needs the window's project (decisions are written through it) and, optionally, a
    callable run after the accepted terms changed."""

    def __init__(self, project: Project, parent: QWidget | None = None, annotator: str = "",
                 changed=None):  # fmt: skip
        super().__init__(parent)
        self.project, self.annotator, self._changed = project, annotator, changed
        self.setWindowTitle(f"Terms — {project.path.name}")
        self.candidate = None  # the Candidate on screen (None: none, or waiting)
        self.waiting = True
        self._no_seeds = False
        self._finished = False
        self.history: list[tuple[str, str, object]] = []  # (label, text, what it was before)
        self._serial = 0
        self._relay = _Relay()
        self._relay.delivered.connect(self._arrived)
        self._job = _TermsJob(project.path, self._relay)
        self._build()
        self._job.start()
        self._open()

    # ---- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.label_box = QComboBox(self)
        self.label_box.addItems(self.project.label_names())
        self.label_box.setFocusPolicy(Qt.ClickFocus)  # letters must reach the dialog
        self.label_box.activated.connect(lambda _: self._open())
        self.seed_edit = QLineEdit(self)
        self.seed_edit.setPlaceholderText("more seed words, comma-separated (Return)")
        self.seed_edit.returnPressed.connect(self._open)
        self.anywhere = QCheckBox("Words not in the articles too", self)
        self.anywhere.setFocusPolicy(Qt.ClickFocus)
        self.anywhere.setToolTip("Also propose words of the vector table that no article "
                                 "holds (for articles to come)")  # fmt: skip
        self.anywhere.toggled.connect(lambda _: self._open())
        self.seeds_label = ElidedLabel(self, "termSeeds")

        self.card = QFrame(self)
        self.card.setObjectName("termCard")
        self.card.setFrameShape(QFrame.StyledPanel)
        self.card.setFocusPolicy(Qt.StrongFocus)
        self.term_label = QLabel(self.card)
        self.term_label.setObjectName("termText")
        self.term_label.setTextFormat(Qt.PlainText)
        self.term_label.setAlignment(Qt.AlignCenter)
        font = QFont(self.term_label.font())
        font.setPointSizeF(font.pointSizeF() * 2.0)
        font.setWeight(QFont.DemiBold)
        self.term_label.setFont(font)
        self.score_label = QLabel(self.card)
        self.score_label.setTextFormat(Qt.PlainText)
        self.score_label.setAlignment(Qt.AlignCenter)
        self.examples_label = QLabel(self.card)
        self.examples_label.setTextFormat(Qt.PlainText)
        self.examples_label.setWordWrap(True)
        self.examples_label.setObjectName("termExamples")
        card = QVBoxLayout(self.card)
        card.setContentsMargins(18, 14, 18, 14)
        card.addWidget(self.term_label)
        card.addWidget(self.score_label)
        card.addSpacing(8)
        card.addWidget(self.examples_label)
        card.addStretch(1)

        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for name, text, slot in (("accept", "Accept (A)", lambda: self.decide("accept")),
                                 ("reject", "Reject (X)", lambda: self.decide("reject")),
                                 ("skip", "Skip (Space)", self.skip),
                                 ("undo", "Undo (Ctrl+Z)", self.undo)):  # fmt: skip
            button = QPushButton(text, self)
            button.setFocusPolicy(Qt.NoFocus)
            button.setAutoDefault(False)
            button.clicked.connect(slot)
            row.addWidget(button)
            self.buttons[name] = button
        self.counts_label = QLabel(self)
        self.counts_label.setTextFormat(Qt.PlainText)
        self.note = QLabel(self)
        self.note.setTextFormat(Qt.PlainText)
        self.note.setWordWrap(True)
        self.note.setObjectName("termNote")
        close = QDialogButtonBox(QDialogButtonBox.Close, self)
        close.rejected.connect(self.close)
        for button in close.buttons():
            button.setAutoDefault(False)
            button.setFocusPolicy(Qt.NoFocus)

        top = QHBoxLayout()
        top.addWidget(QLabel("Label", self))
        top.addWidget(self.label_box)
        top.addWidget(self.seed_edit, 1)
        top.addWidget(self.anywhere)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.seeds_label)
        layout.addWidget(self.card, 1)
        layout.addLayout(row)
        layout.addWidget(self.counts_label)
        layout.addWidget(self.note)
        layout.addWidget(close)
        self.resize(640, 420)
        self._show(None)

    @property
    def label(self) -> str:
        return self.label_box.currentText()

    # ---- talking to the worker --------------------------------------------------------------
    def _send(self, kind: str, *args) -> None:
        self.waiting = True
        self._set_enabled()
        self._job.send(kind, self._serial, *args)

    def _open(self) -> None:
        """(Re)start the session: another label, seeds or choice of words."""
        self._serial += 1
        self.candidate = None
        seeds = [s.strip() for s in self.seed_edit.text().split(",") if s.strip()]
        self._show(None, LOADING if self.seeds_label.text() == "" else RANKING)
        self._count()
        if not self.label:
            self._show(None, "The project has no labels (File → Labels…)")
            return
        self._send("open", self.label, seeds, self.anywhere.isChecked())
        self.card.setFocus()

    def _arrived(self, item) -> None:
        serial, kind, payload = item
        if serial != self._serial:
            return  # for a label or seeds no longer asked about
        if kind == "seeds":
            seeds, usable, complete = payload
            shown = ", ".join(seeds[:30]) + (", …" if len(seeds) > 30 else "")
            text = f"Seeds ({len(seeds)}): {shown}" if seeds else "Seeds: none yet"
            if not complete:
                text += " (the first articles only were read)"
            self.seeds_label.setText(text)
            self.seeds_label.setToolTip(", ".join(seeds))
            self._no_seeds = usable == 0
            return
        self.waiting = False
        if kind == "error":
            self.candidate = None
            self._show(None, payload)
        else:
            found, shown = payload
            self.candidate = found
            if found is None:
                self._show(None, NO_SEEDS if self._no_seeds else NONE_LEFT)
            else:
                self._show(found, NO_SEEDS if self._no_seeds else "",
                           shown)  # fmt: skip
        self._set_enabled()

    # ---- showing ----------------------------------------------------------------------------
    def _show(self, candidate, note: str = "", shown: list[str] | None = None) -> None:
        if candidate is None:
            self.term_label.setText("…" if self.waiting and not note else "")
            self.score_label.setText("")
            self.examples_label.setText("")
        else:
            self.term_label.setText(candidate.text)
            where = (f"{candidate.count} times in the articles" if candidate.count != 1
                     else "once in the articles") if candidate.count else \
                "not in the articles"  # fmt: skip
            self.score_label.setText(f"similarity {candidate.score:.2f} · {where}")
            self.examples_label.setText("\n".join(f"“{s}”" for s in shown or []))
        self.note.setText(note)
        self._set_enabled()

    def _count(self) -> None:
        if not self.label:
            self.counts_label.setText("")
            return
        terms = self.project.terms(self.label)
        accepted = sum(1 for t in terms if t.decision == "accept")
        text = f"{self.label}: {accepted} accepted, {len(terms) - accepted} rejected"
        if self.history:
            label, term, _ = self.history[-1]
            now = self.project.terms(label)
            decision = next((t.decision for t in now if t.key == term_key(term)), None)
            if decision is not None:
                text += f" · last: {decision}ed “{term}”"
        self.counts_label.setText(text)

    def _set_enabled(self) -> None:
        ready = not self.waiting and self.candidate is not None
        for name in ("accept", "reject", "skip"):
            self.buttons[name].setEnabled(ready)
        self.buttons["undo"].setEnabled(bool(self.history) and not self.waiting)

    # ---- deciding ---------------------------------------------------------------------------
    def decide(self, decision: str) -> None:
        if self.waiting or self.candidate is None:
            return
        label, text = self.label, self.candidate.text
        try:
            before = self.project.decide_terms(label, text, decision, self.annotator)[0]
        except FAILURES as exc:
            self.note.setText(f"Not saved: {error_text.reason(exc)}")
            return
        self.history.append((label, text, before))
        self.candidate = None
        self._count()
        self._send("decided", text, decision)
        if decision == "accept" or (before is not None and before.decision == "accept"):
            self._terms_changed()

    def skip(self) -> None:
        if self.waiting or self.candidate is None:
            return
        text, self.candidate = self.candidate.text, None
        self._send("skip", text)

    def undo(self) -> None:
        if self.waiting or not self.history:
            return
        label, text, before = self.history.pop()
        was = self.project.term_store.get(label, text)
        try:
            self.project.restore_term(label, text, before)
        except FAILURES as exc:
            self.history.append((label, text, before))
            self.note.setText(f"Not undone: {error_text.reason(exc)}")
            return
        self._count()
        if label == self.label:
            self.candidate = None
            self._send("undone", text)
        self.note.setText(f"Undone: “{text}”")
        if (was is not None and was.decision == "accept") or \
                (before is not None and before.decision == "accept"):  # fmt: skip
            self._terms_changed()

    def _terms_changed(self) -> None:
        if self._changed is not None:
            self._changed()

    # ---- keys and closing -------------------------------------------------------------------
    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.matches(QKeySequence.Undo):
            self.undo()
            return
        mods = event.modifiers() & ~Qt.KeypadModifier
        if mods in (Qt.NoModifier, Qt.ShiftModifier):
            key = event.key()
            if key == Qt.Key_A:
                self.decide("accept")
                return
            if key == Qt.Key_X:
                self.decide("reject")
                return
            if key == Qt.Key_Space:
                self.skip()
                return
        super().keyPressEvent(event)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self._finish()
        super().closeEvent(event)

    def done(self, result: int) -> None:  # Escape and Close end the worker too
        self._finish()
        super().done(result)

    def _finish(self) -> None:
        """The worker ends (it delivers nothing more); decisions are all saved already."""
        if not self._finished:
            self._finished = True
            self._job.stop()
            self._relay.delivered.disconnect(self._arrived)
