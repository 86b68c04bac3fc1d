"""Training from the window: a real `annotator train` process (blank base, tiny data), the
real suggestion worker switching to the new model, retraining every N accepted articles,
cancelling, and the Model dialog."""

from __future__ import annotations

import json
import os
import random
import re
import sys

import pytest
from PySide6.QtCore import Qt

from annotator.core.project import Project
from annotator.core.records import ArticleRecord, Span
from annotator.core.train import registry
from annotator.core.train.trainer import TrainOptions, train_ner
from annotator.gui import dialogs
from annotator.gui.dialogs import RETRAIN_SETTING, TRAIN_BASE_SETTING
from annotator.gui.train_process import error_sentence, train_command
from annotator.gui.training import ALREADY, record_result, result_text

WAIT = 120000  # ms: a training process on a shared machine

FIRST = ["Anna", "Tom", "Lisa", "Omar", "Mei", "Carl", "Ines", "Raj", "Olga", "Ken"]
LAST = ["Berg", "Kane", "Ford", "Haddad", "Lin", "Jung", "Sousa", "Patel", "Ivanova", "Ito"]
# Many names, most seen once: the project's decisions can't cover the dev articles, so a
# model that generalises improves the suggestions and is switched to.
NAMES = [f"{a} {b}" for a in FIRST for b in LAST]
ORGS = ["Acme Corp", "Globex", "Initech", "Umbrella", "Hooli"]
CITIES = ["Paris", "Berlin", "Madrid", "Oslo", "Lima", "Quito"]
NEW_NAMES = ["Nina Petrova", "Jorge Silva", "Ada Novak", "Ivan Horvat", "Sara Costa",
             "Luca Bruni", "Eva Lund", "Piet Smit"]  # fmt: skip


def sentence(who: str, org: str, city: str, i: int) -> tuple[str, list[Span]]:
    text = f"{who} joined {org} in {city} last week, story {i}."
    a = len(who) + 8
    b = a + len(org) + 4
    return text, [Span(0, len(who), "PERSON"), Span(a, a + len(org), "ORG"),
                  Span(b, b + len(city), "GPE")]  # fmt: skip


def make_project(path, accepted: int = 150, *, every: int = 0, seed: int = 0):
    """`accepted` accepted articles, then pending ones whose people nobody accepted yet
    (so only a model can suggest them); no suggestion model; training from a blank base."""
    rng = random.Random(seed)
    records = []
    for i in range(accepted):
        text, spans = sentence(rng.choice(NAMES), rng.choice(ORGS), rng.choice(CITIES), i)
        records.append(ArticleRecord(text=text, status="accepted", spans=spans))
    for i, who in enumerate(NEW_NAMES):
        records.append(ArticleRecord(text=sentence(who, rng.choice(ORGS), rng.choice(CITIES),
                                                   900 + i)[0]))  # fmt: skip
    with Project(path) as p:
        p.ensure_labels(["PERSON", "ORG", "GPE"])
        p.add_records(records)
        p.set_setting("model", None)  # no model in use: the first trained one is used
        p.set_setting(TRAIN_BASE_SETTING, "blank")
        p.set_setting(RETRAIN_SETTING, every)
    return path


def model_spans(win) -> list[tuple]:
    return [(s.start, s.end, s.label) for s in win.shown if s.source == "model"]


def message(win) -> str:
    return win.statusBar().currentMessage()


def result(win) -> str:
    """The last training's result, in the status bar until the next training starts."""
    label = win.work.result_label
    return label.text() if label.isVisible() else ""


def wait_trained(qtbot, win) -> None:
    qtbot.waitUntil(lambda: win.training is None, timeout=WAIT)


