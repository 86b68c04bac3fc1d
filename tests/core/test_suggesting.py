"""Suggestions tied to the project: the CLI, the cache, propagation, the window's service."""

from __future__ import annotations

import json

import pytest
import spacy
from typer.testing import CliRunner

from annotator.cli import app
from annotator.core.annotation import AddSpan, RemoveSpan, accept_edit, shown_spans
from annotator.core.project import Project
from annotator.core.records import ArticleRecord, Span
from annotator.core.suggesting import SuggestionService, configure_suggester, suggest_pending

runner = CliRunner()


def run(*args):
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, request):
    corpora = request.getfixturevalue("corpora_dir")
    db = tmp_path_factory.mktemp("seed") / "seed.db"
    run("import", "--db", db, corpora / "seed-articles", "--suggest")
    return db


@pytest.fixture(scope="module")
def corpora_dir():
    from tests.conftest import CORPORA

    if not CORPORA.is_dir():
        pytest.skip(f"the shared corpora are not beside this checkout ({CORPORA})")
    return CORPORA


def test_import_suggest_gives_model_suggestions(seeded):
    with Project(seeded) as p:
        svc = SuggestionService.from_project(p)
        assert svc.fingerprint  # remembered from `suggest`: cached() works before load()
        found = set()
        for aid in p.article_ids():
            text = p.article(aid).text
            spans = svc.cached(p, aid)
            assert spans is not None
            found |= {(text[s.start : s.end], s.label, s.source) for s in spans}
    assert ("Vladimir Putin", "PERSON", "model") in found
    assert ("NATO", "ORG", "model") in found


def test_suggest_again_does_nothing_until_the_suggester_changes(seeded, tmp_path):
    assert "up to date" in run("suggest", "--db", seeded).stderr
    patterns = tmp_path / "p.jsonl"
    patterns.write_text('{"label": "ORG", "pattern": "Kremlin"}\n')
    assert (
        "computed for 2 articles" in run("suggest", "--db", seeded, "--patterns", patterns).stderr
    )
    assert "up to date" in run("suggest", "--db", seeded).stderr
    assert "computed for 2" in run("suggest", "--db", seeded, "--map", "LOC=GPE").stderr
    with Project(seeded) as p:
        svc = SuggestionService.from_project(p)
        svc.load(p)
        spans = [s for a in p.article_ids() for s in svc.cached(p, a)]
        assert any(s.source == "pattern" and s.label == "ORG" for s in spans)
        assert not any(s.label == "LOC" for s in spans)  # mapped to GPE


def test_fashion_patterns_cli_matches_entity_ruler(corpora_dir, tmp_path):
    src = corpora_dir / "prodigy-fashion-brands" / "fashion_brands_training.jsonl"
    patterns = corpora_dir / "prodigy-fashion-brands" / "fashion_brands_patterns.jsonl"
    lines = [json.loads(x) for x in src.read_text(encoding="utf-8").splitlines()[:300]]
    pending = tmp_path / "pending.jsonl"  # the texts without answers: to be suggested
    pending.write_text("\n".join(json.dumps({"text": t["text"]}) for t in lines))
    db = tmp_path / "f.db"
    run("labels", "add", "FASHION_BRAND", "--db", db)
    run("import", "--db", db, pending)
    run("suggest", "--db", db, "--patterns", patterns, "--model", "")
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.from_disk(patterns)
    with Project(db) as p:
        svc = SuggestionService.from_project(p)
        svc.load(p)
        assert svc.state == "ready" and "no model chosen" in svc.message
        total = 0
        for aid in p.article_ids():
            text = p.article(aid).text
            ours = [(s.start, s.end, s.label) for s in svc.cached(p, aid)]
            ref = [(e.start_char, e.end_char, e.label_) for e in nlp(text).ents]
            assert ours == ref, text
            total += len(ours)
    assert total > 20


