"""The project's knowledge base written as a spaCy InMemoryLookupKB (priors from the
accepted links), and spaCy's entity_linker trained with it on the project's linked
articles."""

from __future__ import annotations

import pytest
import spacy
from linker_training import train_linker_and_predict
from spacy.kb import InMemoryLookupKB
from spacy.training import Example

from annotator.core.errors import ProjectError
from annotator.core.kb.spacy_kb import HASH_DIMS, write_spacy_kb
from annotator.core.records import ArticleRecord, Span
from annotator.core.store.kb import KbEntry

GOLFER, PUBLISHER, CITY = "Q2146908", "Q7381115", "Q1899"
TEXTS = [
    ("Russ Cochran captured his first major title with his son as caddie.", GOLFER),
    ("Russ Cochran his reprints include EC Comics.", PUBLISHER),
    ("Russ Cochran has been publishing comic art.", PUBLISHER),
    ("Russ Cochran was a member of University of Kentucky's golf team.", GOLFER),
    ("Russ Cochran reprinted the comics in hardcover volumes.", PUBLISHER),
]


def linked_project(project, texts=TEXTS, status="accepted"):
    project.ensure_labels(["PERSON", "GPE"])
    project.kb.add([
        KbEntry(GOLFER, "Russ Cochran", "American golfer", (), "PERSON"),
        KbEntry(PUBLISHER, "Russ Cochran", "American publisher of comics", (), "PERSON"),
        KbEntry(CITY, "Kyiv", "capital of Ukraine", ("Kiev",), "GPE"),
    ])  # fmt: skip
    ids = project.add_records([ArticleRecord(text=t, status=status, spans=[
        Span(0, 12, "PERSON")]) for t, _ in texts]).ids  # fmt: skip
    with project.write():  # the links, as the window will store them (spans.kb_id)
        for article, (_, kb_id) in zip(ids, texts, strict=True):
            project.store.conn.execute("UPDATE spans SET kb_id = ? WHERE article_id = ?",
                                       [kb_id, article])  # fmt: skip
    return project


def test_entities_frequencies_and_priors_from_accepted_links(project, tmp_path):
    linked_project(project)
    project.add_records([ArticleRecord(text="Kiev said no.", status="pending",
                                       spans=[Span(0, 4, "GPE")])])  # fmt: skip
    with project.write():  # a pending article's link is no training data
        project.store.conn.execute("UPDATE spans SET kb_id = ? WHERE start = 0 AND "
                                   "label = 'GPE'", [CITY])  # fmt: skip
    nlp = spacy.blank("en")
    report = write_spacy_kb(project, tmp_path / "kb", nlp, vectors="hash")
    assert (report.entities, report.aliases, report.vector_length) == (3, 3, HASH_DIMS)
    assert (report.links_used, report.vectors) == (5, "hash")
    kb = InMemoryLookupKB(nlp.vocab, entity_vector_length=HASH_DIMS)
    kb.from_disk(tmp_path / "kb")
    assert sorted(kb.get_entity_strings()) == [CITY, GOLFER, PUBLISHER]
    priors = {c.entity_: round(c.prior_prob, 3) for c in kb.get_alias_candidates("Russ Cochran")}
    assert priors == {GOLFER: 0.4, PUBLISHER: 0.6}  # 2 and 3 of the 5 accepted links
    assert {c.entity_: c.prior_prob for c in kb.get_alias_candidates("Kiev")} == {CITY: 1.0}
    freq = {c.entity_: c.entity_freq for c in kb.get_alias_candidates("Russ Cochran")}
    assert freq == {GOLFER: 2, PUBLISHER: 3}
    assert kb.get_alias_candidates("Kyiv")[0].entity_freq == 1  # never linked: at least 1
    vector = kb.get_vector(GOLFER)
    assert len(vector) == HASH_DIMS and abs(sum(v * v for v in vector) - 1) < 1e-5


def test_refuses_a_folder_it_did_not_write_and_replaces_its_own(project, tmp_path):
    linked_project(project)
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep me")
    with pytest.raises(ProjectError, match="other files"):
        write_spacy_kb(project, other, vectors="hash")
    assert [p.name for p in other.iterdir()] == ["mine.txt"]
    out = tmp_path / "kb"
    write_spacy_kb(project, out, vectors="hash")
    project.kb.add([KbEntry("Q90", "Paris")])
    assert write_spacy_kb(project, out, vectors="hash").entities == 4
    assert sorted(p.name for p in out.iterdir()) == ["contents", "kb_manifest.json",
                                                     "strings.json"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_word_vectors_of_en_core_web_md(project, tmp_path):
    from annotator.core.suggest.models import NoModelError, resolve_model

    try:
        resolve_model("en_core_web_md")
    except NoModelError:
        pytest.skip("en_core_web_md is not installed")
    linked_project(project)
    report = write_spacy_kb(project, tmp_path / "kb", spacy.blank("en"))
    assert (report.vectors, report.vector_length) == ("en_core_web_md", 300)


def test_entity_linker_trained_with_the_kb_predicts_the_linked_entity(project, tmp_path):
    """As spaCy's own test_overfitting_IO_gold_entities, with the KB the project wrote and
    the project's linked accepted articles as the examples."""
    linked_project(project)
    nlp = spacy.blank("en")
    write_spacy_kb(project, tmp_path / "kb", nlp, vectors="hash")

    examples = []
    for span in project.kb.linked_spans():
        text = project.article(span.article_id).text
        doc = nlp.make_doc(text)
        examples.append(Example.from_dict(doc, {
            "entities": [(span.start, span.end, span.label)],
            "links": {(span.start, span.end): {span.kb_id: 1.0}},
            "sent_starts": [1] + [0] * (len(doc) - 1),
        }))  # fmt: skip
    patterns = [{"label": "PERSON", "pattern": [{"LOWER": "russ"}, {"LOWER": "cochran"}]}]
    predicted = train_linker_and_predict(nlp, examples, tmp_path / "kb", patterns,
                                         [text for text, _ in TEXTS])  # fmt: skip
    assert predicted == [[kb_id] for _, kb_id in TEXTS]
