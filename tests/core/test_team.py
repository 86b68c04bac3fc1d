"""Several annotators: split a pool, annotate each file, merge back, agreement worked out by
hand, review, export; merging twice, other label sets, newer files, a failed merge."""

from __future__ import annotations

import json
import sqlite3

import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.core.errors import ProjectError
from annotator.core.project import Project
from annotator.core.records import ArticleRecord, Span
from annotator.core.team import merge as merge_module
from annotator.core.team.agreement import agreement, cohen_kappa, krippendorff_alpha
from annotator.core.team.merge import merge_files
from annotator.core.team.review import take_version, versions
from annotator.core.team.split import split_project

runner = CliRunner()
LABELS = ["PERSON", "ORG", "GPE"]
TEXTS = [
    "Angela Merkel met Reuters staff in Paris.",
    "Apple opened an office in London.",
    "Nothing to see here.",
    "Berlin is cold.",
    "Madrid is warm.",
]


def run(*args, ok: bool = True):
    if not ok:  # errors: through the real entry point, which turns them into one line
        import subprocess
        import sys

        return subprocess.run([sys.executable, "-m", "annotator", *map(str, args)],
                              capture_output=True, text=True)  # fmt: skip
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def at(text: str, part: str, label: str) -> Span:
    return Span(text.index(part), text.index(part) + len(part), label, "human")


# What alice and bob did on the five articles, worked out by hand in the test below.
ALICE = {0: ("accepted", [("Angela Merkel", "PERSON"), ("Reuters", "ORG"), ("Paris", "GPE")]),
         1: ("accepted", [("Apple", "ORG"), ("London", "GPE")]),
         2: ("accepted", []),
         3: ("rejected", []),
         4: ("accepted", [("Madrid", "GPE")])}  # fmt: skip
BOB = {0: ("accepted", [("Angela Merkel", "PERSON"), ("Reuters staff", "ORG"), ("Paris", "GPE")]),
       1: ("accepted", [("Apple", "ORG"), ("London", "ORG")]),
       2: ("rejected", []),
       3: ("rejected", []),
       4: ("accepted", [("Madrid", "GPE")])}  # fmt: skip


def annotate(path, who: str, work: dict) -> None:
    """What the window does on `a` / `x`, through the core API, as `who`."""
    with Project(path) as p:
        by_text = {p.article(i).text: i for i in p.article_ids()}
        for index, (status, spans) in work.items():
            text = TEXTS[index]
            if text in by_text:
                p.set_status(by_text[text], status, who,
                             confirm=[at(text, s, lab) for s, lab in spans])  # fmt: skip


@pytest.fixture
def pool(tmp_path):
    path = tmp_path / "pool.annotator.db"
    with Project(path) as p:
        p.ensure_labels(LABELS)
        p.set_setting("model", "none")
        p.add_records([ArticleRecord(text=t) for t in TEXTS])
    return path


