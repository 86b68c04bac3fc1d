"""Training from the window (a mixin of MainWindow): Model → Train now (Ctrl+T), Cancel
training, Models…, and retraining by itself every N accepted articles.

Training runs in a separate process (`train_process.py`); the status bar follows it: "Training:
epoch 3 of at most 12 · dev F 0.61 · 0:42 elapsed · ~1:05 left", then, once the model is
registered, its result and "Learning curve 2 of 3…" while the same process trains on shares
of the articles for the learning curve. Train now is disabled while a training runs (Cancel
training instead). The result says what decided, in numbers ("Model 3 used for suggestions:
F 0.74; 112 corrections on 250 dev articles vs 140 with the model in use (−28, 95% −41 to
−15)"), and stays until the next training starts. When the new model needs fewer
corrections than the one in use, the core has already made it the project's model: the
window restarts its suggestion feed at once (as Preferences does), without waiting for the
curve. A worse model is kept but not used.

Retraining: after an accept, when at least `retrain_every` articles (a project setting,
default 100, 0 = never) were accepted by people since the newest model's training read the
project (`core.train.retrain`: imported accepted articles never count), and no training
runs, one starts. A training that failed is not retried until another N are accepted.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction

from annotator.core.train import registry, retrain
from annotator.core.wording import plural

from . import dialogs, error_text
from .commands import FAILURES
from .dialogs import RETRAIN_DEFAULT, RETRAIN_SETTING, TRAIN_BASE_SETTING
from .train_process import TrainProcess

MESSAGE_MS = 20000
TICK_MS = 1000  # the training status's clock
ALREADY = "A training is already running (Model → Cancel training stops it)"
MINUS = "\u2212"
NO_MODEL = "with no model (patterns and decisions)"
IN_USE = "with the model in use"


def clock(seconds: float) -> str:
    """0:42, 12:05, 1:02:03."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def signed(n: int) -> str:
    return f"{n:+,}".replace("-", MINUS)


def progress_text(info: dict | None, elapsed: float, left: float | None = None) -> str:
    """The running training's line: epoch k of at most n, dev F, elapsed, time left."""
    if info is None:
        return f"Training: starting… · {clock(elapsed)} elapsed"
    left = info.get("left", 0.0) if left is None else left
    return (f"Training: epoch {info['epoch']} of at most {info['max_epochs']} · dev F "
            f"{info['f']:.2f} · {clock(elapsed)} elapsed · ~{clock(max(left, 0))} left")


def curve_text(step: tuple[int, int] | None) -> str:
    if step is None:
        return "Learning curve: starting…"
    return f"Learning curve {step[0]} of {step[1]}…"


def verdict(result: dict, case: dict | None) -> str:
    adopt = bool(case and case.get("adopt"))
    if result.get("activated"):
        return "used for suggestions" + ("" if adopt or case is None else " (as told)")
    if adopt:
        return "not used (as told)"
    if case is None:
        return "not used (not better than the model in use)"
    return "not used (not fewer corrections with 95% confidence)"


def result_text(result: dict) -> str:
    """What decided first, then in numbers: "Model 3 used for suggestions: F 0.74; 112
    corrections on 250 dev articles vs 140 with the model in use (−28, 95% −41 to −15)"."""
    number, f = result["model"], result["f"]
    case = result.get("adoption") or (result.get("scores") or {}).get("adoption")
    none = result.get("baseline_none", result.get("baseline_f") is None)
    head = f"Model {number} {verdict(result, case)}: F {f:.2f}"
    if case is None:  # a model from before adoption was counted in corrections
        if none or result.get("baseline_f") is None:
            return f"{head} (first model)"
        return f"{head} ({signed(round((f - result['baseline_f']) * 100))} points of F)"
    lo, hi = case["interval"]
    return (f"{head}; {case['with']:,} corrections on {plural(case['articles'], 'dev article')}"
            f" vs {case['without']:,} {NO_MODEL if none else IN_USE} "
            f"({signed(case['difference'])}, 95% {signed(lo)} to {signed(hi)})")


def result_tip(result: dict) -> str:
    train, dev = result.get("train_articles"), result.get("dev_articles")
    counts = (f"Trained on {plural(train, 'article')}, evaluated on {plural(dev, 'dev article')}"
              f" (base {result.get('base', '?')}). ") if train is not None else ""  # fmt: skip
    return (counts + "Corrections: what an annotator would fix in the suggestions (a wrong "
            "span, label or boundary, a missing span); the model is used only when it needs "
            "fewer with 95% confidence. Model → Models… shows every model and its learning "
            "curve.")


def record_result(record) -> dict:
    """What the result line would have said, from the registry (see `_lost`)."""
    none = not record.baseline or bool(record.baseline.get("none"))
    return {"model": record.id, "path": record.path, "f": record.f,
            "baseline_f": None if none else record.baseline["f"], "baseline_none": none,
            "base": record.base, "train_articles": record.train_articles,
            "dev_articles": record.dev_articles, "adoption": record.scores.get("adoption"),
            "activated": record.activated, "scores": record.scores}  # fmt: skip


