"""Edits on one article, applied and reverted without Qt."""

from __future__ import annotations

from annotator.core.annotation import (
    AddSpan,
    ChangeSpan,
    RemoveSpan,
    SetStatus,
    accept_edit,
    shown_spans,
)  # fmt: skip
from annotator.core.records import ArticleRecord, Span

TEXT = "Vladimir Putin met NATO in Kyiv."
SUGG = [
    Span(0, 14, "PERSON", "model"),
    Span(19, 23, "ORG", "pattern"),
    Span(27, 31, "GPE", "model"),
]


def setup(project):
    for lab in ("PERSON", "ORG", "GPE"):
        project.add_label(lab)
    return project.add_records([ArticleRecord(text=TEXT)]).ids[0]


def view(project, aid):
    return [(s.start, s.end, s.label, s.confirmed) for s in shown_spans(project, aid, SUGG)]


def test_suggestions_shown_outlined_and_blocked_by_stored(project):
    aid = setup(project)
    assert [c for *_, c in view(project, aid)] == [False, False, False]
    AddSpan(aid, Span(0, 8, "PERSON")).apply(project)
    assert view(project, aid)[0] == (0, 8, "PERSON", True)
    assert (0, 14, "PERSON", False) not in view(project, aid)  # overlaps a stored span


def test_remove_suggestion_dismisses_and_undo_restores(project):
    aid = setup(project)
    nato = shown_spans(project, aid, SUGG)[1]
    edit = RemoveSpan(aid, nato)
    edit.apply(project)
    assert (19, 23, "ORG", False) not in view(project, aid)
    edit.revert(project)
    assert (19, 23, "ORG", False) in view(project, aid)


def test_change_suggestion_becomes_human_span_and_undo(project):
    aid = setup(project)
    kyiv = shown_spans(project, aid, SUGG)[2]
    edit = ChangeSpan(aid, kyiv, 27, 31, "ORG")
    edit.apply(project)
    assert [(s.label, s.source) for s in project.spans(aid)] == [("ORG", "human")]
    assert (27, 31, "GPE", False) not in view(project, aid)
    edit.revert(project)
    assert project.spans(aid) == []
    assert (27, 31, "GPE", False) in view(project, aid)
    edit.apply(project)  # redo after undo
    assert [(s.start, s.label) for s in project.spans(aid)] == [(27, "ORG")]


def test_change_and_delete_stored_span_with_undo(project):
    aid = setup(project)
    add = AddSpan(aid, Span(0, 8, "PERSON"))
    add.apply(project)
    shown = [s for s in shown_spans(project, aid) if s.confirmed][0]
    grow = ChangeSpan(aid, shown, 0, 14, "PERSON")
    grow.apply(project)
    assert project.spans(aid)[0].end == 14
    grow.revert(project)
    assert project.spans(aid)[0].end == 8
    rm = RemoveSpan(aid, [s for s in shown_spans(project, aid) if s.confirmed][0])
    rm.apply(project)
    assert project.spans(aid) == []
    rm.revert(project)
    assert [(s.start, s.end) for s in project.spans(aid)] == [(0, 8)]
    assert project.spans(aid)[0].id == add.span_id  # re-created under its old id
    AddSpan(aid, Span(27, 31, "GPE")).apply(project)  # a newer span takes the next id
    add.revert(project)  # so undoing the first edit still removes the right span
    assert [(s.start, s.end) for s in project.spans(aid)] == [(27, 31)]


def test_accept_confirms_shown_suggestions_and_undo(project):
    aid = setup(project)
    RemoveSpan(aid, shown_spans(project, aid, SUGG)[1]).apply(project)
    edit = accept_edit(aid, shown_spans(project, aid, SUGG))
    edit.apply(project)
    assert project.article(aid).status == "accepted"
    assert [s.label for s in project.spans(aid)] == ["PERSON", "GPE"]
    assert view(project, aid) == [(0, 14, "PERSON", True), (27, 31, "GPE", True)]
    edit.revert(project)
    assert project.article(aid).status == "pending"
    assert project.spans(aid) == []


def test_reject_and_skip_confirm_nothing(project):
    aid = setup(project)
    for status in ("rejected", "skipped"):
        edit = SetStatus(aid, status, [Span(0, 14, "PERSON")])
        edit.apply(project)
        assert project.article(aid).status == status and project.spans(aid) == []
        edit.revert(project)


def test_redo_recreates_spans_under_their_first_ids(project):
    aid = setup(project)
    add = AddSpan(aid, Span(0, 8, "PERSON"))
    add.apply(project)
    first = add.span_id
    add.revert(project)
    AddSpan(aid, Span(27, 31, "GPE")).apply(project)  # takes the next free id
    add.apply(project)  # redo
    assert add.span_id == first
    change = ChangeSpan(aid, shown_spans(project, aid, SUGG)[2 - 1], 19, 23, "PERSON")
    change.apply(project)
    new_id = change.new_id
    change.revert(project)
    change.apply(project)
    assert change.new_id == new_id
    accept = accept_edit(aid, shown_spans(project, aid, SUGG))
    accept.apply(project)
    ids = accept.result.added_span_ids
    accept.revert(project)
    accept.apply(project)
    assert accept.result.added_span_ids == ids
