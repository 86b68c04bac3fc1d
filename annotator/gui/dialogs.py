"""Dialogs: labels, preferences, export, import with progress, and the small ask/inform
helpers. Tests replace `ask`, `inform` and the `choose_*` functions with monkeypatch, so
the window always calls them through this module (`dialogs.ask(...)`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt, QThread, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from annotator.core import colours
from annotator.core.project import LabelInUseError, Project, ProjectError
from annotator.core.wording import plural

# Project settings the suggestion service reads (see annotator.core.suggest.service).
MODEL_SETTING = "model"
PATTERNS_SETTING = "patterns"
# Project settings the window's training reads (see gui/training.py).
RETRAIN_SETTING = "retrain_every"  # accepted articles between trainings; 0: never
RETRAIN_DEFAULT = 100
TRAIN_BASE_SETTING = "train_base"  # `annotator train --base`; unset: auto
IMPORT_FILTER = "Articles (*.txt *.jsonl *.json *.csv);;All files (*)"
PROJECT_FILTER = "Annotator projects (*.annotator.db *.db *.sqlite);;All files (*)"


# ---- small helpers tests monkeypatch -------------------------------------------------------
def ask(parent: QWidget | None, title: str, text: str) -> bool:
    box = QMessageBox(QMessageBox.Question, title, text, QMessageBox.Yes | QMessageBox.No, parent)
    box.setTextFormat(Qt.PlainText)
    return box.exec() == QMessageBox.Yes


def inform(parent: QWidget | None, title: str, text: str, detail: str = "") -> None:
    box = QMessageBox(QMessageBox.Information, title, text, QMessageBox.Ok, parent)
    box.setTextFormat(Qt.PlainText)
    if detail:
        box.setDetailedText(detail)
    box.exec()


def report_error(parent: QWidget | None, text: str, details: str) -> None:
    """Something unexpected went wrong: a short message, the traceback under "Show
    Details…", and a "Copy details" button for a bug report."""
    box = QMessageBox(QMessageBox.Critical, "Annotator", text, QMessageBox.Close, parent)
    box.setTextFormat(Qt.PlainText)
    box.setDetailedText(details)
    copy = box.addButton("Copy details", QMessageBox.ActionRole)
    while True:
        box.exec()
        if box.clickedButton() is not copy:
            return
        QApplication.clipboard().setText(details)
        copy.setText("Copied")


def ask_flag_note(parent: QWidget | None, title: str) -> str | None:
    """`f`: an optional note for flagging an article. None: cancelled (nothing flagged)."""
    dlg = QDialog(parent)
    dlg.setWindowTitle("Flag for later")
    text = QLabel(f"Flag “{title[:80]}” for later. Note (optional):", dlg)
    text.setTextFormat(Qt.PlainText)
    note = QLineEdit(dlg)
    note.setPlaceholderText("e.g. ask about the ORG in paragraph 2")
    buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, dlg)
    buttons.button(QDialogButtonBox.Ok).setText("Flag")
    buttons.accepted.connect(dlg.accept)
    buttons.rejected.connect(dlg.reject)
    layout = QVBoxLayout(dlg)
    layout.addWidget(text)
    layout.addWidget(note)
    layout.addWidget(buttons)
    dlg.resize(420, dlg.sizeHint().height())
    return note.text().strip() if dlg.exec() == QDialog.Accepted else None


def choose_labels(parent: QWidget | None, choices: list, model: str) -> list[str]:
    """A new project's labels (see label_setup): the ticked ones, or the defaults."""
    from .label_setup import choose_labels as run

    return run(parent, choices, model)


def choose_files(parent: QWidget | None) -> list[Path]:
    names, _ = QFileDialog.getOpenFileNames(parent, "Import articles", "", IMPORT_FILTER)
    return [Path(n) for n in names]


def choose_open_project(parent: QWidget | None) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(parent, "Open project", "", PROJECT_FILTER)
    return Path(name) if name else None


def choose_new_project(parent: QWidget | None) -> Path | None:
    name, _ = QFileDialog.getSaveFileName(
        parent, "New project", "untitled.annotator.db", PROJECT_FILTER
    )
    return Path(name) if name else None


