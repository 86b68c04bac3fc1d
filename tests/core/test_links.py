"""Links (issue 19): the entity each mention names, stored and suggested, with undo, the
refusal of unknown ids, links offered to the other mentions of a string, learnt links, and
search by entity. Real SQLite files, no Qt."""

from __future__ import annotations

import pytest

from annotator.core.annotation import (
    AddSpan,
    ChangeSpan,
    RemoveSpan,
    SetLink,
    accept_edit,
    link_mention,
    link_occurrences,
    shown_spans,
)
from annotator.core.project import LinkError, Project
from annotator.core.records import NIL, ArticleRecord, Span
from annotator.core.store.kb import KbEntry

ENTITIES = {
    "Q312545": ("Roy Emerson", ["Emerson"]),
    "Q48226": ("Ralph Waldo Emerson", ["Emerson", "R. W. Emerson"]),
    "Q1899": ("Kyiv", ["Kiev"]),
}


def add_entities(project: Project, entities: dict = ENTITIES) -> None:
    project.kb.add([KbEntry(eid, name, aliases=tuple(aliases))
                    for eid, (name, aliases) in entities.items()])  # fmt: skip


@pytest.fixture
def project(tmp_path):
    with Project(tmp_path / "links.annotator.db") as p:
        p.add_label("PERSON")
        p.add_label("GPE")
        add_entities(p)
        yield p


def article(project: Project, text: str, status: str = "pending") -> int:
    (aid,) = project.add_records([ArticleRecord(text=text, status=status)]).ids
    return aid


def links(project: Project, aid: int) -> list[tuple[int, int, str | None]]:
    return [(s.start, s.end, s.kb_id) for s in project.spans(aid)]


def shown_links(shown) -> list[tuple[int, str | None, bool]]:
    return [(s.start, s.kb_id, s.kb_suggested) for s in shown]


TEXT = "Emerson beat Laver. Emerson won again, and Emerson left Kyiv."
E1, E2, E3 = Span(0, 7, "PERSON"), Span(20, 27, "PERSON"), Span(43, 50, "PERSON")


# ---- storing a link -----------------------------------------------------------------------


def test_a_link_to_an_id_the_knowledge_base_does_not_hold_is_refused_in_one_line(project):
    aid = article(project, TEXT)
    sid = project.add_span(aid, E1)
    version = project.article_version(aid)
    for kb_id in ("Q999", "NIL_otherLink"):
        with pytest.raises(LinkError) as err:
            SetLink(aid, sid, kb_id).apply(project)
        assert kb_id in str(err.value) and "\n" not in str(err.value)
        assert err.value.kb_id == kb_id
    with pytest.raises(LinkError):  # a new span with a link takes the same check
        AddSpan(aid, Span(20, 27, "PERSON", kb_id="Q999")).apply(project)
    assert links(project, aid) == [(0, 7, None)]
    assert project.article_version(aid) == version  # nothing was written


def test_a_link_is_one_transaction_with_the_version_and_the_event(project):
    aid = article(project, TEXT)
    sid = project.add_span(aid, E1)
    version = project.article_version(aid)
    edit = SetLink(aid, sid, "Q312545")
    edit.apply(project, "ann")
    assert links(project, aid) == [(0, 7, "Q312545")]
    assert project.article_version(aid) > version
    event = project.events(aid)[-1]
    assert event["action"] == "link" and event["annotator"] == "ann"
    assert event["data"]["before"] is None and event["data"]["after"] == "Q312545"
    edit.revert(project)
    assert links(project, aid) == [(0, 7, None)]
    edit.apply(project)  # redo
    assert links(project, aid) == [(0, 7, "Q312545")]
    nil = SetLink(aid, sid, NIL)  # "not in the knowledge base" is always a link
    nil.apply(project)
    assert links(project, aid) == [(0, 7, NIL)]
    nil.revert(project)
    assert links(project, aid) == [(0, 7, "Q312545")]  # exactly the link it had


def test_the_window_sees_another_windows_link_as_a_new_version(project):
    from annotator.core.project import ConflictError

    aid = article(project, TEXT)
    sid = project.add_span(aid, E1)
    seen = project.article_version(aid)
    project.set_link(sid, "Q312545")
    with pytest.raises(ConflictError):
        project.set_link(sid, "Q48226", expected_version=seen)
    assert links(project, aid) == [(0, 7, "Q312545")]