def test_ctrl_t_trains_and_the_suggestions_switch_to_the_new_model(qtbot, make_window,
                                                                   tmp_path):  # fmt: skip
    path = make_project(tmp_path / "news.annotator.db")
    win = make_window(path, worker=True)
    first = win.current_id
    qtbot.waitUntil(lambda: win.suggester_state == "ready" and win.is_ready(), timeout=WAIT)
    assert model_spans(win) == []  # no model: decisions only (the org, the city)
    qtbot.keyClick(win.view, Qt.Key_T, Qt.ControlModifier)
    assert win.training is not None
    assert win.work.training_label.isVisible()
    assert win.work.training_label.text().startswith("Training")
    assert win.actions_by_name["cancel_training"].isEnabled()
    qtbot.waitUntil(lambda: "epoch" in win.work.training_label.text()
                    or win.training is None, timeout=WAIT)  # fmt: skip
    wait_trained(qtbot, win)
    assert not win.work.training_label.isVisible()
    assert not win.actions_by_name["cancel_training"].isEnabled()
    record = registry.all_models(win.project)[-1]
    assert record.id == 1 and record.activated and record.base == "blank"
    assert result(win) == result_text(record_result(record))
    assert result(win).startswith(f"Model 1 used for suggestions: F {record.f:.2f}; ")
    assert win.project.get_setting("model") == record.path
    # The feed restarted with the new model: the current article is computed again…
    assert win.current_id == first
    qtbot.waitUntil(lambda: win.suggester_state == "ready" and win.is_ready(), timeout=WAIT)
    assert model_spans(win), win.shown  # the new person comes from the model
    # …and so is the next one.
    qtbot.keyClick(win.view, Qt.Key_A)
    qtbot.waitUntil(lambda: win.current_id != first and win.is_ready(), timeout=WAIT)
    person = [s for s in model_spans(win) if s[2] == "PERSON"]
    assert person and person[0][0] == 0, win.shown


def test_the_status_says_epoch_k_of_at_most_n_then_the_curve_and_keeps_the_result(
        qtbot, make_window, tmp_path):  # fmt: skip
    """Train now is disabled while a training runs (Ctrl+T does nothing), the status shows
    epoch k of at most n, elapsed and time left (whole, the whole text on hover), then the
    learning curve's steps; the result says what decided in numbers and stays until the
    next training starts, a message in between notwithstanding."""
    path = make_project(tmp_path / "news.annotator.db", accepted=400)
    win = make_window(path)
    train, cancel = win.actions_by_name["train"], win.actions_by_name["cancel_training"]
    shown: list[str] = []
    set_training = win.work.set_training
    win.work.set_training = lambda text, tip="": (shown.append(text), set_training(text, tip))
    assert train.isEnabled() and not cancel.isEnabled()
    qtbot.keyClick(win.view, Qt.Key_T, Qt.ControlModifier)
    run = win.training
    assert run is not None and not train.isEnabled() and cancel.isEnabled()
    label = win.work.training_label
    qtbot.waitUntil(lambda: "epoch" in label.text(), timeout=WAIT)
    text = label.text()
    assert re.fullmatch(r"Training: epoch \d+ of at most 12 · dev F \d\.\d\d · \d+:\d\d "
                        r"elapsed · ~\d+:\d\d left", text), text
    assert not label.is_elided() and label.shown_text() == text  # not cut off
    assert label.toolTip().startswith(text)  # and whole on hover
    qtbot.keyClick(win.view, Qt.Key_T, Qt.ControlModifier)  # disabled: nothing happens
    assert win.training is run and not train.isEnabled()
    assert message(win) != ALREADY
    wait_trained(qtbot, win)
    assert train.isEnabled() and not cancel.isEnabled() and not label.isVisible()
    curve_steps = list(dict.fromkeys(t for t in shown if t and t.startswith("Learning curve ")))
    assert curve_steps == ["Learning curve 1 of 3…", "Learning curve 2 of 3…",
                                "Learning curve 3 of 3…"], shown  # fmt: skip
    record = registry.all_models(win.project)[-1]
    assert [p["fraction"] for p in record.scores["curve"]] == [0.25, 0.5, 0.75]
    case = record.scores["adoption"]
    lo, hi, diff = (f"{v:+,}".replace("-", "\u2212") for v in (*case["interval"],
                                                              case["difference"]))  # fmt: skip
    verdict = ("used for suggestions" if record.activated
               else "not used (not fewer corrections with 95% confidence)")  # fmt: skip
    assert result(win) == (
        f"Model 1 {verdict}: F {record.f:.2f}; {case['with']:,} corrections on "
        f"{case['articles']} dev articles vs {case['without']:,} with no model (patterns and "
        f"decisions) ({diff}, 95% {lo} to {hi})")  # fmt: skip
    assert "F 0.000" not in result(win) and "model in use" not in result(win)
    assert win.work.result_label.toolTip().startswith(result(win))
    qtbot.keyClick(win.view, Qt.Key_Space)  # another message: the result stays
    win.statusBar().showMessage("Something else happened")
    assert win.work.result_label.isVisible() and result(win).startswith("Model 1 ")
    qtbot.keyClick(win.view, Qt.Key_T, Qt.ControlModifier)  # the next training
    assert win.training is not None and not win.work.result_label.isVisible()
    # Cancelled during its curve: the model and its result stay, with the points done.
    qtbot.waitUntil(lambda: label.text().startswith("Learning curve 2 of 3"), timeout=WAIT)
    cancel.trigger()
    wait_trained(qtbot, win)
    assert train.isEnabled() and not cancel.isEnabled() and not label.isVisible()
    assert result(win).startswith("Model 2 ")
    before = "with no model (patterns and decisions)" if not record.activated else \
        "with the model in use"  # fmt: skip
    assert before in result(win)
    second = registry.all_models(win.project)[-1]
    assert second.id == 2 and [p["fraction"] for p in second.scores["curve"]] == [0.25]


