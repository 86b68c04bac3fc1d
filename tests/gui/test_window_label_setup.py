"""A new project asks for its labels: the model's labels with spaCy's descriptions, the
common ones ticked, the patterns' labels, and labels of one's own; with the real worker."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from suggest_helpers import make_project, shown, write_patterns

from annotator.core.project import Project
from annotator.core.suggest.label_choice import DEFAULT_CHOICE, label_choices
from annotator.gui.app import run_gui
from annotator.gui.label_setup import LabelSetupDialog

WAIT = 30000
TEXT = "Angela Merkel took aspirin in Berlin."
_ASKING = 0  # the newest answer_dialog: an older poll (its dialog never came) stops


def answer_dialog(qtbot, respond) -> dict:
    """Call `respond(dialog)` on the label dialog as soon as it is open (it is modal: the
    window's constructor waits in it)."""
    seen: dict = {}
    global _ASKING
    _ASKING += 1
    mine = _ASKING

    def poll():
        if mine != _ASKING:  # a later test asks now: this one's poll must not answer it
            return
        dlg = next((w for w in QApplication.topLevelWidgets()
                    if isinstance(w, LabelSetupDialog) and w.isVisible()), None)  # fmt: skip
        if dlg is None:
            QTimer.singleShot(30, poll)
            return
        seen["dialog"] = dlg
        seen["offered"] = [dlg.list.item(i).text() for i in range(dlg.list.count())]
        seen["ticked"] = dlg.chosen()
        seen["over_the_window"] = dlg.parentWidget() is not None and dlg.parentWidget().isVisible()
        respond(dlg)

    QTimer.singleShot(0, poll)
    return seen


def tick(dlg, name: str, checked: bool) -> None:
    item = dlg.list.item(dlg.names().index(name))
    item.setCheckState(Qt.Checked if checked else Qt.Unchecked)


def unlabelled(tmp_path, patterns=None):
    return make_project(tmp_path / "new.annotator.db", [TEXT], patterns=patterns,
                        model="auto", labels=())  # fmt: skip


def test_a_new_project_asks_which_labels_and_suggests_only_those(qtbot, make_window,
                                                                 tmp_path):  # fmt: skip
    pat = write_patterns(tmp_path / "p.jsonl", ("DRUG", "aspirin"))
    path = unlabelled(tmp_path, pat)

    def respond(dlg):
        tick(dlg, "GPE", False)  # no places in this project
        QTest.keyClicks(dlg.own, "DOSE")
        QTest.keyClick(dlg.own, Qt.Key_Return)  # added, ticked
        dlg.use.click()

    seen = answer_dialog(qtbot, respond)
    win = make_window(path, worker=True)
    offered = seen["offered"]
    assert len(offered) == 19  # the model's 18 and the patterns' DRUG
    assert "PERSON  —  People, including fictional" in offered
    assert seen["ticked"] == [*DEFAULT_CHOICE, "DRUG"]
    assert seen["over_the_window"]  # asked once the window shows, not before
    assert win.view.hasFocus()  # back from the dialog, the first key acts on the article
    assert win.project.label_names() == ["PERSON", "ORG", "LOC", "NORP", "EVENT", "DRUG", "DOSE"]
    assert [lab.key for lab in win.project.labels()][:3] == ["1", "2", "3"]
    qtbot.waitUntil(win.is_ready, timeout=WAIT)
    assert win.project.label_names()[-1] == "DOSE"  # the worker added nothing
    assert {(lab, TEXT[s:e]) for s, e, lab, _ in shown(win)} == {
        ("PERSON", "Angela Merkel"), ("DRUG", "aspirin")}  # Berlin (GPE) is not offered


def test_closing_the_dialog_gives_the_ticked_defaults(qtbot, make_window, tmp_path):
    path = unlabelled(tmp_path)
    seen = answer_dialog(qtbot, lambda dlg: dlg.reject())
    win = make_window(path, worker=True)
    assert seen["ticked"] == list(DEFAULT_CHOICE)
    assert win.project.label_names() == list(DEFAULT_CHOICE)
    qtbot.waitUntil(win.is_ready, timeout=WAIT)
    assert win.project.label_names() == list(DEFAULT_CHOICE)


def test_a_bad_label_name_is_said_in_the_dialog_and_nothing_is_chosen_until_fixed(
        qtbot, make_window, tmp_path):  # fmt: skip
    path = unlabelled(tmp_path)
    said = {}

    def respond(dlg):
        QTest.keyClicks(dlg.own, "A" * 200)
        dlg.use.click()  # refused: the dialog stays
        said["error"] = dlg.error.text() if dlg.error.isVisible() else ""
        said["open"] = dlg.isVisible()
        dlg.own.clear()
        for name in dlg.names():
            tick(dlg, name, False)
        dlg.use.click()  # nothing ticked: refused too
        said["none"] = dlg.error.text()
        tick(dlg, "ORG", True)
        dlg.use.click()

    answer_dialog(qtbot, respond)
    win = make_window(path, worker=True)
    assert said["open"] and said["error"] and said["none"] == "Tick at least one label."
    assert win.project.label_names() == ["ORG"]


def test_a_project_with_labels_or_nothing_to_offer_is_not_asked(qtbot, make_window, tmp_path):
    asked = answer_dialog(qtbot, lambda dlg: dlg.reject())
    none = make_project(tmp_path / "none.annotator.db", [TEXT], model=None, labels=())
    win = make_window(none, worker=True)  # no model, no patterns: nothing to offer
    qtbot.waitUntil(win.is_ready, timeout=WAIT)
    labelled = make_project(tmp_path / "l.annotator.db", [TEXT], model="auto", labels=("ORG",))
    win2 = make_window(labelled, worker=True)
    qtbot.waitUntil(win2.is_ready, timeout=WAIT)
    qtbot.wait(100)
    assert "dialog" not in asked
    assert win.project.label_names() == [] and win2.project.label_names() == ["ORG"]


def test_a_screenshot_run_never_asks_and_takes_the_defaults(qapp, tmp_path):
    path = unlabelled(tmp_path)
    out = tmp_path / "shot.png"
    assert run_gui(path, screenshot=out) == 0
    assert out.stat().st_size > 0
    with Project(path) as p:
        assert p.label_names() == list(DEFAULT_CHOICE)


def test_label_choices_preselect_common_and_pattern_labels_through_the_map():
    got = label_choices(["PERSON", "ORG", "DATE", "LOC"], ["BRAND", "ORG"], {"LOC": "GPE"})
    assert [(c.name, c.source, c.chosen) for c in got] == [
        ("PERSON", "model", True), ("ORG", "model, patterns", True), ("GPE", "model", True),
        ("BRAND", "patterns", True), ("DATE", "model", False)]  # fmt: skip
    assert got[-1].description == "Absolute or relative dates or periods"
    assert got[3].description == "from the patterns file"
    own = label_choices(["SHOE", "SHIRT"], [])  # a model trained on labels of its own
    assert [(c.name, c.chosen) for c in own] == [("SHIRT", True), ("SHOE", True)]


def test_enter_adds_several_labels_of_ones_own_and_keeps_the_dialog_open(qtbot, make_window,
                                                                         tmp_path):  # fmt: skip
    path = unlabelled(tmp_path)
    said = {}

    def respond(dlg):
        for name in ("DRUG", "DOSE", "ROUTE"):
            QTest.keyClicks(dlg.own, name)
            QTest.keyClick(dlg.own, Qt.Key_Return)
            said.setdefault("open", []).append(dlg.isVisible() and dlg.result() == 0)
        said["own"] = [n for n in dlg.chosen() if n in ("DRUG", "DOSE", "ROUTE")]
        said["defaults_icon"] = dlg.use_defaults.icon().isNull()
        said["defaults_text"] = dlg.use_defaults.text()
        dlg.use.click()

    answer_dialog(qtbot, respond)
    win = make_window(path, worker=True)
    assert said["open"] == [True, True, True]  # Enter added each one; the dialog stayed
    assert said["own"] == ["DRUG", "DOSE", "ROUTE"]
    assert said["defaults_icon"] and said["defaults_text"] == "Use the defaults"  # no ✗
    assert win.project.label_names()[-3:] == ["DRUG", "DOSE", "ROUTE"]
