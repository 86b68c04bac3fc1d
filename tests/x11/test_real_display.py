"""The window on a real X server: start, select with a real mouse drag, label, accept,
screenshot."""

from __future__ import annotations

import os

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication, QTextCursor
from PySide6.QtTest import QTest

from annotator.core.project import Project
from annotator.core.records import ArticleRecord

TEXT = "Angela Merkel met Emmanuel Macron in Paris on Monday."


def point_at(view, offset: int) -> QPoint:
    cursor = QTextCursor(view.document())
    cursor.setPosition(offset)
    return view.cursorRect(cursor).center()


def test_select_with_the_mouse_label_accept_and_screenshot(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from annotator.gui.main_window import MainWindow
    from annotator.gui.settings import AppSettings

    assert QGuiApplication.platformName() == "xcb"
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "qs"))
    path = tmp_path / "x11.annotator.db"
    with Project(path) as p:
        p.ensure_labels(["PERSON", "ORG", "GPE"])
        p.set_setting("model", None)
        p.add_records([ArticleRecord(text=TEXT), ArticleRecord(text="A second article.")])
    win = MainWindow(path, AppSettings(), article=1)
    qtbot.addWidget(win)
    win.resize(1100, 700)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)
    qtbot.waitUntil(win.is_ready, timeout=20000)
    view = win.view
    start, end = point_at(view, 19), point_at(view, 30)  # inside "Emmanuel Macron"
    QTest.mousePress(view.viewport(), Qt.LeftButton, Qt.NoModifier, start)
    QTest.mouseMove(view.viewport(), end)
    QTest.mouseRelease(view.viewport(), Qt.LeftButton, Qt.NoModifier, end)
    assert view.selected_range() == (19, 30)
    QTest.keyClick(view, Qt.Key_1)  # PERSON, snapped to whole words
    assert [(s.start, s.end, s.label) for s in win.project.spans(1)] == [(18, 33, "PERSON")]
    qtbot.wait(200)  # the X server has the repainted window
    shot = win.screen().grabWindow(win.winId())
    out = tmp_path / "x11.png"
    assert shot.save(str(out)) and out.stat().st_size > 10_000
    os.environ.get("ANNOTATOR_X11_SHOT") and shot.save(os.environ["ANNOTATOR_X11_SHOT"])
    QTest.keyClick(view, Qt.Key_A)
    qtbot.waitUntil(lambda: win.current_id == 2, timeout=5000)
    with Project(path) as p:
        assert p.article(1).status == "accepted"
        assert [(s.start, s.end) for s in p.spans(1)] == [(18, 33)]
    win.close()
