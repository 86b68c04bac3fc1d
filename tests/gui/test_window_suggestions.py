"""The window and its suggestion worker, with the real worker thread running: stale
results never land, `a` accepts only final suggestions, no-model still suggests."""

from __future__ import annotations

from PySide6.QtCore import Qt
from suggest_helpers import LoadGate, SlowCompute, make_project, shown, stored, write_patterns

from annotator.core.project import Project
from annotator.core.records import Span
from annotator.core.suggest.service import SuggestionService
from annotator.gui import dialogs
from annotator.gui.suggestion_display import CHANGED, LOADING_NOTE, WAITING_NOTE

WAIT = 30000  # ms: generous, the machine is shared


def key(qtbot, win, k):
    qtbot.keyClick(win.view, k)


def restart(win) -> None:
    """What Preferences does after the model or patterns changed."""
    win.restart_suggestions()


def test_results_of_the_previous_project_never_land_on_the_next(qtbot, make_window, tmp_path,
                                                                monkeypatch):  # fmt: skip
    pa = write_patterns(tmp_path / "a.jsonl", ("ORG", "Acme"))
    a = make_project(tmp_path / "a.annotator.db", ["Acme hired staff."], patterns=pa)
    b = make_project(tmp_path / "b.annotator.db", ["Zeta Corp is small."])  # no suggestions
    slow = SlowCompute(monkeypatch, {a.name})
    gate = LoadGate(monkeypatch, {b.name})  # B's suggestions come only when the test says
    win = make_window(a, worker=True)
    qtbot.waitUntil(slow.started.is_set, timeout=WAIT)  # A's worker is busy with article 1
    monkeypatch.setattr(dialogs, "choose_open_project", lambda parent: b)
    win.actions_by_name["open"].trigger()
    assert win.project.path == b and win.current_id == 1
    qtbot.waitUntil(slow.finished.is_set, timeout=WAIT)  # A's result is out…
    qtbot.wait(300)  # …and would have been delivered by now
    assert shown(win) == []  # not drawn on B's article 1
    key(qtbot, win, Qt.Key_A)  # B's suggestions aren't in: accepting waits
    assert win.project.article(1).status == "pending"
    gate.open()
    qtbot.waitUntil(lambda: win.project.article(1).status == "accepted", timeout=WAIT)
    assert stored(win, 1) == []  # nothing of A's


def test_results_from_before_a_preferences_change_are_dropped(qtbot, make_window, tmp_path,
                                                              monkeypatch):  # fmt: skip
    org = write_patterns(tmp_path / "org.jsonl", ("ORG", "Acme"))
    person = write_patterns(tmp_path / "person.jsonl", ("PERSON", "Acme"))
    path = make_project(tmp_path / "p.annotator.db", ["Acme hired staff."], patterns=org)
    slow = SlowCompute(monkeypatch, {path.name})
    win = make_window(path, worker=True)
    qtbot.waitUntil(slow.started.is_set, timeout=WAIT)  # computing with the ORG patterns
    gate = LoadGate(monkeypatch)  # the next generation loads when the test says
    win.project.set_setting("patterns", str(person))
    restart(win)
    qtbot.waitUntil(slow.finished.is_set, timeout=WAIT)
    qtbot.wait(300)
    assert shown(win) == []  # the ORG result of the old patterns was dropped
    gate.open()
    qtbot.waitUntil(lambda: shown(win) == [(0, 4, "PERSON", False)], timeout=WAIT)
    key(qtbot, win, Qt.Key_A)
    assert stored(win, 1) == [(0, 4, "PERSON")]


def test_accept_while_the_model_loads_waits_and_never_stores_an_empty_set(
    qtbot, make_window, tmp_path, monkeypatch
):
    pat = write_patterns(tmp_path / "p.jsonl", ("ORG", "Acme"))
    path = make_project(tmp_path / "p.annotator.db", ["Acme hired staff.", "Acme again."],
                        patterns=pat)  # fmt: skip
    gate = LoadGate(monkeypatch)
    readies = []
    win = make_window(path, worker=True)
    win.ready.connect(lambda: readies.append(shown(win)))
    qtbot.waitUntil(gate.entered.is_set, timeout=WAIT)
    qtbot.waitUntil(lambda: win.pages.note.isVisible(), timeout=WAIT)
    assert win.pages.note.text() == LOADING_NOTE
    assert not win.is_ready()
    key(qtbot, win, Qt.Key_A)
    assert win.project.article(1).status == "pending" and stored(win, 1) == []
    assert win.pages.note.text() == WAITING_NOTE
    gate.open()
    qtbot.waitUntil(lambda: shown(win) == [(0, 4, "ORG", False)], timeout=WAIT)
    # The screen had no suggestion when `a` was pressed: the new ones are not accepted unseen.
    assert win.project.article(1).status == "pending"
    assert win.statusBar().currentMessage() == CHANGED
    assert not win.pages.note.isVisible()
    assert readies == [[(0, 4, "ORG", False)]]  # ready only with the final suggestions
    key(qtbot, win, Qt.Key_A)
    assert stored(win, 1) == [(0, 4, "ORG")]
    assert win.current_id == 2