def test_deleting_a_linked_span_and_undoing_brings_its_link_back(project):
    aid = article(project, TEXT)
    sid = project.add_span(aid, E1)
    project.set_link(sid, "Q48226")
    (shown,) = shown_spans(project, aid)
    assert (shown.kb_id, shown.kb_suggested) == ("Q48226", False)
    edit = RemoveSpan(aid, shown)
    edit.apply(project)
    assert links(project, aid) == []
    edit.revert(project)
    assert links(project, aid) == [(0, 7, "Q48226")]
    assert project.spans(aid)[0].id == sid  # under its old id


def test_change_span_keeps_the_link_on_a_new_label_drops_it_on_new_text(project):
    aid = article(project, "Roy Emerson beat Laver.")
    sid = project.add_span(aid, Span(4, 11, "PERSON"))
    project.set_link(sid, "Q312545")
    (shown,) = shown_spans(project, aid)
    relabel = ChangeSpan(aid, shown, 4, 11, "GPE")
    relabel.apply(project)
    assert links(project, aid) == [(4, 11, "Q312545")]  # the type was wrong, not the entity
    relabel.revert(project)
    (shown,) = shown_spans(project, aid)
    wider = ChangeSpan(aid, shown, 0, 11, "PERSON")  # "Roy Emerson": another string
    wider.apply(project)
    assert links(project, aid) == [(0, 11, None)]
    wider.revert(project)
    assert [(s.start, s.end, s.label, s.kb_id) for s in project.spans(aid)] == [
        (4, 11, "PERSON", "Q312545")]  # fmt: skip


def test_linking_a_suggestion_stores_it_with_its_link(project):
    aid = article(project, TEXT)
    suggestion = shown_spans(project, aid, [Span(20, 27, "PERSON", "model")])[0]
    edit = SetLink(aid, suggestion, "Q312545")
    edit.apply(project)
    (stored,) = project.spans(aid)
    assert (stored.start, stored.source, stored.kb_id) == (20, "model", "Q312545")
    edit.revert(project)
    assert project.spans(aid) == []
    assert project.dismissed(aid) == set()  # still suggested
    edit.apply(project)  # redo: the same id
    assert project.spans(aid)[0].id == stored.id


# ---- the other mentions of the string ------------------------------------------------------


def test_linking_one_mention_offers_the_entity_to_the_others_in_one_undo_step(project):
    aid = article(project, TEXT)
    first = project.add_span(aid, E1)
    project.add_span(aid, E2)
    kept = project.add_span(aid, E3)
    project.set_link(kept, "Q48226")  # a stored link is left as it is
    suggestions = [Span(56, 60, "GPE", "model")]
    before = shown_spans(project, aid, suggestions)
    target = next(s for s in before if s.span_id == first)
    edits = link_mention(aid, before, TEXT, target, "Q312545")
    with project.write():  # the window applies a command's edits in one transaction
        for edit in edits:
            edit.apply(project)
    after = shown_spans(project, aid, suggestions)
    assert shown_links(after) == [(0, "Q312545", False), (20, "Q312545", True),
                                  (43, "Q48226", False), (56, None, False)]  # fmt: skip
    assert links(project, aid) == [(0, 7, "Q312545"), (20, 27, None), (43, 50, "Q48226")]
    with project.write():
        for edit in reversed(edits):
            edit.revert(project)
    assert shown_spans(project, aid, suggestions) == before


def test_a_suggestion_of_the_same_string_gets_a_suggested_link(project):
    aid = article(project, TEXT)
    sid = project.add_span(aid, E1)
    suggestions = [Span(20, 27, "PERSON", "model"), Span(43, 50, "PERSON", "pattern")]
    shown = shown_spans(project, aid, suggestions)
    project.set_link(sid, "Q312545")
    edits = link_occurrences(aid, shown, TEXT, shown[0], "Q312545")
    assert len(edits) == 1
    edits[0].apply(project)
    again = shown_spans(project, aid, suggestions)
    assert shown_links(again)[1:] == [(20, "Q312545", True), (43, "Q312545", True)]
    assert link_occurrences(aid, again, TEXT, again[0], "Q312545") == []  # nothing new
    assert link_occurrences(aid, again, TEXT, again[0], None) == []  # unlinking offers none


