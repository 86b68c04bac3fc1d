"""Terms from word vectors (annotator.core.terms): candidates ranked by similarity to a
label's seeds, the decisions kept in the project, accepted terms suggested at once like
pattern rules (also from the start-up cache, without spaCy), and the CLI. Real vectors
(en_core_web_md, a dependency), real SQLite."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest
from cli_runs import cli, run

from annotator.core.project import Project, ProjectError
from annotator.core.records import ArticleRecord, Span
from annotator.core.suggest.service import SuggestionService
from annotator.core.terms import TermMatcher, load_vectors, make_session
from annotator.core.terms.vectors import NoVectorsError

TEXTS = [
    "Shoppers queued for Reebok trainers and a Puma jacket at the mall on Saturday.",
    "The weather was cold, so the council meeting moved to the library indoors.",
    "Converse and Vans both make canvas shoes, and Asics makes running shoes.",
    "The committee discussed the budget, the roads and the new library.",
    "She wore Gucci sunglasses and carried a Prada handbag to the dinner.",
    "Farmers expect a good harvest of wheat and barley this autumn.",
]
BRANDS = {"reebok", "puma", "converse", "vans", "asics", "gucci", "prada"}
COMMON = {"weather", "council", "meeting", "library", "committee", "budget", "roads",
          "farmers", "harvest", "wheat", "barley", "autumn", "dinner"}  # fmt: skip



@pytest.fixture(scope="module")
def vectors():
    return load_vectors()


def make(path, texts=TEXTS, labels=("BRAND", "PLACE")) -> Project:
    p = Project(path)
    p.ensure_labels(list(labels))
    p.set_setting("model", "none")
    p.add_records([ArticleRecord(text=t) for t in texts])
    return p


def ranks(session, n=200) -> dict[str, int]:
    return {c.key: i for i, c in enumerate(session.top(n))}


def test_seeds_propose_other_brands_before_common_words(tmp_path, vectors):
    with make(tmp_path / "r.db") as p:
        session = make_session(p, "BRAND", seeds=["Nike", "Adidas"], vectors=vectors)
        assert session.seeds == ["Nike", "Adidas"] and session.seed_count == 2
        rank = ranks(session)
        brands = sorted(rank[b] for b in BRANDS if b in rank)
        common = sorted(rank[c] for c in COMMON if c in rank)
        assert len(brands) >= 5 and len(common) >= 8
        # most brands come before any common word; the median brand well before
        assert sum(b < common[0] for b in brands) >= 4
        assert brands[len(brands) // 2] < common[len(common) // 2]
        assert "nike" not in rank and "adidas" not in rank  # seeds are not proposed
        first = session.next()
        assert first is not None and first.score > 0.5 and first.count >= 1


def test_anywhere_proposes_words_no_article_holds(tmp_path, vectors):
    with make(tmp_path / "a.db") as p:
        words = {w.lower() for t in TEXTS for w in t.replace(",", " ").replace(".", " ").split()}
        inside = make_session(p, "BRAND", seeds=["Nike", "Adidas"], vectors=vectors)
        assert all(c.count >= 1 for c in inside.top(50))
        anywhere = make_session(p, "BRAND", seeds=["Nike", "Adidas"], vectors=vectors,
                                anywhere=True)  # fmt: skip
        outside = [c for c in anywhere.top(50) if c.count == 0]
        assert outside and all(c.key not in words for c in outside)


def test_accepting_a_term_makes_it_a_seed_and_reranks(tmp_path, vectors):
    with make(tmp_path / "s.db") as p:
        session = make_session(p, "BRAND", seeds=["Nike"], vectors=vectors)
        before = {c.key: c.score for c in session.top(100)}
        p.decide_terms("BRAND", "Gucci", "accept")
        session.decided("Gucci", "accept")
        assert session.seed_count == 2
        after = {c.key: c.score for c in session.top(100)}
        assert "gucci" not in after
        assert after != {k: v for k, v in before.items() if k != "gucci"}  # re-ranked
        # a new session starts from the project: the term is a seed there too
        again = make_session(p, "BRAND", seeds=["Nike"], vectors=vectors)
        assert "Gucci" in again.seeds and again.seed_count == 2


def test_a_rejected_term_is_never_proposed_again_for_its_label(tmp_path, vectors):
    with make(tmp_path / "x.db") as p:
        session = make_session(p, "BRAND", seeds=["Nike", "Adidas"], vectors=vectors)
        first = session.next()
        p.decide_terms("BRAND", first.text, "reject")
        session.decided(first.text, "reject")
        assert first.key not in ranks(session, 10_000)
        again = make_session(p, "BRAND", seeds=["Nike", "Adidas"], vectors=vectors)
        assert first.key not in ranks(again, 10_000)  # the project remembers
        other = make_session(p, "PLACE", seeds=["Nike", "Adidas"], vectors=vectors)
        assert first.key in ranks(other, 10_000)  # per label


def test_undo_brings_the_candidate_back(tmp_path, vectors):
    with make(tmp_path / "u.db") as p:
        session = make_session(p, "BRAND", seeds=["Nike", "Adidas"], vectors=vectors)
        first = session.next()
        (before,) = p.decide_terms("BRAND", first.text, "accept")
        session.decided(first.text, "accept")
        assert before is None and session.next() != first
        p.restore_term("BRAND", first.text, before)
        session.undone(first.text)
        assert p.terms("BRAND") == [] and session.seed_count == 2
        assert session.next() == first


def test_terms_survive_reopening_follow_a_rename_and_go_with_their_label(tmp_path):
    path = tmp_path / "k.db"
    with make(path) as p:
        p.decide_terms("BRAND", ["Gucci", "  Kate   Spade "], "accept", "ann")
        p.decide_terms("BRAND", "weather", "reject", "ann")
        with pytest.raises(ProjectError, match="no label"):
            p.decide_terms("NOPE", "x", "accept")
    with Project(path) as p:
        got = [(t.label, t.text, t.decision, t.annotator) for t in p.terms()]
        assert got == [("BRAND", "Gucci", "accept", "ann"),
                       ("BRAND", "Kate Spade", "accept", "ann"),
                       ("BRAND", "weather", "reject", "ann")]  # fmt: skip
        (before,) = p.decide_terms("BRAND", "GUCCI", "reject")  # the same term, any case
        assert before.decision == "accept" and len(p.terms("BRAND", "reject")) == 2
        p.rename_label("BRAND", "LABEL_BRAND")
        assert {t.label for t in p.terms()} == {"LABEL_BRAND"}
        p.remove_label("LABEL_BRAND")
        assert p.terms() == [] and p.terms_signature() is None


def test_an_older_file_gets_the_terms_table(tmp_path):
    from sqlite_utils import Database

    from annotator.core.store.schema import APPLICATION_ID, migrations

    path = tmp_path / "v8.db"
    db = Database(path)
    migrations().apply(db, stop_before="m009_terms")
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute("PRAGMA user_version = 8")
    db.execute("INSERT INTO labels(name, colour, key, ord) VALUES ('BRAND', '#fff', '1', 0)")
    db.conn.commit()
    db.close()
    with Project(path) as p:  # migrated on opening
        assert p.label_names() == ["BRAND"] and p.terms() == []
        p.decide_terms("BRAND", "Gucci", "accept")
    with Project(path) as p:
        assert [t.text for t in p.terms()] == ["Gucci"]


def test_terms_match_whole_tokens_in_any_case_across_piece_cuts():
    import spacy

    nlp = spacy.blank("en")
    matcher = TermMatcher([("BRAND", "uniqlo"), ("BRAND", "Kate Spade"), ("SHOP", "Kate")], nlp)
    text = "UNIQLO and uniqlo, not Uniqlos; a kate spade bag. Kate\n\nSpade"
    got = [(text[s.start : s.end], s.label, s.source) for s in matcher.find(text)]
    assert got == [("UNIQLO", "BRAND", "pattern"), ("uniqlo", "BRAND", "pattern"),
                   ("kate", "SHOP", "pattern"), ("kate spade", "BRAND", "pattern"),
                   ("Kate", "SHOP", "pattern")]  # fmt: skip
    long = ("word " * 30 + "Kate Spade ") * 20
    pieces = TermMatcher([("BRAND", "Kate Spade")], nlp, piece_chars=97)
    assert pieces.find(long) == TermMatcher([("BRAND", "Kate Spade")], nlp).find(long)
    assert len(pieces.find(long)) == 20


def shown(text, spans):
    return {(text[s.start : s.end], s.label, s.source) for s in spans}


def test_an_accepted_term_is_suggested_at_once_and_from_the_start_up_cache(tmp_path):
    text = TEXTS[0]
    with make(tmp_path / "w.db") as p:
        i = TEXTS[1].index("library")
        p.set_status(2, "accepted", confirm=[Span(i, i + 7, "PLACE", "human")])
        service = SuggestionService.from_project(p)
        service.load(p)
        assert shown(text, service.compute(p, 1)) == set()
        fingerprint = service.fingerprint
        p.decide_terms("BRAND", ["reebok", "Puma jacket"], "accept")
        p.decide_terms("BRAND", "mall", "reject")
        got = shown(text, service.compute(p, 1))
        assert got == {("Reebok", "BRAND", "pattern"), ("Puma jacket", "BRAND", "pattern")}
        assert service.fingerprint == fingerprint  # machine suggestions stay cached
        # the window's start-up path: the cache alone, final, with the terms in it
        ui = SuggestionService.from_project(p)
        assert shown(text, ui.cached_final(p, 1)) == got
        p.remove_terms("BRAND", "reebok")  # the kept decisions no longer hold
        assert ui.cached_final(p, 1) is None
        assert shown(text, service.compute(p, 1)) == {("Puma jacket", "BRAND", "pattern")}


NO_SPACY = r"""
import sys
from annotator.core.project import Project
from annotator.core.suggest.service import SuggestionService
with Project(sys.argv[1]) as p:
    spans = SuggestionService.from_project(p).cached_final(p, 1)
    text = p.article(1).text
    print(sorted(text[s.start:s.end] + "/" + s.source for s in spans))