def test_ready_comes_with_the_projects_decisions_and_a_accepts_what_is_drawn(
    qtbot, make_window, tmp_path, monkeypatch
):
    pat = write_patterns(tmp_path / "p.jsonl", ("ORG", "Acme"))
    path = make_project(tmp_path / "p.annotator.db",
                        ["Acme hired Bob Smith.", "Bob Smith met Acme today."],
                        patterns=pat)  # fmt: skip
    with Project(path) as p:  # an earlier decision, and article 2's machine suggestions cached
        p.set_status(1, "accepted", confirm=[Span(0, 4, "ORG", "pattern"),
                                             Span(11, 20, "PERSON", "human")])  # fmt: skip
        service = SuggestionService.from_project(p)
        service.load(p)
        service.prefetch(p, [2])
    gate = LoadGate(monkeypatch)
    readies = []
    win = make_window(path, worker=True, article=2)
    win.ready.connect(lambda: readies.append(shown(win)))
    assert shown(win) == [(14, 18, "ORG", False)]  # the cache, drawn at once: not final
    assert not win.is_ready()
    key(qtbot, win, Qt.Key_A)
    assert win.project.article(2).status == "pending"
    gate.open()
    final = [(0, 9, "PERSON", False), (14, 18, "ORG", False)]  # with the decision's Bob Smith
    qtbot.waitUntil(lambda: shown(win) == final, timeout=WAIT)
    assert readies == [final]
    assert win.project.article(2).status == "pending"  # Bob Smith was not on screen at `a`
    key(qtbot, win, Qt.Key_A)
    assert stored(win, 2) == [(0, 9, "PERSON"), (14, 18, "ORG")]


def test_a_waiting_accept_goes_through_when_the_suggestions_are_unchanged(
    qtbot, make_window, tmp_path, monkeypatch
):
    pat = write_patterns(tmp_path / "p.jsonl", ("ORG", "Acme"))
    path = make_project(tmp_path / "p.annotator.db", ["Acme hired staff.", "Acme again."],
                        patterns=pat)  # fmt: skip
    with Project(path) as p:
        service = SuggestionService.from_project(p)
        service.load(p)
        service.prefetch(p, [1, 2])
    gate = LoadGate(monkeypatch)
    win = make_window(path, worker=True)
    assert shown(win) == [(0, 4, "ORG", False)] and not win.is_ready()
    key(qtbot, win, Qt.Key_A)
    assert win.project.article(1).status == "pending"
    gate.open()
    qtbot.waitUntil(lambda: win.project.article(1).status == "accepted", timeout=WAIT)
    assert stored(win, 1) == [(0, 4, "ORG")]
    assert win.current_id == 2


def test_an_unknown_model_still_gives_pattern_suggestions(qtbot, make_window, tmp_path):
    pat = write_patterns(tmp_path / "p.jsonl", ("ORG", "Acme"))
    path = make_project(tmp_path / "p.annotator.db", ["Acme hired staff.", "Acme again."],
                        patterns=pat, model="nonexistent_model_xyz")  # fmt: skip
    win = make_window(path, worker=True)
    qtbot.waitUntil(lambda: win.suggester_state == "no-model", timeout=WAIT)
    qtbot.waitUntil(win.is_ready, timeout=WAIT)
    assert shown(win) == [(0, 4, "ORG", False)]
    key(qtbot, win, Qt.Key_A)
    assert stored(win, 1) == [(0, 4, "ORG")]
    qtbot.waitUntil(lambda: win.current_id == 2 and win.is_ready(), timeout=WAIT)
    assert shown(win) == [(0, 4, "ORG", False)]


def test_a_model_without_the_projects_labels_is_not_run_and_the_window_says_so(
        qtbot, make_window, tmp_path):  # fmt: skip
    pat = write_patterns(tmp_path / "p.jsonl", ("DRUG", "aspirin"))
    path = make_project(tmp_path / "d.annotator.db", ["Angela Merkel took aspirin."],
                        patterns=pat, model="auto", labels=("DRUG",))  # fmt: skip
    win = make_window(path, worker=True)
    qtbot.waitUntil(win.is_ready, timeout=WAIT)
    assert win.suggester_state == "ready"
    assert shown(win) == [(19, 26, "DRUG", False)]  # no PERSON from the model
    note = win.work.suggester_label
    assert note.text() == "Suggestions: patterns and decisions only"
    assert "has no DRUG label: not used" in note.toolTip()
    assert "has no DRUG label: not used" in win.statusBar().currentMessage()
