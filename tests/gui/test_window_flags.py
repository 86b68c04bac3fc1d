"""Flagging an article for later (f): a note, undoable, shown in the queue and the header,
with a "Flagged" filter; f again clears the flag."""

from __future__ import annotations

from PySide6.QtCore import Qt

from annotator.gui import dialogs
from annotator.gui.queue_model import TITLE


def row_text(win, aid, role=Qt.DisplayRole):
    return win.queue_model.data(win.queue_model.index(win.queue_model.row_of(aid), TITLE), role)


def test_f_flags_with_a_note_and_again_clears(qtbot, make_window, project_path, monkeypatch):
    asked = []
    monkeypatch.setattr(dialogs, "ask_flag_note",
                        lambda parent, title: asked.append(title) or "check the ORG")  # fmt: skip
    win = make_window(project_path, article=2)
    qtbot.keyClick(win.view, Qt.Key_F)
    assert asked == ["Apple"]
    a = win.project.article(2)
    assert a.flagged and a.flag_note == "check the ORG" and a.status == "pending"
    assert win.current_id == 2  # flagging is not a decision: the article stays
    assert row_text(win, 2).startswith("⚑")
    assert "check the ORG" in row_text(win, 2, Qt.ToolTipRole)
    assert not row_text(win, 1).startswith("⚑")
    assert win.pages.flag_label.isVisible()
    assert win.pages.flag_label.text() == "⚑ Flagged: check the ORG"
    win.undo_stack.undo()
    assert not win.project.article(2).flagged and not win.pages.flag_label.isVisible()
    assert not row_text(win, 2).startswith("⚑")
    win.undo_stack.redo()
    assert win.project.article(2).flag_note == "check the ORG"
    qtbot.keyClick(win.view, Qt.Key_F)  # on a flagged article: clears, without asking
    assert len(asked) == 1 and not win.project.article(2).flagged
    win.undo_stack.undo()  # the note comes back with the flag
    assert win.project.article(2).flag_note == "check the ORG"


def test_cancelling_the_note_flags_nothing(qtbot, make_window, project_path, monkeypatch):
    monkeypatch.setattr(dialogs, "ask_flag_note", lambda parent, title: None)
    win = make_window(project_path, article=1)
    qtbot.keyClick(win.view, Qt.Key_F)
    assert not win.project.article(1).flagged and win.undo_stack.count() == 0


def test_the_flagged_filter(qtbot, make_window, project_path, monkeypatch):
    monkeypatch.setattr(dialogs, "ask_flag_note", lambda parent, title: "")
    win = make_window(project_path, article=1)
    qtbot.keyClick(win.view, Qt.Key_F)
    win.step(+1)
    qtbot.keyClick(win.view, Qt.Key_X)  # flagged articles of any status are listed
    win.show_article(3)
    qtbot.keyClick(win.view, Qt.Key_F)
    i = win.status_filter.findData("flagged")
    assert i >= 0
    win.status_filter.setCurrentIndex(i)
    assert win.queue_model.ids == [1, 3]
    assert win.status_filter.currentText() == "Flagged (2)"
    assert row_text(win, 1) == "⚑ Summit"
    assert "Flagged" in row_text(win, 1, Qt.ToolTipRole)
    qtbot.keyClick(win.view, Qt.Key_F)  # unflagging 3 takes it off the list
    assert win.queue_model.ids == [1] and win.status_filter.currentText() == "Flagged (1)"
    win.undo_stack.undo()
    assert win.queue_model.ids == [1, 3]
