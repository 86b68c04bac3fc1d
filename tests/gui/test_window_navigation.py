"""The queue follows decisions under a status filter; Recent projects never re-create a
file that was moved or deleted."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from annotator.core.project import Project
from annotator.gui import dialogs


def selected_id(win):
    rows = win.queue.selectionModel().selectedRows()
    return win.queue_model.id_at(rows[0].row()) if rows else None


def test_a_decided_article_leaves_the_pending_list(qtbot, make_window, project_path):
    win = make_window(project_path, article=1)
    win.status_filter.setCurrentIndex(win.status_filter.findData("pending"))
    assert win.queue_model.ids == [1, 2, 3]
    qtbot.keyClick(win.view, Qt.Key_A)
    assert win.current_id == 2
    assert win.queue_model.ids == [2, 3]
    assert selected_id(win) == 2
    assert win.status_filter.currentText() == "Pending (2)"
    qtbot.keyClick(win.view, Qt.Key_X)
    assert win.queue_model.ids == [3] and selected_id(win) == 3
    win.undo_stack.undo()  # back on article 2, pending again: listed and selected
    assert win.current_id == 2
    assert win.queue_model.ids == [2, 3] and selected_id(win) == 2


def test_a_missing_recent_project_is_not_recreated(qtbot, make_window, project_path, tmp_path,
                                                   monkeypatch):  # fmt: skip
    told = []
    monkeypatch.setattr(dialogs, "inform", lambda parent, title, text, detail="": told.append(text))
    gone = tmp_path / "moved.annotator.db"
    with Project(gone) as p:
        p.add_label("ORG")
    win = make_window(gone)
    win.open_project(project_path)
    gone.unlink()
    assert win.settings.recent_projects()[:2] == [project_path.resolve(), gone.resolve()]
    win._fill_recent()
    win.recent_menu.actions()[1].trigger()
    assert not gone.exists()  # not re-created as an empty project
    assert len(told) == 1 and "missing" in told[0] and str(gone.resolve()) in told[0]
    assert win.settings.recent_projects() == [project_path.resolve()]
    assert win.project.path == project_path and win.current_id is not None


def test_open_does_not_create_a_file_either(qtbot, make_window, project_path, tmp_path,
                                            monkeypatch):  # fmt: skip
    told = []
    monkeypatch.setattr(dialogs, "inform", lambda parent, title, text, detail="": told.append(text))
    nowhere = tmp_path / "nowhere.annotator.db"
    monkeypatch.setattr(dialogs, "choose_open_project", lambda parent: nowhere)
    win = make_window(project_path)
    win.actions_by_name["open"].trigger()
    assert not nowhere.exists() and len(told) == 1
    assert win.project.path == project_path


def click_header(qtbot, win, column: int) -> None:
    header = win.queue.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.LeftButton, pos=QPoint(x, header.height() // 2))


def test_sorting_by_status_with_the_header_follows_decisions(qtbot, make_window, project_path):
    from annotator.gui.queue_model import ID, STATUS, TITLE

    with Project(project_path) as p:
        p.set_status(3, "accepted")
    win = make_window(project_path, article=1)
    assert win.queue_model.ids == [1, 2, 3]
    header = win.queue.horizontalHeader()
    assert not header.isSortIndicatorShown()  # by # upwards: no arrow over the narrow #
    click_header(qtbot, win, STATUS)  # accepted first, then pending, by id
    assert win.queue_model.ids == [3, 1, 2] and selected_id(win) == 1
    assert header.isSortIndicatorShown() and header.sortIndicatorSection() == STATUS
    click_header(qtbot, win, STATUS)  # again: descending
    assert win.queue_model.ids == [2, 1, 3]
    click_header(qtbot, win, TITLE)  # titles are not a sort: nothing changes
    assert win.queue_model.ids == [2, 1, 3]
    click_header(qtbot, win, STATUS)
    assert win.queue_model.ids == [3, 1, 2]
    qtbot.keyClick(win.view, Qt.Key_X)  # article 1 rejected: it moves to the end
    assert win.queue_model.ids == [3, 2, 1] and win.current_id == 2 and selected_id(win) == 2
    click_header(qtbot, win, ID)
    assert win.queue_model.ids == [1, 2, 3] and not header.isSortIndicatorShown()
    click_header(qtbot, win, ID)  # again: downwards
    assert win.queue_model.ids == [3, 2, 1] and header.isSortIndicatorShown()


def test_jumping_to_a_far_row_of_a_big_queue_opens_its_article(qtbot, make_window, tmp_path):
    from annotator.core.records import ArticleRecord

    path = tmp_path / "big.annotator.db"
    with Project(path) as p:
        p.add_label("ORG")
        p.add_records([ArticleRecord(text=f"Story {i} from Acme.") for i in range(3000)])
        for aid in range(1, 3001, 3):
            p.set_status(aid, "accepted")
    win = make_window(path, article=1)
    win.status_filter.setCurrentIndex(win.status_filter.findData("pending"))
    model = win.queue_model
    assert len(model.ids) == 2000
    win.queue.setCurrentIndex(model.index(1900, 1))  # as a click or a scrollbar jump would
    assert win.current_id == model.id_at(1900) == 2852  # pending ids: 2, 3, 5, 6, …
    assert win.article.text == "Story 2851 from Acme."
    assert model.data(model.index(1900, 2)) == "pending"
