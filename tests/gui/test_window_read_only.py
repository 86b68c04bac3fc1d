"""The window on a project it may not write, and on a disk that is full.

A read-only project opens (it is not "not an Annotator project file"), the window says
once that nothing can be saved, the real suggestion worker still brings suggestions (from
a patterns file), and `a` says "Not saved … read-only" and changes nothing on disk.

Read-only for real, as root too (tests/read_only_places.py): file permissions do not stop
root, so as root the project's folder is seen through a read-only bind mount, where every
write fails with EROFS whoever asks; as a normal user the folder is chmod'ed read-only.
Only where root may not mount at all is the test skipped. The folder holds no -wal or
-shm file, so SQLite cannot even open it `mode=ro` and the project is read `immutable`:
the case users met as "not an Annotator project file".
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from read_only_places import ReadOnlyPlace, digest, tiny_file_system
from suggest_helpers import make_project, shown, write_patterns

from annotator.core.project import Project
from annotator.core.records import ArticleRecord
from annotator.gui import dialogs
from annotator.gui.suggest_worker import wait_for_workers

NAME = "news.annotator.db"
TEXTS = ["Reuters reported that Angela Merkel met Emmanuel Macron.",
         "Apple opened an office in London."]  # fmt: skip


@pytest.fixture
def told(monkeypatch):
    messages: list[str] = []
    monkeypatch.setattr(dialogs, "inform",
                        lambda parent, title, text, detail="": messages.append(text))  # fmt: skip
    return messages


@pytest.fixture
def read_only_project(tmp_path):
    """(the project seen read-only, the writable folder it is really in). Asked for before
    `make_window`, so the window is closed, and its worker gone, before the folder is
    made writable again."""
    place = ReadOnlyPlace(tmp_path)
    patterns = write_patterns(place.work / "patterns.jsonl", ("ORG", "Reuters"),
                              ("PERSON", "Angela Merkel"))  # fmt: skip
    make_project(place.work / NAME, TEXTS, patterns=patterns)
    with place as view:
        yield view / NAME, place.work
        wait_for_workers(30)
    place.cleanup()


def test_the_window_on_a_read_only_project_suggests_and_saves_nothing(read_only_project,
                                                                      make_window, qtbot,
                                                                      told):  # fmt: skip
    path, work = read_only_project
    before = digest(work)
    win = make_window(path, worker=True, article=1)
    assert win.project is not None and win.project.read_only  # opened, not refused
    assert win.project.store.immutable  # no -shm could be made: read as it is
    qtbot.waitUntil(lambda: win.is_ready() and win.feed.state == "ready", timeout=30000)
    assert shown(win) == [(0, 7, "ORG", False), (22, 35, "PERSON", False)]
    assert len(told) == 1  # said once, when it opened
    assert "read-only" in told[0] and "nothing can be saved" in told[0]
    assert "not saved" in win.feed.unsaved and "read-only" in win.feed.unsaved
    assert win.feed.message.startswith(win.feed.unsaved)
    assert win.suggester_label.toolTip().startswith(win.feed.unsaved)
    assert win.suggester_label.text().endswith("(not saved)")  # seen, not only on hover
    assert "(read-only: nothing can be saved)" in win.windowTitle()

    qtbot.keyClick(win.view, Qt.Key_A)
    qtbot.waitUntil(lambda: len(told) == 2, timeout=5000)
    assert told[1].startswith("Not saved (") and f"{NAME} is read-only here" in told[1]
    assert "\n" not in told[1] and "Errno" not in told[1]
    assert win.current_id == 1 and win.undo_stack.count() == 0
    with Project(path, create=False) as again:
        assert again.article(1).status == "pending" and again.spans(1) == []
    assert digest(work) == before


def test_an_export_to_a_full_disk_says_so_in_plain_words(make_window, project_path, tmp_path,
                                                         told):  # fmt: skip
    with Project(project_path) as p:
        text = "Angela Merkel met Emmanuel Macron in Paris on Monday. " * 150
        for aid in p.add_records([ArticleRecord(text=f"{i}. {text}") for i in range(40)]).ids:
            p.set_status(aid, "accepted")
    win = make_window(project_path)
    with tiny_file_system(tmp_path / "tiny") as tiny:
        out = tiny / "tasks.jsonl"
        report = dialogs.run_export(win, project_path, {"out": out, "format": "jsonl",
                                                        "dev_split": 0.2, "seed": 0,
                                                        "strict": False})  # fmt: skip
        assert report is None
        assert told == [f"The disk holding {out} is full: free some space and try again."]
        assert list(tiny.iterdir()) == []
