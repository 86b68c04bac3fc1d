"""`annotator kb ...` end to end on real files: add (bad lines by file:line, --strict),
list, show, lookup, remove (refused while linked, --force), export-spacy; a user's
mistake is one line and exit 1."""

from __future__ import annotations

import json

from cli_runs import cli, run

from annotator.core.project import Project
from annotator.core.records import ArticleRecord, Span

KB = """\
Q3874799,Volodymyr Zelenskyy,President of Ukraine,Zelensky,Зеленський
Q1899,Kyiv,capital of Ukraine,Kiev,Київ
Q1899,Kyiv twice,the same id again
Q7,,no name
Q3237,Kharkiv,city in Ukraine,Kharkov
"""






def test_add_list_show_lookup_remove_export(tmp_path):
    db, kb = tmp_path / "p.db", tmp_path / "kb.csv"
    kb.write_text(KB, encoding="utf-8")
    added = run("kb", "add", "--db", db, kb)
    assert added.stdout.strip() == ("added 3 entities, updated 0 (8 aliases stored) from 1 "
                                    "file; 2 bad lines skipped")  # fmt: skip
    assert f"annotator: skipped: {kb}:3: id Q1899 is given again (first on line 2)" in \
        added.stderr  # fmt: skip
    assert f"annotator: skipped: {kb}:4: entity Q7 has an empty name" in added.stderr
    again = run("kb", "add", "--db", db, kb)
    assert again.stdout.startswith("added 0 entities, updated 0, 3 unchanged")

    listed = json.loads(run("kb", "list", "--db", db, "--json").stdout)
    assert (listed["entities"], listed["aliases"]) == (3, 8)
    assert [e["id"] for e in listed["page"]] == ["Q1899", "Q3237", "Q3874799"]
    page = run("kb", "list", "--db", db, "--limit", "1", "--after", "Q1899")
    assert page.stdout.splitlines() == ["Q3237  Kharkiv  city in Ukraine  also: Kharkov"]
    assert "next page: --after Q3237" in page.stderr

    with Project(db) as p:  # a linked span (the window's link edit, in plain SQL)
        p.ensure_labels(["GPE"])
        article = p.add_records([ArticleRecord(text="Kyiv said no.", status="accepted",
                                               spans=[Span(0, 4, "GPE")])]).ids[0]  # fmt: skip
        with p.write():
            p.store.conn.execute("UPDATE spans SET kb_id = 'Q1899' WHERE article_id = ?",
                                 [article])  # fmt: skip
    shown = run("kb", "show", "--db", db, "Q1899").stdout.splitlines()
    assert shown[:4] == ["Q1899  Kyiv", "capital of Ukraine", "aliases: Kyiv, Kiev, Київ",
                         "linked spans: 1"]  # fmt: skip
    assert json.loads(run("kb", "show", "--db", db, "Q1899", "--json").stdout)[
        "linked_spans"] == 1

    lookup = run("kb", "lookup", "--db", db, "Kyjiw").stdout.splitlines()
    assert lookup == ["1. Q1899  Kyiv  capital of Ukraine  (fuzzy 1.00: Kyiv)"]
    found = json.loads(run("kb", "lookup", "--db", db, "kyiv", "--json").stdout)
    assert [(c["entity_id"], c["match"], c["chosen"]) for c in found] == [("Q1899", "folded",
                                                                           1)]
    assert run("kb", "lookup", "--db", db, "Berlin").stderr.strip() == \
        "no candidates for 'Berlin'"  # fmt: skip

    out = tmp_path / "spacy-kb"
    exported = run("kb", "export-spacy", "--db", db, "--out", out, "--vectors", "hash")
    assert exported.stdout.strip() == (f"wrote 3 entities and 8 aliases to {out} (entity "
                                       "vectors: hash, 64 dimensions; 1 accepted link)")
    assert (out / "contents").is_file() and (out / "kb_manifest.json").is_file()

    refused = cli("kb", "remove", "--db", db, "Q1899")
    assert refused.returncode == 1
    assert refused.stderr == ("annotator: error: spans are linked to Q1899 (1 span): unlink "
                              "them first, or remove with --force, which unlinks them\n")
    assert run("kb", "remove", "--db", db, "Q1899", "--force").stdout.strip() == \
        "removed 1 entity, unlinked 1 span"  # fmt: skip
    assert run("kb", "remove", "--db", db, "Q3237").stdout.strip() == "removed 1 entity"
    assert json.loads(run("kb", "list", "--db", db, "--json").stdout)["entities"] == 1


def test_strict_and_mistakes_are_one_line(tmp_path):
    db, kb = tmp_path / "p.db", tmp_path / "kb.jsonl"
    kb.write_text('{"id": "Q1", "name": "Kyiv"}\n{"id": 1.5, "name": "x"}\n', encoding="utf-8")
    strict = cli("kb", "add", "--db", db, kb, "--strict")
    assert strict.returncode == 1
    assert strict.stderr.splitlines() == [
        f"annotator: error: {kb}:2: 'id' must be a string, got a number",
        "annotator: error: --strict: 1 bad line, nothing was added",
    ]
    assert json.loads(run("kb", "list", "--db", db, "--json").stdout)["entities"] == 0
    for args, message in [
        (("kb", "add", "--db", db, tmp_path / "missing.csv"),
         f"{tmp_path / 'missing.csv'}: no such file"),
        (("kb", "show", "--db", db, "Q404"), "no entity Q404 in the knowledge base"),
        (("kb", "remove", "--db", db, "Q404"), "no entity Q404 in the knowledge base"),
        (("kb", "list", "--db", tmp_path / "none.db"), f"{tmp_path / 'none.db'}: no such "
         "project file"),
        (("kb", "export-spacy", "--db", db, "--out", tmp_path / "o", "--vectors", "hash"),
         "the knowledge base is empty: add entities first (annotator kb add FILE)"),
    ]:  # fmt: skip
        proc = cli(*args)
        assert (proc.returncode, proc.stderr) == (1, f"annotator: error: {message}\n"), args


def test_articles_mentioning_an_entity_whatever_the_form(tmp_path):
    db, kb = tmp_path / "p.db", tmp_path / "kb.csv"
    kb.write_text(KB, encoding="utf-8")
    run("kb", "add", "--db", db, kb)
    with Project(db) as p:
        p.ensure_labels(["GPE"])
        ids = p.add_records([ArticleRecord(text="Kyiv said no.", title="Linked",
                                           spans=[Span(0, 4, "GPE")]),
                             ArticleRecord(text="Officials in KIEV met.", title="Named"),
                             ArticleRecord(text="Nothing here.", title="Other")]).ids
        span = p.spans(ids[0])[0]
        p.set_link(span.id, "Q1899")
    shown = run("kb", "articles", "--db", db, "Q1899")
    assert [line.split()[0] for line in shown.stdout.splitlines()] == [str(ids[0]), str(ids[1])]
    linked = json.loads(run("kb", "articles", "--db", db, "Q1899", "--linked-only",
                            "--json").stdout)  # fmt: skip
    assert [a["id"] for a in linked] == [ids[0]]
    missing = cli("kb", "articles", "--db", db, "Q404")
    assert missing.returncode == 1 and missing.stderr.strip() == \
        "annotator: error: no entity Q404 in the knowledge base"  # fmt: skip