def test_split_annotate_merge_agreement_review_export(pool, tmp_path):
    out = tmp_path / "team"
    run("split", "--db", pool, "--annotators", "alice,bob", "--overlap", "1.0", "--out", out)
    alice, bob = out / "alice.annotator.db", out / "bob.annotator.db"
    with Project(alice) as p:
        assert len(p.article_ids()) == 5 and p.label_names() == LABELS
        assert p.get_setting("annotator") == "alice" and p.get_setting("model") == "none"
    annotate(alice, "alice", ALICE)
    annotate(bob, "bob", BOB)
    before = alice.read_bytes(), bob.read_bytes()
    team = tmp_path / "team.annotator.db"
    result = run("merge", "--db", team, alice, bob)
    assert "10 versions added" in result.stderr and "5 new articles" in result.stderr
    assert "4 articles where versions disagree" not in result.stderr  # T4, T5 agree: 3 differ
    assert "3 articles where versions disagree" in result.stderr
    assert (alice.read_bytes(), bob.read_bytes()) == before  # sources never changed
    again = run("merge", "--db", team, alice, bob)  # the same files again: nothing added
    assert "0 versions added, 0 updated, 10 unchanged" in again.stderr

    with Project(team) as p:
        got = agreement(p)
    # spans on the articles both accepted (1, 2, 5): same 2+1+1 of 6 + 6 -> F1 = 8/12
    assert got["span_f1"] == pytest.approx(8 / 12, abs=1e-4)
    assert got["spans"] == {"same": 4, "first": 6, "second": 6}
    assert got["span_f1_per_label"]["PERSON"]["f1"] == 1.0
    assert got["span_f1_per_label"]["ORG"]["f1"] == pytest.approx(2 / 5)  # 1 of 2 + 3
    assert got["span_f1_per_label"]["GPE"]["f1"] == pytest.approx(4 / 5)  # 2 of 3 + 2
    # accept/reject: AA AA AR RR AA -> p_o 0.8, p_e (4·3 + 1·2)/25 = 0.56
    assert got["pairs"][0]["cohen_kappa"] == pytest.approx((0.8 - 0.56) / 0.44, abs=1e-4)
    assert got["krippendorff_alpha"] == pytest.approx(1 - 9 * 2 / 42, abs=1e-4)
    worst = [(d["article_id"], d["disagreement"]) for d in got["disagreements"]]
    assert worst == [(3, 1.0), (2, 0.5), (1, pytest.approx(1 / 3, abs=1e-4))]
    shown = run("agreement", "--db", team).stdout
    assert "span F1 (exact start, end, label): 0.667" in shown and "Cohen's kappa 0.545" in shown

    # export: several versions and none reviewed -> left out and said
    none = run("export", "--db", team, "--out", tmp_path / "none.jsonl", "--format", "jsonl",
               ok=False)  # fmt: skip
    assert none.returncode == 1 and "none is reviewed: left out" in none.stderr
    majority = tmp_path / "majority.jsonl"
    result = run("export", "--db", team, "--out", majority, "--format", "jsonl",
                 "--unreviewed", "majority")  # fmt: skip
    # 3 exported; article 3 a tie (left out, still to review); article 4 rejected by both
    assert "not exported (by status): 1 pending, 1 rejected" in result.stderr
    tasks = {t["text"]: t for t in map(json.loads, majority.read_text().splitlines())}
    assert set(tasks) == {TEXTS[0], TEXTS[1], TEXTS[4]}  # 3: a tie; 4: rejected by both
    assert [(s["label"]) for s in tasks[TEXTS[0]]["spans"]] == ["PERSON", "GPE"]
    assert tasks[TEXTS[0]]["_annotator_id"] == "majority"
    assert {v["_annotator_id"] for v in tasks[TEXTS[0]]["versions"]} == {"alice", "bob"}

    # review: take bob's version of article 2 (London as ORG), accept article 3 as alice did
    with Project(team) as p:
        assert [v.annotator for v in versions(p, 2)] == ["alice", "bob"]
        take_version(p, 2, "bob", reviewer="carol")
        take_version(p, 3, "alice", reviewer="carol")
        assert p.article(2).status == "accepted"
    reviewed = tmp_path / "reviewed.jsonl"
    run("export", "--db", team, "--out", reviewed, "--format", "jsonl")
    tasks = {t["text"]: t for t in map(json.loads, reviewed.read_text().splitlines())}
    assert set(tasks) == {TEXTS[1], TEXTS[2]}  # the reviewed ones; the rest still undecided
    assert tasks[TEXTS[1]]["_annotator_id"] == "carol"  # the reviewer, with the versions
    assert [v["_annotator_id"] for v in tasks[TEXTS[1]]["versions"]] == ["alice", "bob"]
    assert [(s["start"], s["label"]) for s in tasks[TEXTS[1]]["spans"]] == [(0, "ORG"),
                                                                           (26, "ORG")]
    with sqlite3.connect(team) as conn:
        assert conn.execute("SELECT reviewed_by FROM articles WHERE id = 2").fetchone() == (
            "carol",)