# ---- accepting stores exactly the links shown -------------------------------------------


def accept(project: Project, aid: int, *spans: Span, kb_id: str) -> None:
    for span in spans:
        sid = project.add_span(aid, span)
        project.set_link(sid, kb_id)
    project.set_status(aid, "accepted")


def test_accept_stores_the_links_shown_and_undo_takes_them_back(project):
    aid = article(project, TEXT)
    first = project.add_span(aid, E1)  # stored, no link: gets the offered one
    project.add_span(aid, Span(56, 60, "GPE"))  # stored, nothing suggested
    shown = shown_spans(project, aid, [Span(20, 27, "PERSON", "model")])
    project.set_link(first, "Q312545")
    for edit in link_occurrences(aid, shown, TEXT, shown[0], "Q312545"):
        edit.apply(project)
    project.set_link(first, None)  # taken away again: the place is declined
    shown = shown_spans(project, aid, [Span(20, 27, "PERSON", "model"),
                                       Span(43, 50, "PERSON", "model")])  # fmt: skip
    assert shown_links(shown) == [(0, None, False), (20, "Q312545", True), (43, None, False),
                                  (56, None, False)]  # fmt: skip
    edit = accept_edit(aid, shown)
    edit.apply(project, "ann")
    assert links(project, aid) == [(0, 7, None), (20, 27, "Q312545"), (43, 50, None),
                                   (56, 60, None)]  # fmt: skip
    assert shown_links(shown_spans(project, aid))[1] == (20, "Q312545", False)  # stored now
    edit.revert(project)
    assert links(project, aid) == [(0, 7, None), (56, 60, None)]


def test_accept_confirms_suggested_links_on_stored_spans_and_undo_restores_them(project):
    done = article(project, "Emerson served. Emerson won.")
    accept(project, done, Span(0, 7, "PERSON"), Span(16, 23, "PERSON"), kb_id="Q312545")
    aid = article(project, TEXT)
    sid = project.add_span(aid, E1)
    shown = shown_spans(project, aid)
    assert shown_links(shown) == [(0, "Q312545", True)]  # learnt
    edit = accept_edit(aid, shown)
    assert edit.links == [(sid, "Q312545")]
    edit.apply(project)
    assert links(project, aid) == [(0, 7, "Q312545")]
    edit.revert(project)
    assert links(project, aid) == [(0, 7, None)]
    edit.apply(project)  # redo
    assert links(project, aid) == [(0, 7, "Q312545")]


def test_accepted_articles_show_their_stored_links_only(project):
    done = article(project, "Emerson served. Emerson won.")
    accept(project, done, Span(0, 7, "PERSON"), kb_id="Q312545")
    other = article(project, "Emerson again.")
    project.add_span(other, Span(0, 7, "PERSON"))
    project.set_status(other, "accepted")
    assert shown_links(shown_spans(project, other)) == [(0, None, False)]
    assert shown_links(shown_spans(project, done)) == [(0, "Q312545", False)]


# ---- learnt links -------------------------------------------------------------------------


def test_a_link_is_suggested_where_it_has_usually_been_right(project):
    for i in range(2):
        aid = article(project, f"Emerson served ({i}).")
        accept(project, aid, Span(0, 7, "PERSON"), kb_id="Q312545")
    unlinked = article(project, "Emerson wrote an essay.")
    project.add_span(unlinked, Span(0, 7, "PERSON"))
    project.set_status(unlinked, "accepted")
    target = article(project, "EMERSON and Émerson and Kyiv.")
    suggestions = [Span(0, 7, "PERSON", "model"), Span(12, 19, "PERSON", "model")]

    def suggested():
        return shown_links(shown_spans(project, target, suggestions))

    # linked 2 of the 3 times "emerson" is a span in accepted articles: 0.67 >= 0.5
    assert suggested() == [(0, "Q312545", True), (12, "Q312545", True)]
    for i in range(2):  # now 2 of 5: 0.4
        aid = article(project, f"Emerson again ({i}).")
        project.add_span(aid, Span(0, 7, "PERSON"))
        project.set_status(aid, "accepted")
    assert suggested() == [(0, None, False), (12, None, False)]
    project.set_setting("propagation_precision", 0.4)
    assert suggested()[0] == (0, "Q312545", True)
    project.set_setting("propagation_precision", None)  # learnt links off
    assert suggested()[0] == (0, None, False)