print(",".join(m for m in ("spacy", "numpy") if m in sys.modules))
"""


def test_the_start_up_path_has_the_terms_without_spacy(tmp_path):
    path = tmp_path / "n.db"
    with make(path) as p:
        p.decide_terms("BRAND", "Reebok", "accept")
        service = SuggestionService.from_project(p)
        service.load(p)
        service.compute(p, 1)
    done = subprocess.run([sys.executable, "-c", NO_SPACY, str(path)], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    found, heavy = done.stdout.splitlines()
    assert found == "['Reebok/pattern']" and heavy == ""


def test_terms_are_never_vetoed_by_the_decisions(tmp_path):
    """An accepted article holds "Puma" unlabelled: a model's span on it would be vetoed;
    the annotator's term is suggested all the same."""
    texts = ["Puma reported strong sales.", "Analysts like Puma this year."]
    with make(tmp_path / "v.db", texts) as p:
        p.set_status(1, "accepted", confirm=[])
        p.decide_terms("BRAND", "Puma", "accept")
        service = SuggestionService.from_project(p)
        service.load(p)
        assert shown(texts[1], service.compute(p, 2)) == {("Puma", "BRAND", "pattern")}


def test_the_training_scorer_sees_the_terms(tmp_path):
    from annotator.core.train.data import TrainingSet
    from annotator.core.train.trainer import SuggestionScorer

    i = TEXTS[0].index("Reebok")
    data = TrainingSet(dev_gold=[(TEXTS[0], {(i, i + 6, "BRAND")})], labels=["BRAND"])
    with make(tmp_path / "t.db") as p:
        before = SuggestionScorer(p, data, "en").score(None)
        p.decide_terms("BRAND", "Reebok", "accept")
        after = SuggestionScorer(p, data, "en").score(None)
    assert before["corrections"] == 1 and after["corrections"] == 0


