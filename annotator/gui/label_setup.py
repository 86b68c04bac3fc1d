"""The labels of a new project: the first time suggestions would give a project its labels,
the window offers the model's and the patterns' labels with spaCy's descriptions, the
common news labels ticked, and a field to add labels of one's own."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from annotator.core.errors import LabelNameError
from annotator.core.store.labels import checked_name
from annotator.core.suggest.label_choice import LabelChoice, describe


class LabelSetupDialog(QDialog):
    def __init__(self, parent: QWidget | None, choices: list[LabelChoice], model: str):
        super().__init__(parent)
        self.setWindowTitle("Labels for this project")
        from_patterns = any("patterns" in c.source for c in choices)
        origin = " and ".join(
            [*([model] if model else []), *(["the patterns file"] if from_patterns else [])])
        intro = QLabel(
            f"Which labels do you want to annotate? These are the ones {origin} can suggest; "
            "suggestions with other labels are not shown. You can change labels later "
            "(File ▸ Labels…, Ctrl+L).",
            self,
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.PlainText)
        self.list = QListWidget(self)
        self.list.setObjectName("labelChoices")
        for choice in choices:
            self._add_item(choice.name, choice.description, choice.chosen)
        self.own = QLineEdit(self)
        self.own.setObjectName("ownLabels")
        self.own.setPlaceholderText("Add your own: DRUG, DOSE")
        self.own.installEventFilter(self)  # Enter adds (see eventFilter)
        add = QPushButton("Add", self)
        add.setAutoDefault(False)  # Enter in the field adds; it never closes the dialog
        add.clicked.connect(self.add_own)
        row = QHBoxLayout()
        row.addWidget(self.own, 1)
        row.addWidget(add)
        self.error = QLabel("", self)
        self.error.setTextFormat(Qt.PlainText)
        self.error.setObjectName("labelError")
        self.error.hide()
        # Buttons of our own, not the standard Ok/Cancel: the style would give "Use the
        # defaults" a cancel icon (a red cross), and it is a choice, not a cancel.
        self.buttons = QDialogButtonBox(self)
        self.use = self.buttons.addButton("Use these labels", QDialogButtonBox.AcceptRole)
        self.use_defaults = self.buttons.addButton("Use the defaults",
                                                   QDialogButtonBox.RejectRole)  # fmt: skip
        self.use.setDefault(True)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(520, 520)
        self.defaults = self.chosen()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        """Enter in "Add your own" adds what was typed and stays there, so several labels
        can be added one after another (the dialog would otherwise take it as "Use these
        labels"); elsewhere Enter uses the ticked labels."""
        if (obj is self.own and event.type() == QEvent.KeyPress
                and event.key() in (Qt.Key_Return, Qt.Key_Enter)):  # fmt: skip
            self.add_own()
            return True
        return super().eventFilter(obj, event)

    def _add_item(self, name: str, description: str, checked: bool) -> QListWidgetItem:
        item = QListWidgetItem(f"{name}  —  {description}" if description else name)
        item.setData(Qt.UserRole, name)
        item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
        item.setCheckState(Qt.Checked if checked else Qt.Unchecked)
        self.list.addItem(item)
        return item

    def names(self) -> list[str]:
        return [self.list.item(i).data(Qt.UserRole) for i in range(self.list.count())]

    def chosen(self) -> list[str]:
        return [self.list.item(i).data(Qt.UserRole) for i in range(self.list.count())
                if self.list.item(i).checkState() == Qt.Checked]  # fmt: skip

    def add_own(self) -> None:
        """Labels typed in the field (comma-separated) join the list, ticked."""
        known = self.names()
        for raw in self.own.text().split(","):
            if not raw.strip():
                continue
            try:
                name = checked_name(raw.strip())
            except LabelNameError as exc:
                self._say(str(exc))
                return
            if name in known:
                self.list.item(known.index(name)).setCheckState(Qt.Checked)
            else:
                self._add_item(name, describe(name), True)
                known.append(name)
        self.own.clear()
        self.error.hide()

    def _say(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _accept(self) -> None:
        if self.own.text().strip():  # typed but not added yet: add it
            self.add_own()
            if self.error.isVisible():
                return
        if not self.chosen():
            self._say("Tick at least one label.")
            return
        self.accept()


def choose_labels(parent: QWidget | None, choices: list[LabelChoice], model: str) -> list[str]:
    """The labels the user ticked; Cancel (or closing the dialog) gives the defaults."""
    dlg = LabelSetupDialog(parent, choices, model)
    return dlg.chosen() if dlg.exec() == QDialog.Accepted else dlg.defaults
