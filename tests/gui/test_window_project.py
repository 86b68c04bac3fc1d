"""The window and the project file: restart, two windows, import, export, labels, safety."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from annotator.core.project import Project
from annotator.core.records import ArticleRecord
from annotator.gui import dialogs


def key(qtbot, win, k, mods=Qt.NoModifier):
    qtbot.keyClick(win.view, k, mods)


def test_restart_returns_to_the_same_article_with_everything_saved(qtbot, make_window,
                                                                   project_path):  # fmt: skip
    win = make_window(project_path, article=1)
    key(qtbot, win, Qt.Key_A)  # accept 1 -> 2
    win.view.select_range(29, 35)
    key(qtbot, win, Qt.Key_3)  # London on article 2, article stays pending
    assert win.current_id == 2
    win.close()
    again = make_window(project_path)  # no article given: the last one shown
    assert again.current_id == 2
    assert [(s.start, s.end, s.label) for s in again.project.spans(2)] == [(29, 35, "GPE")]
    assert [s.confirmed for s in again.shown] == [True]
    assert again.project.article(1).status == "accepted"
    assert "1 / 3 done" in again.progress_label.text()


def test_restart_without_a_remembered_article_shows_the_first_pending(make_window,
                                                                      project_path):  # fmt: skip
    with Project(project_path) as p:
        p.set_status(1, "accepted")
    win = make_window(project_path)
    assert win.current_id == 2


def test_two_windows_on_one_file_reload_instead_of_overwriting(qtbot, make_window,
                                                                project_path):  # fmt: skip
    two = make_window(project_path, article=2)
    two.timer.stop()  # the conflict must be caught by the edit itself, not the timer
    one = make_window(project_path, article=2)
    one.view.select_range(29, 35)
    key(qtbot, one, Qt.Key_3)
    two.view.select_range(0, 5)
    two.apply_label("ORG")
    assert "changed in another window; reloaded" in two.statusBar().currentMessage()
    assert [(s.start, s.label) for s in two.project.spans(2)] == [(29, "GPE")]  # not applied
    assert [(s.start, s.label, s.confirmed) for s in two.shown] == [(29, "GPE", True)]
    two.view.select_range(0, 5)
    two.apply_label("ORG")  # now it knows the article: applied
    assert [(s.start, s.label) for s in two.project.spans(2)] == [(0, "ORG"), (29, "GPE")]


def test_focus_in_reloads_an_article_changed_elsewhere(qtbot, make_window, project_path):
    win = make_window(project_path, article=2)
    with Project(project_path) as p:
        p.set_status(2, "rejected")
    win.refresh_from_disk()  # what focus-in and the timer do
    assert "changed in another window; reloaded" in win.statusBar().currentMessage()
    assert win.article.status == "rejected"
    assert win.status_pill.text() == "REJECTED"


def test_refresh_picks_up_articles_imported_elsewhere(make_window, project_path):
    win = make_window(project_path)
    with Project(project_path) as p:
        p.add_records([ArticleRecord(text="A fourth article about Berlin.")])
    win.refresh_from_disk()
    assert win.queue_model.rowCount() == 4
    assert "0 / 4 done" in win.progress_label.text()


def test_export_after_annotating_holds_exactly_what_was_done(qtbot, make_window, project_path,
                                                             tmp_path, monkeypatch):  # fmt: skip
    from spacy.tokens import DocBin

    from annotator.core.tokens import blank

    shown = []
    monkeypatch.setattr(dialogs, "inform", lambda *a, **k: shown.append(a))
    win = make_window(project_path, article=1)
    win.view.select_range(18, 33)  # Emmanuel Macron
    key(qtbot, win, Qt.Key_1)
    win.view.select_range(46, 52)  # Monday
    key(qtbot, win, Qt.Key_4)
    win.view.select_range(38, 38)  # the Paris suggestion: delete (dismiss) it
    key(qtbot, win, Qt.Key_Delete)
    key(qtbot, win, Qt.Key_A)  # accept: "Angela Merkel" suggestion is confirmed
    key(qtbot, win, Qt.Key_X)  # reject article 2: not exported
    out = tmp_path / "out"
    report = dialogs.run_export(win, project_path, {"out": out, "format": "spacy",
                                                    "dev_split": 0.0, "seed": 0,
                                                    "strict": True})  # fmt: skip
    assert report is not None and report.ok
    assert shown and shown[0][1] == "Export finished"
    docs = list(DocBin().from_disk(out / "train.spacy").get_docs(blank("en").vocab))
    assert len(docs) == 1
    ents = [(e.text, e.label_) for e in docs[0].ents]
    assert ents == [("Angela Merkel", "PERSON"), ("Emmanuel Macron", "PERSON"),
                    ("Monday", "DATE")]  # fmt: skip


def test_html_in_titles_and_text_is_shown_literally(make_window, tmp_path):
    path = tmp_path / "html.annotator.db"
    with Project(path) as p:
        p.add_label("ORG")
        p.add_records([ArticleRecord(text="<b>bold</b> and <script>alert(1)</script>",
                                     title="<b>Title</b> <i>x</i>")])  # fmt: skip
    win = make_window(path)
    assert win.title_label.text() == "<b>Title</b> <i>x</i>"
    assert win.title_label.textFormat() == Qt.PlainText
    assert win.meta_label.textFormat() == Qt.PlainText
    assert win.view.toPlainText() == "<b>bold</b> and <script>alert(1)</script>"
    index = win.queue_model.index(0, 1)
    assert win.queue_model.data(index) == "<b>Title</b> <i>x</i>"


def test_core_errors_show_in_the_status_bar(qtbot, make_window, project_path):
    win = make_window(project_path, article=2)
    win.show_article(999)  # no such article: a message, no traceback
    assert "no article 999" in win.statusBar().currentMessage()
    assert win.current_id == 2


def test_empty_project_offers_import_and_samples(qtbot, make_window, tmp_path, monkeypatch):
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / "one.txt").write_text("Sample title\n\nBarack Obama visited Kenya.", "utf-8")
    (samples / "two.txt").write_text("Another one\n\nSony sells cameras in Tokyo.", "utf-8")
    monkeypatch.setattr("annotator.core.paths.samples_dir", lambda: samples)
    win = make_window(tmp_path / "empty.annotator.db")
    assert win.pages.currentIndex() == 1  # the empty page
    assert win.import_button.isVisible() and win.samples_button.isVisible()
    qtbot.mouseClick(win.samples_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: win.current_id is not None, timeout=5000)
    assert win.pages.currentIndex() == 0
    assert win.queue_model.rowCount() == 2
    assert "imported 2 articles" in win.statusBar().currentMessage().lower()


def test_import_files_runs_in_a_thread_and_reports(qtbot, make_window, project_path, tmp_path,
                                                   monkeypatch):  # fmt: skip
    f = tmp_path / "more.jsonl"
    f.write_text('{"text": "Nokia is based in Espoo."}\nnot json\n', "utf-8")
    told = []
    monkeypatch.setattr(dialogs, "choose_files", lambda parent: [f])
    monkeypatch.setattr(dialogs, "inform", lambda *a, **k: told.append(a))
    win = make_window(project_path)
    win.actions_by_name["import"].trigger()
    assert win.queue_model.rowCount() == 4
    assert told and "1 bad record" in told[0][2]  # the bad line is reported


def test_import_can_be_cancelled(make_window, project_path, tmp_path, monkeypatch):
    f = tmp_path / "many.jsonl"
    f.write_text("".join(f'{{"text": "Article number {i}."}}\n' for i in range(3000)), "utf-8")
    win = make_window(project_path)
    run = dialogs.TaskThread.run

    def cancel_first(self):  # as if Cancel was pressed at once
        self.cancelled = True
        run(self)

    monkeypatch.setattr(dialogs.TaskThread, "run", cancel_first)
    report = dialogs.run_import(win, project_path, [f])
    assert report is not None and report.imported == 0


def test_labels_dialog_adds_rekeys_and_removes(qtbot, make_window, project_path, monkeypatch):
    win = make_window(project_path)
    dlg = dialogs.LabelsDialog(win.project, "tester", win)
    dlg.labelsChanged.connect(win.reload_labels)
    qtbot.addWidget(dlg)
    dlg.name_edit.setText("EVENT")
    dlg.add_button.click()
    assert "EVENT" in win.label_bar.chips
    assert {lab.name: lab.key for lab in win.project.labels()}["EVENT"] == "5"
    row = [lab.name for lab in win.project.labels()].index("EVENT")
    dlg.table.cellWidget(row, 2).setCurrentText("1")  # takes key 1 from PERSON
    keys = {lab.name: lab.key for lab in win.project.labels()}
    assert keys["EVENT"] == "1" and keys["PERSON"] is None
    monkeypatch.setattr(dialogs, "choose_colour", lambda parent, c: "#123456")
    dlg.table.cellWidget(row, 0).click()
    assert {lab.name: lab.colour for lab in win.project.labels()}["EVENT"] == "#123456"
    win.view.select_range(0, 5)
    win.apply_label("ORG")
    asked = []
    monkeypatch.setattr(dialogs, "ask", lambda *a: asked.append(a) or True)
    org_row = [lab.name for lab in win.project.labels()].index("ORG")
    dlg.table.cellWidget(org_row, 3).click()  # used by a span: asks, then deletes both
    assert asked and "ORG" not in win.project.label_names()
    assert "ORG" not in win.label_bar.chips


def test_preferences_store_name_theme_and_model(qtbot, make_window, project_path):
    win = make_window(project_path)
    dlg = dialogs.PreferencesDialog(win.settings, win.project, win)
    qtbot.addWidget(dlg)
    dlg.name.setText("Ana")
    dlg.theme.setCurrentText("dark")
    dlg.model.setCurrentIndex(dlg.model.findData("none"))  # patterns and decisions only
    assert dlg.save() is True
    assert win.settings.annotator_name() == "Ana" and win.settings.theme() == "dark"
    assert win.project.get_setting("model", "auto") == "none"
    win.apply_theme("dark")
    win.view.select_range(0, 6)
    win.apply_label("PERSON")
    assert win.project.spans(win.current_id)[0].annotator == "Ana"


def test_file_drop_imports(qtbot, make_window, project_path, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    f = tmp_path / "dropped.txt"
    f.write_text("Dropped\n\nVolvo builds cars in Gothenburg.", "utf-8")
    win = make_window(project_path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(f))])
    event = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    win.dropEvent(event)
    qtbot.waitUntil(lambda: win.queue_model.rowCount() == 4, timeout=5000)


def test_help_overlay_lists_every_key_and_blocks_shortcuts(qtbot, make_window, project_path):
    from annotator.gui import keymap

    win = make_window(project_path, article=1)
    qtbot.keyClick(win.view, Qt.Key_F1)
    assert win.help.isVisible()
    listed = {k for k, _ in win.help.rows}
    hidden = {"new", "open", "quit", "preferences"}
    for b in keymap.BINDINGS:
        if b.action not in hidden:
            assert keymap.keys_text(b) in listed, b.action
    qtbot.keyClick(win.help, Qt.Key_A)  # closes the overlay, does not accept
    assert not win.help.isVisible()
    assert win.project.article(1).status == "pending"
    qtbot.keyClick(win.view, Qt.Key_Question, Qt.ShiftModifier)
    assert win.help.isVisible()


def test_queue_click_opens_article_and_filter_search(qtbot, make_window, project_path):
    win = make_window(project_path, article=1)
    rect = win.queue.visualRect(win.queue_model.index(2, 1))
    qtbot.mouseClick(win.queue.viewport(), Qt.LeftButton, pos=rect.center())
    assert win.current_id == 3
    assert win.view.hasFocus()
    win.search.setText("london")
    win.apply_filter()
    qtbot.waitUntil(lambda: win.queue_model.ids == [2])  # searched on a worker thread
    win.search.clear()
    win.status_filter.setCurrentIndex(win.status_filter.findData("accepted"))
    assert win.queue_model.ids == []
    assert win.status_filter.currentText() == "Accepted (0)"


@pytest.mark.parametrize("env, problem", [
    ({}, True),
    ({"DISPLAY": ":0"}, False),
    ({"WAYLAND_DISPLAY": "wayland-0"}, False),
    ({"QT_QPA_PLATFORM": "offscreen"}, False),
])  # fmt: skip
def test_headless_detection(env, problem):
    from annotator.gui.app import display_problem

    message = display_problem(env, "linux")
    assert (message is not None) == problem
    if message:
        assert "\n" not in message and "annotator --help" in message and "--screenshot" in message
    assert display_problem({}, "win32") is None


def test_run_gui_without_display_prints_one_line_and_returns_2(monkeypatch, capsys):
    from annotator.gui import app

    monkeypatch.setattr(app, "display_problem", lambda: "annotator: no display is available")
    assert app.run_gui() == 2
    assert capsys.readouterr().err.strip() == "annotator: no display is available"


def test_run_gui_screenshot_writes_a_png(qapp, project_path, tmp_path):
    from annotator.gui.app import run_gui

    out = tmp_path / "win.png"
    with Project(project_path) as p:  # no model: patterns and decisions only, loads fast
        p.set_setting("model", None)
    assert run_gui(db=project_path, screenshot=out, article=2) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PySide6.QtGui import QImage

    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 800)


def test_queue_model_passes_qtmodeltester(qtmodeltester, project_path):
    from annotator.gui.queue_model import ArticleQueueModel

    with Project(project_path) as p:
        model = ArticleQueueModel(p)
        qtmodeltester.check(model, force_py=True)
        model.set_filter("pending", "apple")
        qtmodeltester.check(model, force_py=True)
        assert model.ids == [2]


def test_queue_model_pages_large_queues(tmp_path):
    from annotator.gui import queue_model

    with Project(tmp_path / "big.annotator.db") as p:
        p.add_records([ArticleRecord(text=f"Article {i} text.", title=f"T{i}")
                       for i in range(1200)])  # fmt: skip
        model = queue_model.ArticleQueueModel(p)
        assert model.rowCount() == 1200
        assert model.data(model.index(1100, 1)) == "T1100"
        assert set(model._pages) == {1100 // queue_model.PAGE}  # only that page was read
        p.set_status(model.id_at(1100), "accepted")
        model.invalidate(model.id_at(1100))
        assert model.data(model.index(1100, 2)) == "accepted"


def test_suggestions_come_from_the_worker(qtbot, make_window, tmp_path):
    patterns = tmp_path / "patterns.jsonl"
    patterns.write_text('{"label": "ORG", "pattern": "Acme"}\n', "utf-8")
    path = tmp_path / "sugg.annotator.db"
    with Project(path) as p:
        p.add_label("ORG")
        p.set_setting("model", None)
        p.set_setting("patterns", str(patterns))
        p.add_records([ArticleRecord(text="Acme hired staff."),
                       ArticleRecord(text="Acme again.")])  # fmt: skip
    win = make_window(path, worker=True)
    qtbot.waitUntil(lambda: win.suggester_state == "ready", timeout=20000)
    qtbot.waitUntil(lambda: bool(win.shown), timeout=10000)
    assert [(s.start, s.end, s.label, s.confirmed) for s in win.shown] == [(0, 4, "ORG", False)]
    assert "ready" in win.suggester_label.text()
    key(qtbot, win, Qt.Key_A)
    assert [(s.start, s.end) for s in win.project.spans(1)] == [(0, 4)]
    qtbot.waitUntil(lambda: bool(win.shown) and win.current_id == 2, timeout=10000)  # prefetched


def test_typing_in_the_search_box_does_not_trigger_shortcuts(qtbot, make_window, project_path):
    win = make_window(project_path, article=1)
    win.search.setFocus()
    qtbot.keyClicks(win.search, "a x1")
    assert win.search.text() == "a x1"
    assert win.project.counts()["pending"] == 3


def test_open_project_and_recent_projects(qtbot, make_window, project_path, tmp_path,
                                          monkeypatch):  # fmt: skip
    other = tmp_path / "other.annotator.db"
    with Project(other) as p:
        p.add_records([ArticleRecord(text="Only one article here.")])
    win = make_window(project_path)
    monkeypatch.setattr(dialogs, "choose_open_project", lambda parent: other)
    win.actions_by_name["open"].trigger()
    assert win.project.path == other and win.queue_model.rowCount() == 1
    assert win.settings.recent_projects()[:2] == [other.resolve(), project_path.resolve()]
    win._fill_recent()
    win.recent_menu.actions()[1].trigger()  # back to the first project
    assert win.project.path.resolve() == project_path.resolve()
    assert win.queue_model.rowCount() == 3


def test_export_dialog_options(qtbot, make_window, project_path, tmp_path):
    win = make_window(project_path)
    dlg = dialogs.ExportDialog(win.project, win)
    qtbot.addWidget(dlg)
    dlg.out.setText(str(tmp_path / "x"))
    dlg.format.setCurrentIndex(1)
    assert not dlg.dev_split.isEnabled()
    dlg.strict.setChecked(True)
    assert dlg.options() == {"out": tmp_path / "x", "format": "jsonl", "dev_split": 0.2,
                             "seed": 0, "strict": True}  # fmt: skip


def test_run_gui_reports_a_bad_project_file_in_one_line(qapp, tmp_path, capsys):
    from annotator.gui.app import run_gui

    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    assert run_gui(db=bad, screenshot=tmp_path / "x.png") == 1
    assert "not an Annotator project file" in capsys.readouterr().err


def test_rename_a_label_in_the_labels_dialog(qtbot, project_path):
    from PySide6.QtWidgets import QLineEdit

    from annotator.gui.dialogs import LabelsDialog

    with Project(project_path) as p:
        dialog = LabelsDialog(p)
        qtbot.addWidget(dialog)
        name = dialog.table.cellWidget(0, 1)
        assert isinstance(name, QLineEdit) and name.text() == "PERSON"
        name.setText("PER")
        name.editingFinished.emit()
        assert p.label_names()[0] == "PER"
        assert dialog.table.cellWidget(0, 1).text() == "PER"


STARTS_LIGHT = r"""
import sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from annotator.gui.main_window import MainWindow
from annotator.gui.settings import AppSettings
win = MainWindow(sys.argv[1], AppSettings(), start_worker=False)
win.show()
app.processEvents()
heavy = sorted(m for m in ("sqlite_utils", "numpy", "spacy", "click") if m in sys.modules)
print(win.current_id, ",".join(heavy))
"""


def test_the_window_shows_an_existing_project_without_the_heavy_imports(project_path):
    """sqlite-utils (numpy, click, dateutil: ~300 ms) is imported only to migrate a file,
    spaCy only by the suggestion worker: the first frame needs neither."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", STARTS_LIGHT, str(project_path)],
                          capture_output=True, text=True, timeout=120, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0].strip() == "1"  # shown on article 1, nothing heavy