def test_retraining_starts_by_itself_after_n_accepted_articles(qtbot, make_window, tmp_path):
    path = make_project(tmp_path / "p.annotator.db", every=3)
    with Project(path) as p:  # a model trained on the 150 accepted articles so far
        first = registry.save(p, train_ner(p, TrainOptions(base="blank", max_epochs=2)))
    win = make_window(path)
    for _ in range(2):
        qtbot.keyClick(win.view, Qt.Key_A)
    qtbot.wait(200)
    assert win.training is None  # 2 of 3
    qtbot.keyClick(win.view, Qt.Key_A)  # the third accept
    qtbot.waitUntil(lambda: win.training is not None, timeout=5000)
    wait_trained(qtbot, win)
    records = registry.all_models(win.project)
    assert [r.id for r in records] == [first.id, 2]
    assert records[1].articles == 153
    assert result(win) == result_text(record_result(records[1]))
    assert result(win).startswith("Model 2 ") and " corrections on " in result(win)
    qtbot.keyClick(win.view, Qt.Key_A)  # 1 accepted since model 2: nothing starts
    qtbot.wait(200)
    assert win.training is None


def test_imported_accepted_articles_never_start_a_training_accepts_by_people_do(
        qtbot, make_window, tmp_path):  # fmt: skip
    """A project imported with many accepted articles (Prodigy answers) and no model: the
    first `a` does not start a training (what was imported is no one's work here); N
    real accepts do."""
    from annotator.core.importing import import_paths

    rng = random.Random(1)
    tasks = []
    for i in range(300):
        text, spans = sentence(rng.choice(NAMES), rng.choice(ORGS), rng.choice(CITIES), i)
        tasks.append({"text": text, "answer": "accept", "spans": [
            {"start": s.start, "end": s.end, "label": s.label} for s in spans]})  # fmt: skip
    for i in range(10):
        tasks.append({"text": sentence(rng.choice(NAMES), rng.choice(ORGS), "Paris", 500 + i)[0]})
    source = tmp_path / "prodigy.jsonl"
    source.write_text("".join(json.dumps(t) + "\n" for t in tasks), encoding="utf-8")
    path = tmp_path / "imported.annotator.db"
    with Project(path) as p:
        p.ensure_labels(["PERSON", "ORG", "GPE"])
        import_paths(p, [source])
        assert p.counts()["accepted"] == 300
        p.set_setting("model", None)
        p.set_setting(TRAIN_BASE_SETTING, "blank")
        p.set_setting(RETRAIN_SETTING, 3)
    win = make_window(path)
    for _ in range(2):
        qtbot.keyClick(win.view, Qt.Key_A)
        qtbot.wait(200)
        assert win.training is None  # 302 accepted, 1 and 2 of them by a person
    qtbot.keyClick(win.view, Qt.Key_A)  # the third accept by a person
    qtbot.waitUntil(lambda: win.training is not None, timeout=5000)
    assert not win.actions_by_name["train"].isEnabled()
    win.actions_by_name["cancel_training"].trigger()
    wait_trained(qtbot, win)
    assert registry.all_models(win.project) == []
    qtbot.keyClick(win.view, Qt.Key_A)  # 1 since the cancelled automatic one: not retried
    qtbot.wait(200)
    assert win.training is None