def choose_folder(parent: QWidget | None, start: str = "") -> Path | None:
    name = QFileDialog.getExistingDirectory(parent, "Export to folder", start)
    return Path(name) if name else None


def choose_file(parent: QWidget | None, title: str, start: str = "", filt: str = "") -> Path | None:
    name, _ = QFileDialog.getOpenFileName(parent, title, start, filt)
    return Path(name) if name else None


def choose_colour(parent: QWidget | None, initial: str) -> str | None:
    colour = QColorDialog.getColor(QColor(initial), parent, "Label colour")
    return colour.name() if colour.isValid() else None


def swatch(colour: str, size: int = 14) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(QColor(colour))
    return QIcon(pix)


# ---- work in a thread with a progress dialog ------------------------------------------------
class TaskThread(QThread):
    """Runs fn(project, progress, cancelled) with its own Project (one per thread)."""

    progressed = Signal(int, int)

    def __init__(self, db_path: Path, fn: Callable):
        super().__init__()
        self.db_path, self.fn = db_path, fn
        self.result = None
        self.error: Exception | None = None
        self.cancelled = False
        self._last = -1

    def _progress(self, done: int, total: int) -> None:
        permille = int(1000 * done / total) if total else 0
        if permille != self._last:  # at most 1000 signals, however many callbacks
            self._last = permille
            self.progressed.emit(permille, 1000 if total else 0)

    def run(self) -> None:
        try:
            with Project(self.db_path) as project:
                self.result = self.fn(project, self._progress, lambda: self.cancelled)
        except Exception as exc:  # shown to the user by the caller
            self.error = exc


def run_task(parent: QWidget | None, title: str, label: str, db_path: Path, fn: Callable,
             cancellable: bool = True) -> TaskThread:  # fmt: skip
    """Run fn in a thread while a (cancellable) progress dialog shows; the window keeps
    painting. Returns the finished thread: .result, .error, .cancelled."""
    dlg = QProgressDialog(label, "Cancel" if cancellable else None, 0, 0, parent)
    dlg.setWindowTitle(title)
    dlg.setWindowModality(Qt.WindowModal)
    dlg.setMinimumDuration(400)
    dlg.setAutoClose(False)
    dlg.setAutoReset(False)
    thread = TaskThread(db_path, fn)

    def progressed(value: int, maximum: int) -> None:
        dlg.setMaximum(maximum)
        dlg.setValue(value)

    def cancel() -> None:
        thread.cancelled = True
        dlg.setLabelText("Stopping…")

    thread.progressed.connect(progressed)
    dlg.canceled.connect(cancel)
    loop = QEventLoop()
    thread.finished.connect(loop.quit)
    thread.start()
    if thread.isRunning():
        loop.exec()
    thread.wait()
    dlg.reset()
    dlg.deleteLater()
    return thread


def run_import(parent: QWidget | None, db_path: Path, paths: list[Path], annotator: str = ""):
    """Import files in a thread with a cancellable progress dialog. Returns the
    ImportReport, or None after an error (already shown)."""
    from annotator.core.importing import import_paths

    def work(project, progress, cancelled):
        report = import_paths(project, paths, annotator=annotator, progress=progress,
                              cancelled=cancelled)  # fmt: skip
        project.ensure_search_index()  # here, not on the first search in the window
        return report

    n = len(paths)
    label = f"Importing {paths[0].name}…" if n == 1 else f"Importing {n} files…"
    task = run_task(parent, "Import", label, db_path, work)
    if task.error is not None:
        from .error_text import reason  # an OSError in plain words, never "[Errno 28]"

        inform(parent, "Import failed", f"Nothing more was imported: {reason(task.error)}")
        return None
    return task.result


def import_summary(report, cancelled: bool = False) -> tuple[str, str]:
    text = report.summary()[:1].upper() + report.summary()[1:] + "."
    if cancelled:
        text = "Import cancelled. " + text
    detail = "\n".join(str(b) for b in report.bad[:200])
    if len(report.bad) > 200:
        detail += f"\n… and {len(report.bad) - 200} more"
    return text, detail


