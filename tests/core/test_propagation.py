"""Propagation that learns its own precision (issue 9): the project's decisions are suggested
again only where the accepted articles show they usually hold."""

from __future__ import annotations

import spacy

from annotator.core.project import Project
from annotator.core.records import ArticleRecord, Span
from annotator.core.suggest.propagate import DecisionIndex
from annotator.core.suggest.service import SuggestionService

NLP = spacy.blank("en")


def test_precision_counts_occurrences_in_accepted_articles():
    index = DecisionIndex(nlp=NLP)
    index.add("May said yes.", [Span(0, 3, "PERSON")], article_id=1)
    index.add("In May it rained. May was dry too.", [], article_id=2)
    index.add("Kyiv is cold. Kyiv!", [Span(0, 4, "GPE"), Span(14, 18, "GPE")], article_id=3)
    assert index.seen(("May",)) == 3 and index.precision(("May",)) == 1 / 3
    assert index.precision(("Kyiv",)) == 1.0
    text = "May met the mayor of Kyiv in May."
    assert [s.label for s in index.find(text, min_precision=0.5)] == ["GPE"]
    assert [s.label for s in index.find(text)] == ["PERSON", "GPE", "PERSON"]  # threshold 0
    index.remove_article(2)  # that article undone: May is accepted where it occurs
    assert index.seen(("May",)) == 1 and index.precision(("May",)) == 1.0
    index.add("Kyiv again, May again.", [], article_id=4)  # counts follow new articles
    assert index.seen(("Kyiv",)) == 3 and index.seen(("May",)) == 2


def test_the_window_service_suppresses_an_ambiguous_string(tmp_path):
    p = Project(tmp_path / "p.db")
    p.ensure_labels(["PERSON", "GPE"])
    ids = p.add_records([
        ArticleRecord(text="May said yes to Kyiv.", status="accepted",
                      spans=[Span(0, 3, "PERSON"), Span(16, 20, "GPE")]),
        ArticleRecord(text="In May the talks in Kyiv went on.", status="accepted",
                      spans=[Span(20, 24, "GPE")]),
        ArticleRecord(text="By May the price fell.", status="accepted"),
        ArticleRecord(text="May flew to Kyiv in May."),
    ]).ids  # fmt: skip
    p.set_setting("model", None)
    service = SuggestionService.from_project(p)
    service.load(p)
    shown = service.compute(p, ids[3])
    assert [(s.start, s.label, s.source) for s in shown] == [(12, "GPE", "decision")]
    p.set_setting("propagation_precision", 0.0)  # every accepted string, as before
    assert [s.label for s in service.compute(p, ids[3])] == ["PERSON", "GPE", "PERSON"]
    p.set_setting("propagation_precision", None)  # no propagation at all
    assert service.compute(p, ids[3]) == []