def test_no_model_path_says_so_and_patterns_still_work(tmp_path):
    db = tmp_path / "n.db"
    src = tmp_path / "a.txt"
    src.write_text("Reuters reported from the Kremlin.")
    patterns = tmp_path / "p.jsonl"
    patterns.write_text('{"label": "ORG", "pattern": "Reuters"}\n')
    run("import", "--db", db, src)
    result = run("suggest", "--db", db, "--model", "no_such_model_pkg", "--patterns", patterns)
    assert "no_such_model_pkg" in result.stderr
    with Project(db) as p:
        svc = SuggestionService.from_project(p)
        svc.load(p)
        assert svc.state == "no-model" and "install" in svc.message.lower()
        assert [(s.label, s.source) for s in svc.cached(p, 1)] == [("ORG", "pattern")]


def test_decisions_propagate_and_deleted_mentions_stay_deleted(tmp_path):
    with Project(tmp_path / "d.db") as p:
        p.add_label("BRAND")
        ids = p.add_records([ArticleRecord(text=t) for t in (
            "I love Ann Taylor dresses.", "Ann Taylor opened a store.", "No brand here, Ann.",
        )]).ids  # fmt: skip
        svc = SuggestionService(model="")
        svc.load(p)
        assert "no model chosen" in svc.message  # decisions work without a model
        AddSpan(ids[0], Span(7, 17, "BRAND")).apply(p)
        accept_edit(ids[0], shown_spans(p, ids[0])).apply(p)
        svc.refresh_decisions(p)
        second = svc.compute(p, ids[1])
        assert [(s.start, s.end, s.label, s.source) for s in second] == [
            (0, 10, "BRAND", "decision")
        ]
        assert svc.compute(p, ids[2]) == []
        shown = shown_spans(p, ids[1], second)
        RemoveSpan(ids[1], shown[0]).apply(p)
        assert shown_spans(p, ids[1], svc.compute(p, ids[1])) == []


def test_accepted_articles_are_never_changed_by_suggestions(seeded, tmp_path):
    with Project(seeded) as p:
        svc = SuggestionService.from_project(p)
        svc.load(p)
        aid = p.article_ids()[0]
        p.set_status(aid, "accepted", confirm=[])
        assert shown_spans(p, aid, svc.compute(p, aid)) == []
        p.set_status(aid, "pending")


def test_suggest_pending_with_two_workers_equals_one(seeded, tmp_path):
    with Project(seeded) as p:
        s1 = configure_suggester(p)
        s1.load()
        texts = [a.text for a in p.iter_articles()] * 3
        one = list(s1.suggest_docs(texts, merged=False))
        two = list(s1.suggest_docs(texts, n_process=2, merged=False))
    assert one == two
    assert suggest_pending  # the CLI path is covered above


def test_merge_order_is_a_project_setting(tmp_path):
    db = tmp_path / "o.db"
    src = tmp_path / "a.txt"
    src.write_text("Ann Taylor opened a shop.")
    patterns = tmp_path / "p.jsonl"
    patterns.write_text('{"label": "ORG", "pattern": "Ann Taylor"}\n'
                        '{"label": "PERSON", "pattern": [{"lower": "ann"}]}\n')  # fmt: skip
    run("labels", "add", "ORG", "--db", db)
    run("labels", "add", "PERSON", "--db", db)
    run("import", "--db", db, src)
    run("suggest", "--db", db, "--patterns", patterns, "--model", "")
    result = runner.invoke(app, ["suggest", "--db", str(db), "--order", "model,pattern"])
    assert result.exit_code != 0 and "name each of" in str(result.exception)
    run("suggest", "--db", db, "--order", "model,pattern,decision")
    with Project(db) as p:
        assert p.get_setting("merge_order") == ["model", "pattern", "decision"]


def test_export_pending_with_current_suggestions(seeded, tmp_path):
    out = tmp_path / "pending.jsonl"
    run("export", "--db", seeded, "--out", out, "--format", "jsonl", "--status", "pending")
    tasks = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert tasks and all("answer" not in t for t in tasks)
    spans = [s for t in tasks for s in t["spans"]]
    assert spans and {s["source"] for s in spans} <= {"model", "pattern", "decision", "import"}
    for t in tasks:
        for s in t["spans"]:
            assert t["tokens"][s["token_start"]]["start"] == s["start"]
            assert t["tokens"][s["token_end"]]["end"] == s["end"]
