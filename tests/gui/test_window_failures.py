"""When writing fails (a lock held by another program, an integrity error, another window
got there first) and when something unexpected is raised: one clear message, nothing
half-written, no command left on the undo stack that did nothing, no traceback."""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import Qt, QTimer

from annotator.gui import dialogs


def key(qtbot, win, k, mods=Qt.NoModifier):
    qtbot.keyClick(win.view, k, mods)


def stored(win, aid):
    return [(s.start, s.end, s.label) for s in win.project.spans(aid)]


def hold_write_lock(path) -> sqlite3.Connection:
    """What a long import does to the file: a second connection holding the write lock."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    return conn


@pytest.fixture
def told(monkeypatch):
    messages = []
    monkeypatch.setattr(dialogs, "inform",
                        lambda parent, title, text, detail="": messages.append(text))  # fmt: skip
    return messages


def plain(message: str) -> bool:
    return "override" not in message and "Error calling" not in message and "\n" not in message


def test_an_edit_on_a_locked_file_is_dropped_and_said_once(qtbot, make_window, project_path,
                                                           told):  # fmt: skip
    win = make_window(project_path, article=2)
    win.project.db.conn.execute("PRAGMA busy_timeout = 200")
    lock = hold_write_lock(project_path)
    try:
        win.view.select_range(29, 35)  # London
        key(qtbot, win, Qt.Key_3)
        qtbot.waitUntil(lambda: bool(told), timeout=5000)
        assert win.undo_stack.count() == 0  # not kept as if it had been done
        key(qtbot, win, Qt.Key_Z, Qt.ControlModifier)  # nothing to undo: no traceback
    finally:
        lock.rollback()
        lock.close()
    assert len(told) == 1 and plain(told[0])
    assert "locked" in told[0] or "busy" in told[0]
    assert win.undo_stack.count() == 0
    assert stored(win, 2) == []
    win.view.select_range(29, 35)  # the lock is gone: the same edit works
    key(qtbot, win, Qt.Key_3)
    assert stored(win, 2) == [(29, 35, "GPE")]


def test_an_undo_on_a_locked_file_is_dropped_and_changes_nothing(qtbot, make_window,
                                                                 project_path, told):  # fmt: skip
    win = make_window(project_path, article=2)
    win.project.db.conn.execute("PRAGMA busy_timeout = 200")
    win.view.select_range(29, 35)
    key(qtbot, win, Qt.Key_3)
    assert win.undo_stack.count() == 1
    lock = hold_write_lock(project_path)
    try:
        key(qtbot, win, Qt.Key_Z, Qt.ControlModifier)
        qtbot.waitUntil(lambda: bool(told), timeout=5000)
    finally:
        lock.rollback()
        lock.close()
    assert len(told) == 1 and plain(told[0])
    assert stored(win, 2) == [(29, 35, "GPE")]  # still there, and the window says so
    assert [(s.start, s.label, s.confirmed) for s in win.shown] == [(29, "GPE", True)]
    assert win.undo_stack.count() == 0  # a command that can't be undone is not offered again
    key(qtbot, win, Qt.Key_Z, Qt.ControlModifier)
    assert stored(win, 2) == [(29, 35, "GPE")]


def test_an_integrity_error_rolls_the_whole_command_back(qtbot, make_window, project_path,
                                                         told):  # fmt: skip
    win = make_window(project_path, article=1)
    win.view.select_range(0, 6)  # "Angela": replaces the suggestion "Angela Merkel"
    key(qtbot, win, Qt.Key_1)
    span_id = win.project.spans(1)[0].id
    key(qtbot, win, Qt.Key_Z, Qt.ControlModifier)
    assert stored(win, 1) == [] and win.project.dismissed(1) == set()
    other = sqlite3.connect(str(project_path))  # another program takes the span's id
    with other:
        other.execute('INSERT INTO spans(id, article_id, start, "end", label, source, '
                      "created_at) VALUES (?, 3, 4, 18, 'ORG', 'human', 'now')",
                      [span_id])  # fmt: skip
    other.close()
    key(qtbot, win, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)  # redo: dismiss, add
    qtbot.waitUntil(lambda: bool(told), timeout=5000)
    assert len(told) == 1 and plain(told[0])
    assert stored(win, 1) == [] and win.project.dismissed(1) == set()  # nothing half-written
    assert not win.undo_stack.canRedo() and win.undo_stack.count() == 0


def test_undo_after_another_window_changed_the_article_does_not_apply(qtbot, make_window,
                                                                      project_path):  # fmt: skip
    one = make_window(project_path, article=2)
    one.view.select_range(29, 35)
    key(qtbot, one, Qt.Key_3)  # London: GPE, in window one
    two = make_window(project_path, article=2)
    two.view.select_range(30, 30)
    key(qtbot, two, Qt.Key_2)  # window two makes it ORG
    one.timer.stop()
    one.undo_stack.undo()  # one's undo would delete the span two just relabelled
    assert stored(one, 2) == [(29, 35, "ORG")]
    assert "changed in another window" in one.statusBar().currentMessage()
    assert one.undo_stack.count() == 0


@pytest.mark.qt_no_exception_capture
def test_an_unexpected_error_in_a_slot_is_logged_and_reported_once(qtbot, make_window,
                                                                   project_path, tmp_path,
                                                                   monkeypatch):  # fmt: skip
    from annotator.gui.crash_report import ExceptionHook

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    reports = []
    monkeypatch.setattr(
        dialogs,
        "report_error",
        lambda parent, text, details: reports.append((parent, text, details)),
    )
    win = make_window(project_path)

    def broken_slot():
        raise RuntimeError("a bug in a slot")

    with ExceptionHook(win) as hook:
        QTimer.singleShot(0, broken_slot)
        qtbot.waitUntil(lambda: bool(reports), timeout=5000)
        qtbot.wait(50)
    assert len(reports) == 1
    parent, text, details = reports[0]
    assert parent is win and "a bug in a slot" in text and str(hook.log_path) in text
    assert "Traceback" in details and "broken_slot" in details
    log = hook.log_path.read_text("utf-8")
    assert hook.log_path.is_relative_to(tmp_path / "data")
    assert "RuntimeError: a bug in a slot" in log and "broken_slot" in log