# ---- labels ----------------------------------------------------------------------------------
class LabelsDialog(QDialog):
    """Add, recolour, re-key and remove labels. Every change is written at once."""

    labelsChanged = Signal()

    def __init__(self, project: Project, annotator: str = "", parent=None):
        super().__init__(parent)
        self.project, self.annotator = project, annotator
        self.setWindowTitle("Labels")
        self.resize(480, 420)
        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(["Colour", "Name", "Key", ""])
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QTableWidget.NoSelection)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.Stretch)
        for col in (0, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeToContents)
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("New label, e.g. PERSON")
        self.add_button = QPushButton("Add", self)
        self.add_button.clicked.connect(self.add_label)
        self.name_edit.returnPressed.connect(self.add_label)
        self.error = QLabel("", self)
        self.error.setTextFormat(Qt.PlainText)
        self.error.setStyleSheet("color: #d0453b;")
        self.error.setWordWrap(True)
        add_row = QHBoxLayout()
        add_row.addWidget(self.name_edit, 1)
        add_row.addWidget(self.add_button)
        buttons = QDialogButtonBox(QDialogButtonBox.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(add_row)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.fill()

    def fill(self) -> None:
        labels = self.project.labels()
        self.table.setRowCount(len(labels))
        for row, lab in enumerate(labels):
            colour = QPushButton(self)
            colour.setIcon(swatch(lab.colour, 16))
            colour.setText(lab.colour)
            colour.setToolTip("Change the colour")
            colour.clicked.connect(lambda _=False, n=lab.name, c=lab.colour: self.recolour(n, c))
            self.table.setCellWidget(row, 0, colour)
            name = QLineEdit(lab.name, self)
            name.setToolTip("Type a new name and press Enter to rename the label everywhere")
            name.setFrame(False)
            name.editingFinished.connect(lambda n=lab.name, w=name: self.rename(n, w.text()))
            self.table.setCellWidget(row, 1, name)
            key = QComboBox(self)
            key.addItems(["—", *colours.KEYS])
            key.setCurrentIndex(colours.KEYS.index(lab.key) + 1 if lab.key in colours.KEYS else 0)
            key.currentIndexChanged.connect(lambda i, n=lab.name: self.set_key(n, i))
            self.table.setCellWidget(row, 2, key)
            remove = QPushButton("Remove", self)
            remove.clicked.connect(lambda _=False, n=lab.name: self.remove(n))
            self.table.setCellWidget(row, 3, remove)

    def _do(self, fn: Callable) -> bool:
        try:
            fn()
        except ProjectError as exc:
            self.error.setText(str(exc))
            return False
        self.error.setText("")
        self.fill()
        self.labelsChanged.emit()
        return True

    def add_label(self) -> None:
        name = self.name_edit.text().strip()
        if name and self._do(lambda: self.project.add_label(name, annotator=self.annotator)):
            self.name_edit.clear()

    def rename(self, name: str, new: str) -> None:
        if new.strip() and new.strip() != name:
            self._do(lambda: self.project.rename_label(name, new, annotator=self.annotator))

    def recolour(self, name: str, current: str) -> None:
        colour = choose_colour(self, current)
        if colour:
            self._do(lambda: self.project.update_label(name, colour=colour,
                                                       annotator=self.annotator))  # fmt: skip

    def set_key(self, name: str, index: int) -> None:
        key = colours.KEYS[index - 1] if index > 0 else ""

        def change():
            with self.project.write():
                for other in self.project.labels():  # a taken key moves to this label
                    if key and other.key == key and other.name != name:
                        self.project.update_label(other.name, key="", annotator=self.annotator)
                self.project.update_label(name, key=key, annotator=self.annotator)

        self._do(change)

    def remove(self, name: str) -> None:
        try:
            self.project.remove_label(name, annotator=self.annotator)
        except LabelInUseError as exc:
            spans = f"{exc.spans} span" + ("s" if exc.spans != 1 else "")
            if not ask(self, "Remove label", f"{exc.label} is used by {spans}. Delete them too?"):
                return
            self._do(lambda: self.project.remove_label(name, force=True,
                                                       annotator=self.annotator))  # fmt: skip
            return
        except ProjectError as exc:
            self.error.setText(str(exc))
            return
        self.fill()
        self.labelsChanged.emit()


def installed_models() -> list[str]:
    """The spaCy pipelines installed as packages (without importing them)."""
    try:
        import spacy.util

        names = set(spacy.util.get_installed_models())
    except Exception:  # spaCy's package metadata unreadable: offer what we know of
        names = set()
    from annotator.core.suggest.models import DEFAULT_MODELS, is_installed

    names.update(n for n in DEFAULT_MODELS if is_installed(n))
    return sorted(names)


def _model_setting(value) -> str:
    """A project's model setting as the dialog shows it: None, "" and "none" all mean no
    model (patterns and earlier decisions only)."""
    value = "" if value is None else str(value).strip()
    return "none" if value.lower() in ("", "none") else value


# ---- preferences -----------------------------------------------------------------------------
class PreferencesDialog(QDialog):
    """Your name and theme (this computer); the project's model, patterns file and how often
    it retrains."""

    def __init__(self, settings, project: Project | None, parent=None):
        super().__init__(parent)
        self.settings, self.project = settings, project
        self.setWindowTitle("Preferences")
        self.name = QLineEdit(settings.annotator_name(), self)
        self.name.setPlaceholderText("Stored with every decision")
        self.theme = QComboBox(self)
        self.theme.addItems(["light", "dark"])
        self.theme.setCurrentText(settings.theme())
        self.model = QComboBox(self)  # editable: a package name or a folder too
        self.model.setEditable(True)
        self.model.setInsertPolicy(QComboBox.NoInsert)
        self.model.addItem("auto (the installed English model)", "auto")
        self.model.addItem("none (patterns and earlier decisions only)", "none")
        for name in installed_models():
            self.model.addItem(name, name)
        model_browse = QPushButton("Folder…", self)
        model_browse.clicked.connect(self._browse_model)
        self.patterns = QLineEdit(self)
        self.patterns.setPlaceholderText("EntityRuler patterns (.jsonl), optional")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        self.model.setToolTip("auto: the installed English model; none: no model (patterns "
                              "and earlier decisions only); or a package name or folder")
        self.retrain = QSpinBox(self)
        self.retrain.setRange(0, 1_000_000)
        self.retrain.setSingleStep(10)
        self.retrain.setSpecialValueText("never")
        self.retrain.setSuffix(" accepted articles")
        self.retrain.setToolTip("Train a new model in the background after this many more "
                                "articles are accepted (0: never; Model → Train now any time)")
        if project is not None:
            self.set_model_choice(project.get_setting(MODEL_SETTING, "auto"))
            self.patterns.setText(project.get_setting(PATTERNS_SETTING, "") or "")
            self.retrain.setValue(int(project.get_setting(RETRAIN_SETTING, RETRAIN_DEFAULT) or 0))
        else:
            self.model.setEnabled(False)
            self.patterns.setEnabled(False)
            self.retrain.setEnabled(False)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(model_browse)
        model_browse.setEnabled(project is not None)
        patterns_row = QHBoxLayout()
        patterns_row.addWidget(self.patterns, 1)
        patterns_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Your name:", self.name)
        form.addRow("Theme:", self.theme)
        form.addRow("spaCy model:", model_row)
        form.addRow("Patterns file:", patterns_row)
        form.addRow("Retrain every:", self.retrain)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(520, self.sizeHint().height())

    def accept(self) -> None:
        patterns = self.patterns.text().strip()
        if patterns and not Path(patterns).is_file():
            inform(self, "Preferences", f"{patterns}: no such patterns file")
            return
        super().accept()

    def _browse(self) -> None:
        path = choose_file(self, "Patterns file", "", "Patterns (*.jsonl);;All files (*)")
        if path:
            self.patterns.setText(str(path))

    def set_model_choice(self, value) -> None:
        """Show a model setting: auto, none (also None and ""), a name or a folder."""
        value = _model_setting(value)
        i = self.model.findData(value)
        if i < 0:
            self.model.setEditText(value)
        else:
            self.model.setCurrentIndex(i)

    def model_choice(self) -> str:
        """The setting: auto, none, or the package name or folder typed or chosen."""
        text = self.model.currentText().strip()
        i = self.model.findText(text)
        if i >= 0 and self.model.itemData(i):
            return self.model.itemData(i)
        return "none" if text.lower() in ("", "none") else text

    def _browse_model(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "spaCy pipeline folder", "")
        if name:
            self.model.setEditText(name)

    def save(self) -> bool:
        """Store the choices. Returns True when the suggestion settings changed."""
        self.settings.set_annotator_name(self.name.text())
        self.settings.set_theme(self.theme.currentText())
        if self.project is None:
            return False
        changed = False
        model = self.model_choice()
        if model != _model_setting(self.project.get_setting(MODEL_SETTING, "auto")):
            self.project.set_setting(MODEL_SETTING, model)  # (unset, "" and "none": no model)
            changed = True
        patterns = self.patterns.text().strip() or None
        if patterns != self.project.get_setting(PATTERNS_SETTING, None):
            self.project.set_setting(PATTERNS_SETTING, patterns)
            changed = True
        if self.retrain.value() != self.project.get_setting(RETRAIN_SETTING, RETRAIN_DEFAULT):
            self.project.set_setting(RETRAIN_SETTING, self.retrain.value())
        return changed


# ---- export ----------------------------------------------------------------------------------
class ExportDialog(QDialog):
    def __init__(self, project: Project, parent=None):
        super().__init__(parent)
        self.project = project
        self.setWindowTitle("Export")
        self.format = QComboBox(self)
        self.format.addItem("spaCy DocBin (train.spacy + dev.spacy)", "spacy")
        self.format.addItem("Prodigy-style JSONL", "jsonl")
        self.format.addItem("CoNLL IOB2 (train.conll + dev.conll)", "conll")
        self.format.addItem("Hugging Face JSONL (train.jsonl + dev.jsonl)", "hf")
        default_out = project.path.parent / f"{project.path.name.split('.')[0]}-export"
        self.out = QLineEdit(project.get_setting("export_dir", str(default_out)), self)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        self.dev_split = QDoubleSpinBox(self)
        self.dev_split.setRange(0.0, 0.9)
        self.dev_split.setSingleStep(0.05)
        self.dev_split.setValue(0.2)
        self.seed = QSpinBox(self)
        self.seed.setRange(0, 2**31 - 1)
        self.strict = QCheckBox("Refuse to export if any span is off token boundaries", self)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out, 1)
        out_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Format:", self.format)
        form.addRow("Folder:", out_row)
        form.addRow("Dev share:", self.dev_split)
        form.addRow("Split seed:", self.seed)
        form.addRow("", self.strict)
        self.format.currentIndexChanged.connect(self._format_changed)
        counts = project.counts()
        note = QLabel(f"Exports the {plural(counts['accepted'], 'accepted article')}.", self)
        note.setTextFormat(Qt.PlainText)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        buttons.button(QDialogButtonBox.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())

    def _format_changed(self) -> None:
        split = self.format.currentData() != "jsonl"  # JSONL is one file, not train/dev
        self.dev_split.setEnabled(split)
        self.seed.setEnabled(split)

    def _browse(self) -> None:
        path = choose_folder(self, self.out.text())
        if path:
            self.out.setText(str(path))

    def options(self) -> dict:
        return {
            "out": Path(self.out.text().strip()),
            "format": self.format.currentData(),
            "dev_split": self.dev_split.value(),
            "seed": self.seed.value(),
            "strict": self.strict.isChecked(),
        }


def run_export(parent: QWidget | None, db_path: Path, options: dict):
    """Export in a thread; show the report, in the words the command line prints (counts,
    what was left out, warnings, files; problem spans under "Show Details"). Returns it."""
    from annotator.core.export import ExportError, export_project, export_target
    from annotator.core.export_report import describe, problem_line

    def work(project, progress, cancelled):
        return export_project(project, **options)

    task = run_task(parent, "Export", "Exporting…", db_path, work, cancellable=False)
    if isinstance(task.error, ExportError):
        detail = "\n".join(problem_line(m) for m in task.error.misaligned)
        inform(parent, "Export refused", str(task.error).split("\n")[0], detail)
        return None
    if task.error is not None:
        from .error_text import sentence  # an OSError in plain words, never "[Errno 28]"

        inform(parent, "Export failed", sentence(task.error, where=options.get("out")))
        return None
    report = task.result
    said = describe(report, options.get("format", "spacy"),
                    export_target(options["out"], options.get("format", "spacy")))
    inform(parent, "Export finished", said.text(), "\n".join(said.problems))
    return report