def test_retraining_is_off_at_zero_and_set_in_preferences(qtbot, make_window, tmp_path):
    path = make_project(tmp_path / "p.annotator.db", every=0)
    win = make_window(path)
    dlg = dialogs.PreferencesDialog(win.settings, win.project, win)
    assert dlg.retrain.value() == 0 and dlg.retrain.text() == "never"
    qtbot.keyClick(win.view, Qt.Key_A)
    qtbot.wait(200)
    assert win.training is None  # 61 accepted, no model, but retraining is off
    dlg.retrain.setValue(250)
    assert not dlg.save()  # not a suggestion setting: the feed keeps going
    assert win.project.get_setting(RETRAIN_SETTING) == 250
    with Project(tmp_path / "fresh.annotator.db") as fresh:
        assert dialogs.PreferencesDialog(win.settings, fresh, win).retrain.value() == 100


def test_cancel_kills_the_process_and_registers_nothing(qtbot, make_window, tmp_path):
    path = make_project(tmp_path / "big.annotator.db", accepted=2000)  # ~20 s of training
    win = make_window(path)
    win.actions_by_name["train"].trigger()
    qtbot.waitUntil(lambda: "epoch" in win.work.training_label.text(), timeout=WAIT)
    process = win.training.process
    pid = process.processId()
    assert pid > 0
    win.actions_by_name["cancel_training"].trigger()
    wait_trained(qtbot, win)
    assert message(win) == "Training cancelled: no model was registered"
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # gone (and reaped)
    assert registry.all_models(win.project) == []
    assert win.project.get_setting("model") is None
    folder = registry.models_dir(path)
    assert not folder.exists() or not any(f.name.startswith("model-") for f in folder.iterdir())


def test_a_failed_training_says_why_in_one_sentence(qtbot, make_window, tmp_path):
    path = make_project(tmp_path / "few.annotator.db", accepted=3)
    win = make_window(path)
    qtbot.keyClick(win.view, Qt.Key_T, Qt.ControlModifier)
    wait_trained(qtbot, win)
    assert message(win).startswith("Training failed: training needs at least 5 accepted")
    assert message(win).endswith("accept more articles first.")
    assert "\n" not in message(win) and "Traceback" not in message(win)


