"""The entity panel beside the article: which entity the span at the cursor names, and the
knowledge base's candidates for it (name, description, id), numbered for Shift+1…9.

Shown only when the project has a knowledge base (or links). It draws what `set_mention`
gives it and says what was picked through `picked` (an entity id, "NIL" for "not in the
knowledge base", None to unlink); the window does the linking (linking.py). The field on
top looks entities up by any of their names when the mention is not one ("the Ukrainian
president"), or takes an id as it is.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from annotator.core.records import NIL

from .elided import ElidedLabel

WIDTH = 300
IdRole = Qt.UserRole + 1


def shifted(n: int) -> str:
    return f"⇧{n}"


class LinkPanel(QFrame):
    picked = Signal(object)  # an entity id, NIL, or None (unlink)
    lookup = Signal(str)  # text typed in the field: show the entities it names
    findArticles = Signal(str)  # an entity id: list the articles that mention it

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("linkPanel")
        self.setFrameShape(QFrame.NoFrame)
        self.setFixedWidth(WIDTH)
        self.setStyleSheet("QFrame#linkPanel { border-left: 1px solid palette(mid); }"
                           "QLabel#linkHeading { font-weight: 600; }"
                           "QLabel#linkHint { color: palette(dark); }"
                           "QListWidget#linkCandidates::item { padding: 4px 2px; }")
        self.heading = QLabel("Entity", self)
        self.heading.setObjectName("linkHeading")
        self.mention = ElidedLabel(self, "linkMention")
        self.current = QLabel(self)
        self.current.setObjectName("linkCurrent")
        self.current.setTextFormat(Qt.PlainText)
        self.current.setWordWrap(True)
        self.field = QLineEdit(self)
        self.field.setObjectName("linkSearch")
        self.field.setPlaceholderText("Look up by name, or type an id")
        self.field.setClearButtonEnabled(True)
        self.field.textEdited.connect(self.lookup.emit)
        self.field.returnPressed.connect(self._return)
        self.list = QListWidget(self)
        self.list.setObjectName("linkCandidates")
        self.list.setWordWrap(True)
        self.list.setFocusPolicy(Qt.NoFocus)  # keys stay with the article
        self.list.itemActivated.connect(lambda item: self.picked.emit(item.data(IdRole)))
        self.list.itemDoubleClicked.connect(lambda item: self.picked.emit(item.data(IdRole)))
        self.find_button = QPushButton("Articles mentioning it", self)
        self.find_button.setFocusPolicy(Qt.NoFocus)
        self.find_button.clicked.connect(self._find)
        self.hint = QLabel("⇧1–⇧9 link · ⇧0 not in the KB · ⇧Del unlink", self)
        self.hint.setObjectName("linkHint")
        self.hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(6)
        for w in (self.heading, self.mention, self.current, self.field):
            layout.addWidget(w)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.find_button)
        layout.addWidget(self.hint)
        self._linked: str | None = None
        self.ids: list[str] = []  # the candidates' ids, in the order of their keys
        self.set_mention(None)

    def set_mention(self, text: str | None, kb_id: str | None = None, suggested: bool = False,
                    name: str | None = None, candidates=()) -> None:  # fmt: skip
        """The span at the cursor (`text`; None: no span), its link (`kb_id`, suggested or
        stored, with the entity's `name`) and the candidates to offer."""
        self._linked = kb_id if not suggested else None
        if text is None:
            self.mention.setText("")
            self.current.setText("Put the cursor on a span to link it to an entity.")
        else:
            self.mention.setText(f"“{text}”")
            if kb_id is None:
                self.current.setText("Not linked")
            elif kb_id == NIL:
                self.current.setText(("Suggested: " if suggested else "") +
                                     "not in the knowledge base (NIL)")  # fmt: skip
            else:
                who = f"{name} ({kb_id})" if name else kb_id
                self.current.setText(("Suggested (A or ⇧ key confirms): " if suggested
                                      else "Linked to ") + who)  # fmt: skip
        self.find_button.setEnabled(bool(kb_id) and kb_id != NIL)
        self.find_button.setProperty("entity", kb_id)
        self.show_candidates(candidates if text is not None else ())

    def show_candidates(self, candidates) -> None:
        self.list.clear()
        self.ids = []
        for n, c in enumerate(list(candidates)[:9], start=1):
            self.ids.append(c.entity_id)
            chosen = f" · chosen {c.chosen}×" if c.chosen else ""
            how = {"folded": " · case/accents", "fuzzy": f" · sounds like “{c.alias}”",
                   "part": f" · part of “{c.alias}”",
                   "linked": " · linked before"}.get(c.match, "")  # fmt: skip
            desc = c.description if len(c.description) <= 90 else c.description[:89] + "…"
            mark = " ✓" if c.entity_id == self._linked else ""
            item = QListWidgetItem(f"{shifted(n)}  {c.name}{mark}   {c.entity_id}\n"
                                   f"      {desc or '(no description)'}{chosen}{how}")
            item.setData(IdRole, c.entity_id)
            item.setToolTip(f"{c.name} ({c.entity_id})\n{c.description}")
            self.list.addItem(item)
        nil = QListWidgetItem(f"{shifted(0)}  Not in the knowledge base (NIL)")
        nil.setData(IdRole, NIL)
        self.list.addItem(nil)

    def candidate(self, n: int) -> str | None:
        """The id of candidate `n` (1–9), NIL for 0, None past the list."""
        if n == 0:
            return NIL
        return self.ids[n - 1] if 1 <= n <= len(self.ids) else None

    def _return(self) -> None:
        text = self.field.text().strip()
        if self.ids:
            self.picked.emit(self.ids[0])
        elif text:
            self.picked.emit(text)  # an id typed as it is (refused if the KB lacks it)

    def _find(self) -> None:
        entity = self.find_button.property("entity")
        if entity:
            self.findArticles.emit(entity)