def test_split_is_deterministic_disjoint_with_an_overlap(pool, tmp_path):
    with Project(pool) as p:
        p.add_records([ArticleRecord(text=f"Story number {i}.") for i in range(95)])
    first = split_project(pool, ["a", "b", "c"], tmp_path / "one", overlap=0.1, seed=3)
    second = split_project(pool, ["a", "b", "c"], tmp_path / "two", overlap=0.1, seed=3)
    ids = {}
    for name in "abc":
        with Project(first.files[name]) as p:
            ids[name] = set(p.article_ids())
        with Project(second.files[name]) as p:
            assert set(p.article_ids()) == ids[name]  # the same seed, the same files
    shared = ids["a"] & ids["b"] & ids["c"]
    assert len(shared) == 10 == first.overlap
    assert sum(len(v - shared) for v in ids.values()) == 90  # every other article once
    assert not (ids["a"] - shared) & (ids["b"] - shared)
    with pytest.raises(ProjectError, match="exists already"):
        split_project(pool, ["a", "b", "c"], tmp_path / "one", overlap=0.1, seed=3)


def test_merge_brings_another_label_set_and_refuses_a_newer_file(pool, tmp_path):
    out = tmp_path / "team"
    split_project(pool, ["alice", "bob"], out, overlap=1.0)
    with Project(out / "alice.annotator.db") as p:
        p.ensure_labels(["DRUG"])
        p.set_status(1, "accepted", "alice", confirm=[at(TEXTS[0], "Paris", "DRUG")])
    newer = tmp_path / "newer.annotator.db"
    newer.write_bytes((out / "bob.annotator.db").read_bytes())
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 99")
    team = pool  # merged back into the pool the files came from
    refused = run("merge", "--db", team, out / "alice.annotator.db", newer, ok=False)
    assert refused.returncode == 1 and "newer version" in refused.stderr
    assert "Traceback" not in refused.stderr
    with Project(team) as p:  # nothing of alice's either: all or nothing
        assert p.store.conn.execute("SELECT count(*) FROM versions").fetchone()[0] == 0
        assert "DRUG" not in p.label_names()
    report = merge_files(team, [out / "alice.annotator.db"])
    assert report.labels_added == ["DRUG"] and report.versions_added == 1
    assert report.articles_added == 0  # matched by input hash


def test_a_merge_that_fails_halfway_leaves_the_team_file_as_it_was(pool, tmp_path,
                                                                     monkeypatch):  # fmt: skip
    out = tmp_path / "team"
    split_project(pool, ["alice", "bob"], out, overlap=1.0)
    annotate(out / "alice.annotator.db", "alice", ALICE)
    annotate(out / "bob.annotator.db", "bob", BOB)
    team = tmp_path / "team.annotator.db"
    real = merge_module._merge_one
    calls = []

    def dies_on_the_second(team_p, source, path, report):
        calls.append(source)
        if len(calls) == 2:
            raise OSError("disk full")  # as a killed or failing merge would stop
        real(team_p, source, path, report)

    monkeypatch.setattr(merge_module, "_merge_one", dies_on_the_second)
    with pytest.raises(OSError):
        merge_files(team, [out / "alice.annotator.db", out / "bob.annotator.db"])
    with Project(team) as p:
        assert p.store.conn.execute("SELECT count(*) FROM versions").fetchone()[0] == 0
        assert p.article_ids() == []


