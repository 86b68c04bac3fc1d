"""Annotating in the window with keys and the mouse: spans, decisions, undo."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor


def point_at(view, offset: int):
    cursor = QTextCursor(view.document())
    cursor.setPosition(offset)  # the test texts are ASCII: code points = Qt positions
    return view.cursorRect(cursor).center()


def stored(win, aid=None):
    aid = aid or win.current_id
    return [(s.start, s.end, s.label) for s in win.project.spans(aid)]


def shown(win):
    return [(s.start, s.end, s.label, s.confirmed) for s in win.shown]


def key(qtbot, win, k, mods=Qt.NoModifier):
    qtbot.keyClick(win.view, k, mods)


def test_mouse_drag_then_label_key_adds_a_snapped_span(qtbot, make_window, project_path):
    win = make_window(project_path, article=2)  # "Apple opened a new office in London …"
    viewport = win.view.viewport()
    start, end = point_at(win.view, 30), point_at(win.view, 33)  # "ond" of London
    qtbot.mousePress(viewport, Qt.LeftButton, pos=start)
    qtbot.mouseMove(viewport, end)
    qtbot.mouseRelease(viewport, Qt.LeftButton, pos=end)
    assert win.view.selected_range() == (30, 33)
    key(qtbot, win, Qt.Key_3)
    assert stored(win) == [(29, 35, "GPE")]  # snapped to the whole token "London"
    assert win.view.selected_range() is None


def test_keyboard_selection_and_snapping(qtbot, make_window, project_path):
    win = make_window(project_path, article=2)
    win.view.select_range(0, 0)
    for _ in range(3):
        key(qtbot, win, Qt.Key_Right, Qt.ShiftModifier)
    assert win.view.selected_range() == (0, 3)
    key(qtbot, win, Qt.Key_2)
    assert stored(win) == [(0, 5, "ORG")]  # "App" -> "Apple"


def test_selection_over_spans_replaces_them_in_one_undo_step(qtbot, make_window, project_path):
    win = make_window(project_path, article=1)
    assert (0, 13, "PERSON", False) in shown(win)  # an imported suggestion
    win.view.select_range(0, 6)  # "Angela"
    key(qtbot, win, Qt.Key_1)
    assert stored(win) == [(0, 6, "PERSON")]
    assert (0, 13, "PERSON", False) not in shown(win)  # the suggestion was replaced
    win.undo_stack.undo()
    assert stored(win) == []
    assert (0, 13, "PERSON", False) in shown(win)


def test_label_key_on_span_relabels_and_delete_removes(qtbot, make_window, project_path):
    win = make_window(project_path, article=1)
    win.view.select_range(38, 38)  # cursor inside the suggestion "Paris" (37-42)
    key(qtbot, win, Qt.Key_2)
    assert stored(win) == [(37, 42, "ORG")]  # the changed suggestion becomes a human span
    key(qtbot, win, Qt.Key_3)
    assert stored(win) == [(37, 42, "GPE")]
    key(qtbot, win, Qt.Key_Delete)
    assert stored(win) == []
    win.view.select_range(2, 2)  # on the suggestion "Angela Merkel"
    key(qtbot, win, Qt.Key_Backspace)
    assert (0, 13, "PERSON", False) not in shown(win)  # dismissed
    assert (0, 13, "PERSON") in win.project.dismissed(1)


def test_grow_and_shrink_by_one_token(qtbot, make_window, project_path):
    win = make_window(project_path, article=2)
    win.view.select_range(29, 35)  # London
    key(qtbot, win, Qt.Key_3)
    win.view.select_range(30, 30)
    key(qtbot, win, Qt.Key_BracketLeft)  # start one token left: "in London"
    assert stored(win) == [(26, 35, "GPE")]
    key(qtbot, win, Qt.Key_Period)  # end one token right: "in London last"
    assert stored(win) == [(26, 40, "GPE")]
    key(qtbot, win, Qt.Key_Comma)  # end back
    key(qtbot, win, Qt.Key_BracketRight)  # start back
    assert stored(win) == [(29, 35, "GPE")]
    key(qtbot, win, Qt.Key_BracketRight)  # can't shrink a one-token span away
    assert stored(win) == [(29, 35, "GPE")]
    assert "Can't shrink" in win.statusBar().currentMessage()


def test_accept_confirms_suggestions_and_moves_on(qtbot, make_window, project_path):
    win = make_window(project_path, article=1)
    key(qtbot, win, Qt.Key_A)
    assert win.project.article(1).status == "accepted"
    assert stored(win, 1) == [(0, 13, "PERSON"), (37, 42, "GPE")]
    assert win.current_id == 2
    key(qtbot, win, Qt.Key_X)
    assert win.project.article(2).status == "rejected"
    assert win.current_id == 3
    key(qtbot, win, Qt.Key_Space)
    assert win.project.article(3).status == "skipped"
    assert "3 / 3 done" in win.progress_label.text()
    assert "This session: 3" in win.session_label.text()


def test_move_between_articles_without_deciding(qtbot, make_window, project_path):
    win = make_window(project_path, article=1)
    key(qtbot, win, Qt.Key_Right, Qt.AltModifier)
    assert win.current_id == 2
    key(qtbot, win, Qt.Key_Left, Qt.AltModifier)
    assert win.current_id == 1
    key(qtbot, win, Qt.Key_Right)  # plain arrows move the text cursor
    assert win.current_id == 1 and win.view.cursor_offset() == 1
    assert win.project.counts()["pending"] == 3


def test_undo_and_redo_across_articles(qtbot, make_window, project_path):
    win = make_window(project_path, article=2)
    win.view.select_range(29, 35)
    key(qtbot, win, Qt.Key_3)  # London, article 2
    key(qtbot, win, Qt.Key_A)  # accept 2 -> article 3 shown
    assert win.current_id == 3
    win.view.select_range(4, 18)
    key(qtbot, win, Qt.Key_2)  # "United Nations", article 3
    key(qtbot, win, Qt.Key_Z, Qt.ControlModifier)
    assert stored(win, 3) == []
    key(qtbot, win, Qt.Key_Z, Qt.ControlModifier)  # undo the accept: back on article 2
    assert win.current_id == 2
    assert win.project.article(2).status == "pending"
    key(qtbot, win, Qt.Key_Z, Qt.ControlModifier)
    assert stored(win, 2) == []
    key(qtbot, win, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)  # redo
    assert stored(win, 2) == [(29, 35, "GPE")]
    key(qtbot, win, Qt.Key_Y, Qt.ControlModifier)  # redo the accept
    assert win.project.article(2).status == "accepted"
    key(qtbot, win, Qt.Key_Y, Qt.ControlModifier)  # redo on article 3 navigates there
    assert win.current_id == 3
    assert stored(win, 3) == [(4, 18, "ORG")]


def test_redo_keeps_span_ids_for_later_edits(qtbot, make_window, project_path):
    win = make_window(project_path, article=2)
    win.view.select_range(0, 5)
    key(qtbot, win, Qt.Key_2)  # Apple: ORG
    win.view.select_range(1, 1)
    key(qtbot, win, Qt.Key_1)  # relabel it (names the span by id)
    for _ in range(2):
        win.undo_stack.undo()
    for _ in range(2):
        win.undo_stack.redo()
    assert stored(win) == [(0, 5, "PERSON")]


def test_no_selection_and_no_span_says_so(qtbot, make_window, project_path):
    win = make_window(project_path, article=2)
    win.view.select_range(7, 7)
    key(qtbot, win, Qt.Key_1)
    assert stored(win) == []
    assert "Select some text" in win.statusBar().currentMessage()
    key(qtbot, win, Qt.Key_9)  # no label has key 9
    assert "No label has key 9" in win.statusBar().currentMessage()


def test_label_bar_click_applies_label(qtbot, make_window, project_path):
    win = make_window(project_path, article=2)
    win.view.select_range(29, 35)
    qtbot.mouseClick(win.label_bar.chips["GPE"], Qt.LeftButton)
    assert stored(win) == [(29, 35, "GPE")]
    assert win.view.hasFocus() or win.focusWidget() is win.view


def test_text_shown_is_the_stored_text(qtbot, make_window, project_path):
    win = make_window(project_path, article=3)
    assert win.view.toPlainText() == win.project.article(3).text
