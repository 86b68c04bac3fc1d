"""GUI tests run on real widgets, headless unless QT_QPA_PLATFORM says otherwise."""

from __future__ import annotations

import os

# Before any QApplication exists (pytest-qt creates it lazily, in its qapp fixture).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


# ---- the main window's fixtures --------------------------------------------------------------
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path):
    """Each test gets its own QSettings folder: recent projects, last article, theme."""
    from PySide6.QtCore import QSettings

    folder = tmp_path / "qsettings"
    folder.mkdir()
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(folder))
    yield folder


TEXTS = [
    "Angela Merkel met Emmanuel Macron in Paris on Monday.",
    "Apple opened a new office in London last week.",
    "The United Nations held talks in Geneva about climate.",
]


@pytest.fixture
def project_path(tmp_path):
    """A project file with three articles, labels PERSON (1), ORG (2), GPE (3), DATE (4),
    and imported suggestions on the first article."""
    from annotator.core.project import Project
    from annotator.core.records import ArticleRecord, Span

    path = tmp_path / "test.annotator.db"
    with Project(path) as p:
        for name in ("PERSON", "ORG", "GPE", "DATE"):
            p.add_label(name)
        p.add_records([
            ArticleRecord(text=TEXTS[0], title="Summit", source="a.txt",
                          suggestions=[Span(0, 13, "PERSON", "import"),
                                       Span(37, 42, "GPE", "import")]),
            ArticleRecord(text=TEXTS[1], title="Apple", source="b.txt"),
            ArticleRecord(text=TEXTS[2], title="Talks", source="c.txt"),
        ])  # fmt: skip
    return path


@pytest.fixture
def make_window(qtbot):
    """Open a MainWindow on a project file (no suggestion worker unless asked for)."""
    from annotator.gui.main_window import MainWindow
    from annotator.gui.settings import AppSettings

    windows = []

    def make(path, *, worker: bool = False, article: int | None = None):
        win = MainWindow(path, AppSettings(), article=article, start_worker=worker)
        qtbot.addWidget(win)
        win.resize(1100, 700)
        win.show()
        qtbot.waitExposed(win)
        win.activateWindow()
        qtbot.waitUntil(lambda: win.isActiveWindow(), timeout=2000)
        win.focus_article()
        windows.append(win)
        return win

    yield make
    for win in windows:
        win.close()