def test_kappa_and_alpha_match_textbook_cases():
    # Cohen: 50 items, 20 yes/yes, 15 no/no, 5 yes/no, 10 no/yes -> 0.4
    pairs = [("y", "y")] * 20 + [("n", "n")] * 15 + [("y", "n")] * 5 + [("n", "y")] * 10
    assert cohen_kappa(pairs) == pytest.approx(0.4)
    assert cohen_kappa([("y", "y"), ("n", "n")]) == 1.0
    # Krippendorff: identical values everywhere -> 1; a unit with one value says nothing
    assert krippendorff_alpha([["a", "a"], ["b", "b", "b"], ["a"]]) == 1.0
    # 3 coders, missing values: worked by hand from the coincidence matrix
    units = [["a", "a", "b"], ["a", "a"], ["b", "b", "b"], ["a", "b"]]
    # pairs within a unit weigh 1/(m-1): o_aa = 1 + 2 = 3, o_bb = 6 · 1/2 = 3,
    # o_ab = o_ba = 1 + 1 = 2 -> n_a = n_b = 5, n = 10; alpha = 1 - (n-1)·4 / (2·5·5)
    assert krippendorff_alpha(units) == pytest.approx(1 - 9 * 4 / 50)


def task(text, answer, who, *spans, view="ner_manual", **extra):
    return json.dumps({"text": text, "answer": answer, "_annotator_id": who,
                       "_session_id": who, "_view_id": view,
                       "spans": [{"start": text.index(s), "end": text.index(s) + len(s),
                                  "label": lab} for s, lab in spans], **extra})  # fmt: skip


def test_prodigy_multi_annotator_and_review_exports_import_as_versions(tmp_path):
    t1, t2, t3 = TEXTS[0], TEXTS[1], TEXTS[4]
    src = tmp_path / "multi.jsonl"
    review = {"versions": [
        {"answer": "accept", "sessions": ["news-alice", "news-carol"],
         "spans": [{"start": 0, "end": 6, "label": "GPE"}]},
        {"answer": "reject", "_annotator_id": "news-bob", "spans": []}]}  # fmt: skip
    src.write_text("\n".join([
        task(t1, "accept", "news-alice", ("Angela Merkel", "PERSON"), ("Paris", "GPE")),
        task(t2, "accept", "news-alice", ("Apple", "ORG")),
        task(t1, "accept", "news-bob", ("Angela Merkel", "PERSON")),
        task(t1, "accept", "news-bob", ("Angela Merkel", "PERSON")),  # bob's, again
        task(t3, "accept", "news-rev", ("Madrid", "GPE"), view="review", **review),
    ]) + "\n")
    db = tmp_path / "team.db"
    result = run("import", "--db", db, src)
    assert "kept 6 annotators' versions" in result.stderr
    with Project(db) as p:
        ids = {p.article(i).text: i for i in p.article_ids()}
        first = p.article(ids[t1])
        assert first.status == "pending" and p.spans(first.id) == []  # two versions: review
        assert [(v.annotator, [s.label for s in v.spans]) for v in versions(p, first.id)] == [
            ("news-alice", ["PERSON", "GPE"]), ("news-bob", ["PERSON"])]
        second = p.article(ids[t2])
        assert second.status == "accepted" and second.status_by == "news-alice"
        assert versions(p, second.id) == []  # one annotator: an ordinary decided article
        third = p.article(ids[t3])
        assert third.status == "accepted"
        assert sorted(v.annotator for v in versions(p, third.id)) == [
            "news-alice", "news-bob", "news-carol"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT reviewed_by FROM articles WHERE id = ?",
                            [ids[t3]]).fetchone() == ("news-rev",)
    out = tmp_path / "out.jsonl"
    result = run("export", "--db", db, "--out", out, "--format", "jsonl")
    assert "1 article has several annotators' versions" in result.stderr
    got = {t["text"]: t for t in map(json.loads, out.read_text().splitlines())}
    assert set(got) == {t2, t3}


def test_a_single_annotators_prodigy_export_imports_as_before(tmp_path):
    src = tmp_path / "one.jsonl"
    src.write_text("\n".join(task(t, "accept", "news-alice") for t in TEXTS) + "\n")
    db = tmp_path / "one.db"
    run("import", "--db", db, src)
    with Project(db) as p:
        assert p.counts()["accepted"] == 5
        assert p.store.conn.execute("SELECT count(*) FROM versions").fetchone()[0] == 0
