"""Moving by keyboard in the window: the focus starts on the article, Tab / j / k step
between spans, the status bar says what suggestions are out of view, the text zooms."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from annotator.core.project import Project
from annotator.core.records import ArticleRecord, Span
from annotator.gui import dialogs
from annotator.gui.article_view import DEFAULT_POINT_SIZE
from annotator.gui.main_window import MainWindow
from annotator.gui.settings import AppSettings


def open_window(qtbot, path, **kwargs):
    """A window as the app opens it: nobody puts the focus anywhere by hand."""
    win = MainWindow(path, AppSettings(), start_worker=False, **kwargs)
    qtbot.addWidget(win)
    win.resize(1100, 700)
    with qtbot.waitSignal(win.ready, timeout=5000, raising=False):
        win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: win.isActiveWindow(), timeout=2000)
    return win


def focused(win):
    s = win.view.focused_span()
    return None if s is None else (s.start, s.end, s.label, s.confirmed)


# ---- 1. focus ----------------------------------------------------------------------------------
def test_the_first_key_acts_on_the_article(qtbot, project_path):
    win = open_window(qtbot, project_path, article=1)
    qtbot.waitUntil(lambda: win.view.hasFocus(), timeout=2000)
    qtbot.keyClick(win.focusWidget(), Qt.Key_A)  # wherever the keyboard is: it goes there
    assert win.project.article(1).status == "accepted"
    assert win.search.text() == ""
    win.close()


def test_focus_returns_to_the_article_after_a_project_switch_and_an_import(
        qtbot, project_path, tmp_path, monkeypatch):  # fmt: skip
    empty = tmp_path / "empty.annotator.db"
    with Project(empty) as p:
        p.add_label("ORG")
    win = open_window(qtbot, empty)
    win.search.setFocus()
    f = tmp_path / "one.txt"
    f.write_text("One\n\nVolvo builds cars in Gothenburg.", "utf-8")
    win.import_paths([f])
    assert win.current_id is not None and win.view.hasFocus()
    win.search.setFocus()
    win.open_project(project_path, article=2)
    assert win.view.hasFocus()
    qtbot.keyClick(win.focusWidget(), Qt.Key_X)
    assert win.project.article(2).status == "rejected" and win.search.text() == ""
    win.close()


# ---- 2. next / previous span -------------------------------------------------------------------
def test_tab_and_j_k_step_between_spans_and_keys_act_on_the_focused_one(
        qtbot, make_window, project_path):  # fmt: skip
    win = make_window(project_path, article=1)  # suggestions: PERSON 0-13, GPE 37-42
    view = win.view
    view.select_range(20, 20)  # between the spans ("Emmanuel")
    assert focused(win) is None
    qtbot.keyClick(view, Qt.Key_Tab)
    assert focused(win) == (37, 42, "GPE", False) and view.hasFocus()
    qtbot.keyClick(view, Qt.Key_Backtab, Qt.ShiftModifier)
    assert focused(win) == (0, 13, "PERSON", False)
    qtbot.keyClick(view, Qt.Key_K)  # nothing before the first: it stays, the bar says so
    assert focused(win) == (0, 13, "PERSON", False)
    assert "No span" in win.statusBar().currentMessage()
    qtbot.keyClick(view, Qt.Key_J)
    assert focused(win) == (37, 42, "GPE", False)
    qtbot.keyClick(view, Qt.Key_2)  # a label key relabels the focused span
    assert [(s.start, s.end, s.label) for s in win.project.spans(1)] == [(37, 42, "ORG")]
    assert focused(win) == (37, 42, "ORG", True)
    qtbot.keyClick(view, Qt.Key_K)
    qtbot.keyClick(view, Qt.Key_Delete)  # Delete dismisses the focused suggestion
    assert [(s.start, s.end) for s in win.shown] == [(37, 42)]
    qtbot.keyClick(view, Qt.Key_J)
    qtbot.keyClick(view, Qt.Key_Period)  # the end one token right: "Paris on"
    assert [(s.start, s.end) for s in win.project.spans(1)] == [(37, 45)]


def test_the_focused_span_is_drawn_with_a_ring(qtbot, make_window, project_path):
    win = make_window(project_path, article=1)
    view = win.view
    view.select_range(20, 20)
    view.repaint()
    before = view.viewport().grab().toImage()
    qtbot.keyClick(view, Qt.Key_J)  # focus on "Paris"
    view.repaint()
    after = view.viewport().grab().toImage()
    ring = view.palette().color(view.palette().ColorRole.Text).rgb()
    changed = [(x, y) for y in range(0, after.height(), 1) for x in range(0, after.width(), 2)
               if before.pixel(x, y) != after.pixel(x, y)]  # fmt: skip
    assert changed, "focusing a span changes how it is drawn"
    assert sum(after.pixel(x, y) == ring for x, y in changed) > 20  # ring in the text colour


# ---- 3. suggestions out of view ----------------------------------------------------------------
@pytest.fixture
def long_path(tmp_path):
    words = [f"Paragraph {i} is about nothing in particular at all today." for i in range(80)]
    text = "\n\n".join(words)
    spans = [Span(text.index(f"Paragraph {i} "), text.index(f"Paragraph {i} ") + 9, "ORG",
                  "import") for i in (0, 60, 70, 79)]  # fmt: skip
    path = tmp_path / "long.annotator.db"
    with Project(path) as p:
        p.add_label("ORG")
        p.add_records([ArticleRecord(text=text, title="Long", suggestions=spans)])
    return path


def test_the_status_bar_counts_suggestions_out_of_view(qtbot, make_window, long_path):
    win = make_window(long_path, article=1)
    win.resize(900, 420)
    qtbot.waitUntil(lambda: win.view.height() < 400, timeout=2000)
    label = win.work.unseen_label
    assert win.view.suggestions_out_of_view() == (0, 3)
    # The label follows a moment after the view settles (not inside every scroll step).
    qtbot.waitUntil(lambda: label.isVisible()
                    and label.text() == "3 more suggestions below ↓", timeout=2000)  # fmt: skip
    bar = win.view.verticalScrollBar()
    bar.setValue(bar.maximum())  # scrolled to the end: the first three are above
    qtbot.waitUntil(lambda: label.text() == "3 more suggestions above ↑", timeout=2000)
    win.view.select_range(len(win.article.text) // 2, len(win.article.text) // 2)
    qtbot.waitUntil(lambda: label.text()
                    == "3 more suggestions below ↓ · 1 more suggestion above ↑",
                    timeout=2000)  # fmt: skip
    win.resize(1100, 4000)  # everything fits: nothing to say
    qtbot.waitUntil(lambda: not label.isVisible(), timeout=2000)
    qtbot.keyClick(win.view, Qt.Key_A)
    assert len(win.project.spans(1)) == 4


# ---- 4. text size ------------------------------------------------------------------------------
def test_zoom_is_remembered_between_runs(qtbot, project_path):
    win = open_window(qtbot, project_path, article=1)
    assert win.view.point_size() == DEFAULT_POINT_SIZE
    tag = win.view._tag_font().pointSizeF()
    qtbot.keyClick(win.view, Qt.Key_Equal, Qt.ControlModifier)
    qtbot.keyClick(win.view, Qt.Key_Equal, Qt.ControlModifier)
    big = win.view.point_size()
    assert big > DEFAULT_POINT_SIZE and win.view._tag_font().pointSizeF() > tag  # tags too
    qtbot.keyClick(win.view, Qt.Key_Minus, Qt.ControlModifier)
    size = win.view.point_size()
    assert DEFAULT_POINT_SIZE < size < big
    win.close()
    again = open_window(qtbot, project_path, article=1)
    assert again.view.point_size() == size
    qtbot.keyClick(again.view, Qt.Key_0, Qt.ControlModifier)
    assert again.view.point_size() == DEFAULT_POINT_SIZE
    assert again.project.spans(1) == []  # Ctrl+0 is not the label key 0
    again.close()


# ---- 6. preferences: "none" is a real choice ---------------------------------------------------
def test_preferences_offer_none_auto_and_installed_models(qtbot, make_window, project_path):
    win = make_window(project_path)
    dlg = dialogs.PreferencesDialog(win.settings, win.project, win)
    qtbot.addWidget(dlg)
    choices = [dlg.model.itemData(i) for i in range(dlg.model.count())]
    assert choices[:2] == ["auto", "none"]
    assert dlg.model_choice() == "auto"
    dlg.model.setCurrentIndex(dlg.model.findData("none"))
    assert dlg.save() is True and win.project.get_setting("model") == "none"
    again = dialogs.PreferencesDialog(win.settings, win.project, win)
    qtbot.addWidget(again)
    assert again.model_choice() == "none"
    assert again.model.currentText().startswith("none")
    again.model.setEditText("/some/pipeline")  # a folder, typed
    assert again.model_choice() == "/some/pipeline"


def test_a_project_without_a_model_shows_none(qtbot, make_window, project_path):
    win = make_window(project_path)
    win.project.set_setting("model", None)  # as older projects and the CLI store "no model"
    dlg = dialogs.PreferencesDialog(win.settings, win.project, win)
    qtbot.addWidget(dlg)
    assert dlg.model_choice() == "none"
    assert dlg.save() is False  # unchanged: the suggestions are not restarted
