"""The project's own decisions veto the model: a span whose token sequence occurs in accepted
articles but was accepted there with that label less than half of the times is not
suggested (model spans and imported suggestions; never the user's pattern rules)."""

from __future__ import annotations

import spacy

from annotator.core.project import Project
from annotator.core.records import ArticleRecord, Span
from annotator.core.suggest.engine import finalize
from annotator.core.suggest.propagate import DecisionIndex
from annotator.core.suggest.service import SuggestionService

NLP = spacy.blank("en")


def at(text, part, label, source="human"):
    i = text.index(part)
    return Span(i, i + len(part), label, source)


def index(*accepted):
    return DecisionIndex.from_pairs(accepted, nlp=NLP)


def shown(text, spans):
    return {(text[s.start : s.end], s.label, s.source) for s in spans}


ACCEPTED = [
    ("Apple opened a shop in May.", [at("Apple opened a shop in May.", "Apple", "ORG")]),
    ("Apple sold phones in May.", [at("Apple sold phones in May.", "Apple", "ORG")]),
    ("Sales rose in May.", []),
]


def test_model_spans_the_accepted_articles_speak_against_are_vetoed():
    text = "Apple hired Tim Cook in May."
    model = [at(text, "Apple", "PERSON", "model"), at(text, "May", "GPE", "model"),
             at(text, "Tim Cook", "PERSON", "model")]  # fmt: skip
    got = shown(text, finalize(text, model, index(*ACCEPTED), min_precision=0.5))
    # Apple: accepted as ORG 2 of 2 times -> PERSON vetoed, the decision ORG suggested;
    # May: in accepted articles 3 times, never accepted -> vetoed; Tim Cook: never seen
    assert got == {("Apple", "ORG", "decision"), ("Tim Cook", "PERSON", "model")}
    # with the bar off (propagation_precision null) nothing is vetoed nor propagated
    off = shown(text, finalize(text, model, index(*ACCEPTED), min_precision=None))
    assert off == {(text[s.start : s.end], s.label, "model") for s in model}


def test_a_label_accepted_often_enough_is_not_vetoed():
    text = "Jordan scored twice."
    pairs = [("Jordan won.", [at("Jordan won.", "Jordan", "PERSON")]),
             ("Jordan lost.", [at("Jordan lost.", "Jordan", "PERSON")]),
             ("They went to Jordan.", [at("They went to Jordan.", "Jordan", "GPE")])]
    model = [at(text, "Jordan", "PERSON", "model")]
    assert shown(text, finalize(text, model, index(*pairs), min_precision=0.5)) == {
        ("Jordan", "PERSON", "decision")}  # 2 of 3: kept (and propagated)
    gpe = [at(text, "Jordan", "GPE", "model")]  # 1 of 3 < 0.5: vetoed
    assert ("Jordan", "GPE", "model") not in shown(text, finalize(
        text, gpe, index(*pairs), min_precision=0.5))


def test_imported_suggestions_are_vetoed_too_but_pattern_rules_are_not():
    text = "Apple met officials in May."
    spans = [at(text, "May", "GPE", "import"), at(text, "Apple", "PERSON", "pattern")]
    got = shown(text, finalize(text, spans, index(*ACCEPTED), min_precision=0.5,
                               order=("pattern", "decision", "model")))  # fmt: skip
    assert ("May", "GPE", "import") not in got
    assert ("Apple", "PERSON", "pattern") in got


def test_the_window_service_vetoes_and_keeps_the_veto_for_start_up(tmp_path):
    """Through the project and the service, and again from the start-up cache (the UI
    thread's service, without spaCy)."""
    text = "Officials met in May and in Paris."
    with Project(tmp_path / "v.annotator.db") as p:
        p.ensure_labels(["ORG", "GPE"])
        p.set_setting("model", "none")
        ids = p.add_records([ArticleRecord(text=t) for t, _ in ACCEPTED] + [
            ArticleRecord(text=text, suggestions=[at(text, "May", "GPE", "import"),
                                                  at(text, "Paris", "GPE", "import")])]).ids
        for aid, (_, spans) in zip(ids, ACCEPTED, strict=False):
            p.set_status(aid, "accepted", confirm=spans)
        svc = SuggestionService.from_project(p)
        svc.load(p)
        got = shown(text, svc.compute(p, ids[-1]))
        assert got == {("Paris", "GPE", "import")}  # May: vetoed
        ui = SuggestionService.from_project(p)  # what the window draws at start-up
        assert shown(text, ui.cached_final(p, ids[-1])) == got