# ---- the command line ----------------------------------------------------------------------




def test_cli_add_reject_list_remove(tmp_path):
    db = tmp_path / "c.db"
    make(db).close()
    run("terms", "add", "--db", db, "--label", "BRAND", "Gucci", "Kate Spade")
    run("terms", "reject", "--db", db, "--label", "BRAND", "weather")
    out = run("terms", "list", "--db", db, "--label", "BRAND").stdout
    assert out.splitlines() == ["accept\tGucci", "accept\tKate Spade", "reject\tweather"]
    got = json.loads(run("terms", "list", "--db", db, "--json").stdout)
    assert [(t["label"], t["text"], t["decision"]) for t in got] == [
        ("BRAND", "Gucci", "accept"), ("BRAND", "Kate Spade", "accept"),
        ("BRAND", "weather", "reject")]  # fmt: skip
    run("terms", "remove", "--db", db, "--label", "BRAND", "gucci")
    out = run("terms", "list", "--db", db, "--label", "BRAND", "--decision", "accept").stdout
    assert out.splitlines() == ["accept\tKate Spade"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM terms").fetchone()[0] == 2


def test_cli_suggest_prints_candidates_with_scores(tmp_path, vectors):
    db = tmp_path / "s.db"
    make(db).close()
    out = run("terms", "suggest", "--db", db, "--label", "BRAND", "--seeds", "Nike,Adidas",
              "-n", "5").stdout  # fmt: skip
    lines = out.splitlines()
    assert len(lines) == 5
    scores = [float(line.split("\t")[0]) for line in lines]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1.0001 for s in scores)
    assert all(int(line.split("\t")[1]) >= 1 for line in lines)  # times in the articles


def test_cli_a_missing_label_or_vectors_is_one_line(tmp_path):
    db = tmp_path / "e.db"
    make(db).close()
    for args in (("add", "--label", "NOPE", "x"), ("suggest", "--label", "NOPE"),
                 ("list", "--label", "NOPE")):  # fmt: skip
        done = cli("terms", args[0], "--db", db, *args[1:])
        assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
        assert "no label NOPE" in done.stderr and "Traceback" not in done.stderr
    done = cli("terms", "suggest", "--db", db, "--label", "BRAND",
               env={"ANNOTATOR_VECTORS": str(tmp_path / "no-such-vectors")})  # fmt: skip
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert "no word vectors" in done.stderr


def test_no_vectors_is_a_clear_error(tmp_path):
    with pytest.raises(NoVectorsError, match="no word vectors"):
        load_vectors(str(tmp_path / "nothing-here"))
