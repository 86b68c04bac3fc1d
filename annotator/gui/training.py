"""Training from the window (a mixin of MainWindow): Model → Train now (Ctrl+T), Cancel
training, Models…, and retraining by itself every N accepted articles.

Training runs in a separate process (`train_process.py`); the status bar follows it. When
the new model beats the one in use, the core has already made it the project's model: the
window restarts its suggestion feed (as Preferences does), so the current and the next
articles are computed again with it in the background. A worse model is kept but not used.

Retraining: after an accept, when at least `retrain_every` articles (a project setting,
default 100, 0 = never) were accepted since the newest model was trained (all of them with
no model yet), and no training runs, one starts. A training that failed is not retried
until another N are accepted.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction

from annotator.core.train import registry

from . import dialogs, error_text
from .commands import FAILURES
from .dialogs import RETRAIN_DEFAULT, RETRAIN_SETTING, TRAIN_BASE_SETTING
from .train_process import TrainProcess

MESSAGE_MS = 20000
ALREADY = "A training is already running (Model → Cancel training stops it)"


def progress_text(info: dict) -> str:
    return f"Training: epoch {info['epoch']}, dev F {info['f']:.2f}…"


def result_text(result: dict) -> str:
    number, f, base = result["model"], result["f"], result.get("baseline_f")
    if not result.get("activated"):
        return f"Model {number}: F {f:.2f} (not better than the model in use: kept, not used)"
    gain = "first model" if base is None else f"{f - base:+.2f}"
    return f"Model {number}: F {f:.2f}, {gain}; suggestions updated"


def record_result(record) -> dict:
    """What the result line would have said, from the registry (see `_lost`)."""
    base = record.baseline["f"] if record.baseline and not record.baseline.get("none") else None
    return {"model": record.id, "path": record.path, "f": record.f, "baseline_f": base,
            "activated": record.activated, "scores": record.scores}  # fmt: skip


class Training:
    """Needs from the window: project, work, actions_by_name, statusBar, show_error,
    restart_suggestions, _counts."""

    def _init_training(self) -> dict[str, QAction]:
        """Set up; returns the Model menu's actions that have no key."""
        self.training: TrainProcess | None = None
        self.model_dialog = None
        self._newest_before = 0  # the newest model's number when the running training began
        self._auto_tried = 0  # accepted articles when the last automatic training began
        cancel = QAction("&Cancel training", self)
        cancel.setObjectName("cancel_training")
        cancel.setEnabled(False)
        cancel.triggered.connect(self.cancel_training)
        models = QAction("&Models…", self)
        models.setObjectName("models")
        models.triggered.connect(self.show_models)
        return {"cancel_training": cancel, "models": models}

    # ---- starting and stopping --------------------------------------------------------------
    def train_now(self, automatic: bool = False) -> None:
        if self.project is None:
            return
        if self.training is not None:
            if not automatic:
                self.statusBar().showMessage(ALREADY, 6000)
            return
        try:
            self._newest_before = self._newest_model()
        except FAILURES as exc:
            self.show_error(f"Training not started: {error_text.reason(exc)}")
            return
        run = TrainProcess(self.project.path, self.project.get_setting(TRAIN_BASE_SETTING), self)
        run.progress.connect(lambda info: self._training_progress(run, info))
        run.done.connect(lambda result: self._training_done(run, result))
        run.failed.connect(lambda why: self._training_failed(run, why))
        run.cancelled.connect(lambda: self._training_cancelled(run))
        run.finished.connect(lambda: self._training_over(run))
        self.training = run
        self.actions_by_name["cancel_training"].setEnabled(True)
        why = f"every {self._retrain_every():,} accepted articles" if automatic else "Train now"
        self.work.set_training("Training: starting…", f"Training a model in the background ({why})")
        run.start()

    def cancel_training(self) -> None:
        if self.training is not None:
            self.work.set_training("Training: cancelling…")
            self.training.cancel()

    def stop_training(self) -> None:
        """The project closes: kill a running training (it registers nothing), no report."""
        run, self.training = self.training, None
        if run is not None:
            run.stop_now()
            self._training_over(run)
        self._auto_tried = 0
        if self.model_dialog is not None:
            self.model_dialog.close()
            self.model_dialog.deleteLater()
            self.model_dialog = None

    def _retrain_every(self) -> int:
        try:
            return max(0, int(self.project.get_setting(RETRAIN_SETTING, RETRAIN_DEFAULT) or 0))
        except (TypeError, ValueError):
            return RETRAIN_DEFAULT

    def _newest_model(self) -> int:
        models = registry.all_models(self.project)
        return models[-1].id if models else 0

    def after_decision(self, edit) -> None:
        """After a decision (not an undo): start a training when N more were accepted."""
        if getattr(edit, "status", None) != "accepted" or self.training is not None:
            return
        try:
            if self.project is None or not (every := self._retrain_every()):
                return
            models = registry.all_models(self.project)
        except FAILURES:  # the next accept looks again; the edit itself was stored
            return
        accepted = self._counts.get("accepted", 0)
        since = max(models[-1].articles if models else 0, self._auto_tried)
        if accepted - since >= every:
            self._auto_tried = accepted
            QTimer.singleShot(0, self, lambda: self.train_now(automatic=True))

    # ---- what the process says --------------------------------------------------------------
    def _current(self, run: TrainProcess) -> bool:
        return run is self.training and self.project is not None

    def _training_progress(self, run: TrainProcess, info: dict) -> None:
        if self._current(run):
            self.work.set_training(progress_text(info))

    def _training_done(self, run: TrainProcess, result: dict) -> None:
        if not self._current(run):
            return
        if result.get("activated"):
            self.restart_suggestions()  # the core made it the project's model
        self.statusBar().showMessage(result_text(result), MESSAGE_MS)
        if self.model_dialog is not None:
            self.model_dialog.reload()

    def _lost(self) -> dict | None:
        """A model registered although the result line never came (killed just after the
        core committed it): report it as done."""
        try:
            models = registry.all_models(self.project)
        except FAILURES:
            return None
        return record_result(models[-1]) if models and models[-1].id > self._newest_before else None

    def _training_failed(self, run: TrainProcess, why: str) -> None:
        if not self._current(run):
            return
        if (result := self._lost()) is not None:
            self._training_done(run, result)
        else:
            self.show_error(f"Training failed: {why}")

    def _training_cancelled(self, run: TrainProcess) -> None:
        if not self._current(run):
            return
        if (result := self._lost()) is not None:
            self._training_done(run, result)
        else:
            self.statusBar().showMessage("Training cancelled: no model was registered", 8000)

    def _training_over(self, run: TrainProcess) -> None:
        if run is self.training:
            self.training = None
        if self.training is None:
            self.actions_by_name["cancel_training"].setEnabled(False)
            self.work.set_training(None)
        run.deleteLater()

    # ---- the Model dialog -------------------------------------------------------------------
    def show_models(self) -> None:
        if self.project is None:
            return
        from . import theme as themes
        from .model_dialog import ModelDialog  # pyqtgraph: imported only when asked for

        if self.model_dialog is None:
            self.model_dialog = ModelDialog(self.project, self)
            self.model_dialog.modelActivated.connect(self._model_chosen)
        self.model_dialog.set_theme(themes.theme(self.settings.theme()))
        self.model_dialog.reload()
        self.model_dialog.show()
        self.model_dialog.raise_()
        self.model_dialog.activateWindow()

    def _model_chosen(self, number: int) -> None:
        try:
            record = registry.activate(self.project, number)
        except FAILURES as exc:
            why = error_text.reason(exc)
            dialogs.inform(self, "Models", f"Model {number} cannot be used: {why}.")
            return
        self.restart_suggestions()
        self.statusBar().showMessage(
            f"Model {record.id} (F {record.f:.2f}) is now used for suggestions", MESSAGE_MS
        )
        if self.model_dialog is not None:
            self.model_dialog.reload()
