"""Links across a team (issue 19): split copies the knowledge base, versions keep links (old
versions without them still read), merge brings links and new entities back, agreement
reports link agreement per pair, review and the majority export keep links."""

from __future__ import annotations

import json

import pytest

from annotator.core.export import export_project
from annotator.core.project import Project
from annotator.core.records import NIL, ArticleRecord, Span
from annotator.core.store.kb import KbEntry
from annotator.core.team.agreement import agreement, report_lines
from annotator.core.team.merge import merge_files
from annotator.core.team.review import take_version, versions
from annotator.core.team.split import split_project

TEXTS = ["Emerson beat Laver in Sydney.", "Emerson wrote Nature.", "Laver won in Paris."]


def at(text: str, part: str, label: str = "PERSON", kb_id: str | None = None) -> Span:
    return Span(text.index(part), text.index(part) + len(part), label, "human", kb_id)


def add_entities(project: Project, *ids: str) -> None:
    project.kb.add([KbEntry(q, q) for q in ids])


def annotate(path, who: str, work: dict[int, list[Span]]) -> None:
    with Project(path) as p:
        by_text = {p.article(i).text: i for i in p.article_ids()}
        for index, spans in work.items():
            p.set_status(by_text[TEXTS[index]], "accepted", who, confirm=spans)


@pytest.fixture
def team_files(tmp_path):
    pool = tmp_path / "pool.annotator.db"
    with Project(pool) as p:
        p.ensure_labels(["PERSON", "GPE"])
        add_entities(p, "Q312545", "Q48226", "Q55965")
        p.add_records([ArticleRecord(text=t) for t in TEXTS])
    split_project(pool, ["alice", "bob"], tmp_path / "team", overlap=1.0)
    return tmp_path / "team" / "alice.annotator.db", tmp_path / "team" / "bob.annotator.db"


def test_split_copies_the_knowledge_base_to_every_file(team_files):
    for path in team_files:
        with Project(path) as p:
            assert p.known_entities(["Q312545", "Q48226", "Q55965", "Q1"]) == {
                "Q312545", "Q48226", "Q55965"}  # fmt: skip
            assert p.store.conn.execute("SELECT count(*) FROM kb_aliases").fetchone()[0] == 3


def test_merge_agreement_review_and_export_keep_links(team_files, tmp_path):
    alice, bob = team_files
    with Project(alice) as p:
        add_entities(p, "Q3000")  # an entity alice added to her knowledge base
    t0, t1, t2 = TEXTS
    annotate(alice, "alice", {
        0: [at(t0, "Emerson", kb_id="Q312545"), at(t0, "Laver", kb_id="Q55965"),
            at(t0, "Sydney", "GPE", NIL)],
        1: [at(t1, "Emerson", kb_id="Q48226")],
        2: [at(t2, "Laver", kb_id="Q3000")]})  # fmt: skip
    annotate(bob, "bob", {
        0: [at(t0, "Emerson", kb_id="Q312545"), at(t0, "Laver", kb_id="Q55965"),
            at(t0, "Sydney", "GPE")],  # Sydney not linked
        1: [at(t1, "Emerson", kb_id="Q312545")],  # another entity
        2: [at(t2, "Laver", kb_id="Q55965")]})  # fmt: skip
    team = tmp_path / "team.annotator.db"
    report = merge_files(team, [alice, bob])
    assert report.entities_added == 4  # the team file had none: the pool's three and Q3000
    assert "knowledge-base entities added" in report.summary()
    with Project(team) as p:
        assert "Q3000" in p.known_entities(["Q3000"])
        rows = dict(p.store.conn.execute(
            "SELECT annotator, spans FROM versions WHERE article_id = 1"))  # fmt: skip
        assert json.loads(rows["alice"]) == [[0, 7, "PERSON", "Q312545"],
                                             [13, 18, "PERSON", "Q55965"],
                                             [22, 28, "GPE", "NIL"]]  # fmt: skip
        assert json.loads(rows["bob"])[2] == [22, 28, "GPE"]  # not linked: three elements
        got = agreement(p)
        # spans both gave: 3 + 1 + 1; both linked: 2 + 1 + 1, same id: 2 + 0 + 0
        assert got["spans"] == {"same": 5, "first": 5, "second": 5} and got["span_f1"] == 1.0
        assert got["links"] == {"same": 2, "both_linked": 4, "one_linked": 1}
        assert got["link_agreement"] == 0.5
        assert got["pairs"][0]["links"] == got["links"]
        lines = report_lines(got)
        assert ("links (same span, both linked, same id): 0.500 (2 same id of 4 spans both "
                "linked; 1 more linked by one only)") in lines
        assert any("alice / bob" in line and "links 0.500 (2 of 4)" in line for line in lines)
        # span F1 is 1 everywhere, yet the links differ: those articles are to review
        assert {d["article_id"] for d in got["disagreements"]} == {1, 2, 3}

        take_version(p, 1, "alice", reviewer="carol")
        assert [(s.start, s.kb_id) for s in p.spans(1)] == [(0, "Q312545"), (13, "Q55965"),
                                                           (22, NIL)]  # fmt: skip
        assert [s.kb_id for s in versions(p, 2)[1].spans] == ["Q312545"]
        export_project(p, tmp_path / "majority.jsonl", format="jsonl", unreviewed="majority")
    tasks = {t["text"]: t for t in map(json.loads,
                                       (tmp_path / "majority.jsonl").read_text().splitlines())}
    assert [s.get("kb_id") for s in tasks[t0]["spans"]] == ["Q312545", "Q55965", NIL]
    # a tie on the link: the span is kept (both gave it), the link is not
    assert [(s["start"], s.get("kb_id")) for s in tasks[t1]["spans"]] == [(0, None)]
    assert {v["_annotator_id"]: [s.get("kb_id") for s in v["spans"]]
            for v in tasks[t1]["versions"]} == {"alice": ["Q48226"], "bob": ["Q312545"]}


def test_versions_written_before_links_still_read(tmp_path):
    path = tmp_path / "old.annotator.db"
    with Project(path) as p:
        p.ensure_labels(["PERSON"])
        (aid,) = p.add_records([ArticleRecord(text=TEXTS[1])]).ids
        with p.write():
            for who, spans in (("alice", [[0, 7, "PERSON"]]), ("bob", [[0, 7, "PERSON", "Q1"]])):
                p.store.conn.execute(
                    "INSERT INTO versions(article_id, annotator, status, spans) "
                    "VALUES (?, ?, 'accepted', ?)", [aid, who, json.dumps(spans)])  # fmt: skip
        got = agreement(p)
        assert got["span_f1"] == 1.0
        assert got["links"] == {"same": 0, "both_linked": 0, "one_linked": 1}
        assert got["link_agreement"] is None
        assert [[s.kb_id for s in v.spans] for v in versions(p, aid)] == [[None], ["Q1"]]