def test_learnt_links_pick_the_entity_linked_most_and_follow_undo(project):
    a = article(project, "Emerson served.")
    accept(project, a, Span(0, 7, "PERSON"), kb_id="Q312545")
    b = article(project, "Emerson wrote.")
    accept(project, b, Span(0, 7, "PERSON"), kb_id="Q48226")
    c = article(project, "Emerson wrote more.")
    accept(project, c, Span(0, 7, "PERSON"), kb_id="Q48226")
    target = article(project, "Emerson here.")
    sug = [Span(0, 7, "PERSON", "model")]
    assert shown_links(shown_spans(project, target, sug)) == [(0, "Q48226", True)]
    project.set_setting("propagation_precision", 0.7)  # 2 of 3 is not enough
    assert shown_links(shown_spans(project, target, sug)) == [(0, None, False)]
    project.set_setting("propagation_precision", 0.5)
    c_span = project.spans(c)[0].id
    change = project.set_link(c_span, "Q312545")  # now 2 of 3 for Q312545
    assert shown_links(shown_spans(project, target, sug)) == [(0, "Q312545", True)]
    project.undo_link(change)
    assert shown_links(shown_spans(project, target, sug)) == [(0, "Q48226", True)]


def test_only_links_the_knowledge_base_holds_are_suggested(project):
    from annotator.core.importing import import_paths

    path = project.path.parent / "tasks.jsonl"
    path.write_text('{"text": "Emerson served.", "answer": "accept", "spans": [{"start": 0, '
                    '"end": 7, "label": "PERSON", "kb_id": "Q404"}]}\n', encoding="utf-8")
    report = import_paths(project, [path])
    assert report.unknown_kb_ids == {"Q404": 1}
    assert "kept 1 link to 1 entity the knowledge base does not hold (Q404)" in report.summary()
    (aid,) = report.article_ids
    assert links(project, aid) == [(0, 7, "Q404")]  # kept as the file says
    target = article(project, "Emerson again.")
    assert shown_links(shown_spans(project, target, [Span(0, 7, "PERSON", "model")])) == [
        (0, None, False)]  # fmt: skip
    (shown,) = shown_spans(project, aid)
    edit = RemoveSpan(aid, shown)  # undo puts even an unknown id back as it was
    edit.apply(project)
    edit.revert(project)
    assert links(project, aid) == [(0, 7, "Q404")]


# ---- search by entity ---------------------------------------------------------------------


def test_search_by_entity_finds_links_and_aliases_as_whole_words(project):
    linked = article(project, "The champion retired.")
    sid = project.add_span(linked, Span(4, 12, "PERSON"))
    project.set_link(sid, "Q1899")  # linked, though no alias is in the text
    named = article(project, "Shelling in KIEV overnight.")  # an alias, in capitals
    accented = article(project, "Kyïv was quiet.", status="accepted")
    article(project, "Kyivstar reported an outage.")  # not the word Kyiv
    emerson = article(project, "Emerson served.")
    assert project.article_ids_mentioning("Q1899") == [linked, named, accented]
    assert project.article_ids_mentioning("Q1899", aliases=False) == [linked]
    assert project.article_ids(search="kb:Q1899") == [linked, named, accented]
    assert project.article_ids(search=" KB: Q1899 ", status="accepted") == [accented]
    assert project.articles.ids(search="kb:Q1899", sort="status", descending=True) == [
        named, linked, accented]  # fmt: skip
    assert project.article_ids(search="kb:Q000") == []
    several = article(project, "R. W. Emerson lectured.")  # "Emerson" is an alias of both
    assert project.article_ids_mentioning("Q48226") == [emerson, several]
    assert project.article_ids_mentioning("Q312545") == [emerson, several]