class Training:
    """Needs from the window: project, work, actions_by_name, statusBar, show_error,
    restart_suggestions."""

    def _init_training(self) -> dict[str, QAction]:
        """Set up; returns the Model menu's actions that have no key."""
        self.training: TrainProcess | None = None
        self.model_dialog = None
        self._newest_before = 0  # the newest model's number when the running training began
        self._auto_mark = 0  # the newest event when the last automatic training began
        self._run_state: dict = {}  # the running training: start, last progress, curve step
        self._train_clock = QTimer(self)
        self._train_clock.setInterval(TICK_MS)
        self._train_clock.timeout.connect(self._show_training_status)
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
        run.curve.connect(lambda item: self._training_curve(run, item))
        run.done.connect(lambda result: self._training_done(run, result))
        run.failed.connect(lambda why: self._training_failed(run, why))
        run.cancelled.connect(lambda: self._training_cancelled(run))
        run.finished.connect(lambda: self._training_over(run))
        self.training = run
        self.actions_by_name["train"].setEnabled(False)
        self.actions_by_name["cancel_training"].setEnabled(True)
        why = (f"every {plural(self._retrain_every(), 'article')} accepted" if automatic
               else "Train now")  # fmt: skip
        self._run_state = {"start": time.monotonic(), "info": None, "at": 0.0, "curve": None,
                           "phase": "training", "why": why}  # fmt: skip
        self.work.set_result(None)  # the last result stays until now
        self._show_training_status()
        self._train_clock.start()
        run.start()

    def cancel_training(self) -> None:
        if self.training is not None:
            self._run_state["phase"] = "cancelling"
            curve = self._run_state.get("registered")
            self.work.set_training("Learning curve: cancelling (the model is kept)…" if curve
                                   else "Training: cancelling…")  # fmt: skip
            self.training.cancel()

    def stop_training(self) -> None:
        """The project closes: kill a running training (it registers nothing), no report."""
        run, self.training = self.training, None
        if run is not None:
            run.stop_now()
            self._training_over(run)
        self._auto_mark = 0
        self.work.set_result(None)  # another project's result
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
        newest = self.project.models.newest()
        return newest.id if newest else 0

    def after_decision(self, edit) -> None:
        """After a decision (not an undo): start a training when N more articles were
        accepted by people since the last training (imported ones never count)."""
        if getattr(edit, "status", None) != "accepted" or self.training is not None:
            return
        try:
            if self.project is None or not (every := self._retrain_every()):
                return
            mark = max(retrain.last_training_mark(self.project), self._auto_mark)
            since = retrain.accepted_since(self.project, mark, limit=every)
            if since < every:
                return
            self._auto_mark = retrain.last_event(self.project)
        except FAILURES:  # the next accept looks again; the edit itself was stored
            return
        QTimer.singleShot(0, self, lambda: self.train_now(automatic=True))

    # ---- what the process says --------------------------------------------------------------
    def _current(self, run: TrainProcess) -> bool:
        return run is self.training and self.project is not None

    def _show_training_status(self) -> None:
        state = self._run_state
        if self.training is None or not state or state["phase"] == "cancelling":
            return
        now = time.monotonic()
        if state["phase"] == "curve":
            step = state["curve"]
            tip = ("The model is registered; the same training runs on "
                   f"{step[2]:.0%} of the training articles" if step else
                   "The model is registered; the same training runs on 25, 50 and 75% of the "
                   "training articles")  # fmt: skip
            self.work.set_training(curve_text(step and step[:2]),
                                   tip + " for its learning curve (Model → Models…); Model → "
                                   "Cancel training stops it, keeping the model.")  # fmt: skip
            return
        info = state["info"]
        left = None if info is None else info.get("left", 0.0) - (now - state["at"])
        self.work.set_training(progress_text(info, now - state["start"], left),
                               f"Training a model in the background ({state['why']}); "
                               "Model → Cancel training stops it.")  # fmt: skip

    def _training_progress(self, run: TrainProcess, info: dict) -> None:
        if self._current(run) and self._run_state.get("phase") == "training":
            self._run_state.update(info=info, at=time.monotonic())
            self._show_training_status()

    def _training_curve(self, run: TrainProcess, item: dict) -> None:
        if not self._current(run):
            return
        if "curve_start" in item:
            start = item["curve_start"]
            self._run_state["curve"] = (start["point"], start["points"], start["fraction"])
            if self._run_state.get("phase") == "curve":
                self._show_training_status()
        elif "curve" in item and self.model_dialog is not None:
            self.model_dialog.reload()  # the point is stored: the curve grows

    def _training_done(self, run: TrainProcess, result: dict) -> None:
        if not self._current(run):
            return
        if result.get("activated"):
            self.restart_suggestions()  # the core made it the project's model
        self.work.set_result(result_text(result), result_tip(result))
        self._run_state["registered"] = True
        if run.running and self._run_state.get("phase") == "training":
            self._run_state["phase"] = "curve"  # the same process goes on with the curve
            self._show_training_status()
        if self.model_dialog is not None:
            self.model_dialog.reload()

    def _lost(self) -> dict | None:
        """A model registered although the result line never came (killed just after the
        core committed it): report it as done."""
        try:
            newest = self.project.models.newest()
        except FAILURES:
            return None
        return record_result(newest) if newest and newest.id > self._newest_before else None

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
            self._train_clock.stop()
            self._run_state = {}
            self.actions_by_name["train"].setEnabled(True)
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
