"""Labelling one mention labels its other occurrences in the article, as suggestions, in the
same undo step (issue 9; INCEpTION's "annotate all occurrences")."""

from __future__ import annotations

from PySide6.QtCore import Qt

from annotator.core.project import Project
from annotator.core.records import ArticleRecord

TEXT = "Kyiv said on Monday that Kyiv and Lviv, unlike Kyiv's suburbs, had power."


def shown(win):
    return [(s.start, s.end, s.label, s.confirmed, s.source) for s in win.shown]


def test_labelling_a_mention_suggests_its_other_occurrences_in_one_undo_step(
        qtbot, make_window, tmp_path):  # fmt: skip
    path = tmp_path / "occ.annotator.db"
    with Project(path) as p:
        p.ensure_labels(["GPE", "PERSON"])
        p.add_records([ArticleRecord(text=TEXT), ArticleRecord(text="Another article.")])
    win = make_window(path, article=1)
    win.view.select_range(0, 4)
    qtbot.keyClick(win.view, Qt.Key_1)  # GPE
    assert shown(win)[:3] == [(0, 4, "GPE", True, "human"), (25, 29, "GPE", False, "decision"),
                              (47, 51, "GPE", False, "decision")]  # fmt: skip
    win.view.select_range(26, 26)
    qtbot.keyClick(win.view, Qt.Key_2)  # relabel the second as PERSON: the others follow
    assert [(s.start, s.label, s.confirmed) for s in win.shown] == [
        (0, "GPE", True), (25, "PERSON", True), (47, "PERSON", False)]  # fmt: skip
    win.view.select_range(26, 26)
    qtbot.keyClick(win.view, Qt.Key_Delete)  # deleting it takes the PERSON suggestion along
    assert [(s.start, s.label, s.confirmed) for s in win.shown] == [(0, "GPE", True)]
    win.undo_stack.undo()
    win.undo_stack.undo()
    assert [(s.start, s.label, s.confirmed) for s in win.shown] == [
        (0, "GPE", True), (25, "GPE", False), (47, "GPE", False)]  # fmt: skip
    win.undo_stack.undo()  # the first labelling and its suggestions: one step
    assert shown(win) == []
    win.undo_stack.redo()
    qtbot.keyClick(win.view, Qt.Key_A)  # accept: the suggested occurrences are confirmed
    with Project(path) as p:
        assert [(s.start, s.end, s.label) for s in p.spans(1)] == [
            (0, 4, "GPE"), (25, 29, "GPE"), (47, 51, "GPE")]  # fmt: skip