def test_model_dialog_lists_the_models_and_uses_the_chosen_one(qtbot, make_window, tmp_path):
    from pathlib import Path

    from annotator.core.train import curve

    path = make_project(tmp_path / "p.annotator.db")
    with Project(path) as p:
        good = registry.save(p, train_ner(p, TrainOptions(base="blank", max_epochs=6)))
        worse = registry.save(p, train_ner(p, TrainOptions(base="blank", max_epochs=1)))
        curve.learning_curve(p, p, good.id, TrainOptions(base="blank", max_epochs=2), 1.0)
        good = registry.get(p, good.id)
    assert good.activated and not worse.activated
    win = make_window(path)
    win.actions_by_name["models"].trigger()
    dlg = win.model_dialog
    qtbot.waitExposed(dlg)
    table = dlg.models
    assert table.rowCount() == 2
    columns = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert columns == ["Model", "Trained", "Train", "Dev", "Base", "P", "R", "F", "Corrections",
                       "State"]  # fmt: skip
    cell = {(r, columns[c]): table.item(r, c).text() for r in range(2)
            for c in range(table.columnCount())}  # fmt: skip
    assert (cell[0, "Model"], cell[1, "Model"]) == ("1", "2")
    assert (cell[0, "Train"], cell[0, "Dev"]) == (str(good.train_articles), str(good.dev_articles))
    assert good.train_articles + good.dev_articles == 150 and cell[0, "Base"] == "blank"
    case = good.scores["adoption"]
    assert cell[0, "Corrections"] == f"{case['with']} vs {case['without']}"
    tip = table.item(0, columns.index("Corrections")).toolTip()
    assert tip.startswith(f"Corrections on {case['articles']} dev articles: {case['with']} with "
                          f"model 1, {case['without']} with no model (patterns and decisions)")
    assert "95% interval" in tip
    assert cell[0, "F"] == f"{good.f:.3f}" and cell[0, "State"] == "● in use"
    assert cell[1, "State"] == ""
    assert dlg.selected() == 1 and not dlg.use_button.isEnabled()  # the one in use
    assert {dlg.labels.item(r, 0).text() for r in range(dlg.labels.rowCount())} == {
        "GPE",
        "ORG",
        "PERSON",
    }
    # The selected model's learning curve: x in percent of its training articles.
    items = dlg.plot.getPlotItem().listDataItems()
    xs, ys = items[0].getData()
    assert list(xs) == [25, 50, 75, 100]
    assert list(ys) == [pt["f"] for pt in good.scores["curve"]] + [good.f]
    counts = [pt["train_articles"] for pt in good.scores["curve"]]
    assert counts == sorted(counts) and counts[-1] < good.train_articles
    assert dlg.curve_title.text().startswith("Learning curve: model 1")
    rect = table.visualRect(table.model().index(1, 1))
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    assert dlg.selected() == 2 and dlg.labels_title.text() == "Per label: model 2"
    assert list(dlg.plot.getPlotItem().listDataItems()[0].getData()[0]) == [100]  # no curve
    assert dlg.curve_note.text().startswith("No learning curve for this model")
    assert dlg.use_button.isEnabled()
    qtbot.mouseClick(dlg.use_button, Qt.LeftButton)
    assert win.project.get_setting("model") == worse.path
    assert message(win) == f"Model 2 (F {worse.f:.2f}) is now used for suggestions"
    state = columns.index("State")
    assert table.item(1, state).text() == "● in use" and table.item(0, state).text() == ""
    assert not dlg.use_button.isEnabled()
    # A model whose folder was removed (only the one in use, the best and the newest keep
    # theirs) says so and cannot be used.
    with Project(path) as p:
        for _ in range(3):
            registry.save(p, train_ner(p, TrainOptions(base="blank", max_epochs=1)),
                          activate=False)  # fmt: skip
        gone = sorted({r.id for r in registry.all_models(p)} - registry.kept(p))
    assert gone and not Path(registry.get(win.project, gone[0]).path).exists()
    dlg.reload()
    row = gone[0] - 1
    assert table.item(row, state).text() == "folder removed"
    rect = table.visualRect(table.model().index(row, 1))
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    assert dlg.selected() == gone[0] and not dlg.use_button.isEnabled()
    assert "folder was removed" in dlg.use_button.toolTip()


def test_the_frozen_app_trains_through_its_own_command_line(tmp_path, monkeypatch):
    exe = tmp_path / "annotator"
    exe.write_text("")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(exe))
    assert train_command("p.db", "blank") == (str(exe), ["train", "--db", "p.db", "--json",
                                                         "--base", "blank"])  # fmt: skip
    win_exe, cli = tmp_path / "annotator.exe", tmp_path / "annotator-cli.exe"
    win_exe.write_text("")
    cli.write_text("")
    monkeypatch.setattr(sys, "executable", str(win_exe))
    assert train_command("p.db")[0] == str(cli)  # the console one: the windowed has no stdout
    monkeypatch.delattr(sys, "frozen")
    assert train_command("p.db")[1][:3] == ["-m", "annotator", "train"]
    assert error_sentence(["Traceback…", "annotator: error: no such file"], 1) == "no such file."
    assert error_sentence([], 3) == "the training process ended with exit code 3."
