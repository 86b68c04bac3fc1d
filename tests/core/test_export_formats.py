"""`annotator export --format conll|hf` and the export's warnings (issue 11): the same split,
the same problem report and the same output-path safety as the spaCy export. Real project
files, the real CLI, real spaCy; no mocks."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import spacy
from cli_runs import cli, run
from spacy.tokens import DocBin

from annotator.core.project import Project
from annotator.core.records import ArticleRecord, Span

NLP = spacy.blank("en")


def record(text: str, *spans: tuple[str, str], status: str = "accepted") -> ArticleRecord:
    found = [Span(text.index(s), text.index(s) + len(s), label) for s, label in spans]
    return ArticleRecord(text=text, status=status, spans=found)


def make_project(path: Path, records: list[ArticleRecord]) -> Path:
    with Project(path) as p:
        p.ensure_labels(["PERSON", "ORG", "GPE"])
        p.add_records(records)
    return path


def corpus(n: int = 40) -> list[ArticleRecord]:
    out = [record(f"Story {i}: Angela Merkel met Reuters staff in New York.",
                  ("Angela Merkel", "PERSON"), ("Reuters", "ORG"), ("New York", "GPE"))
           for i in range(n)]  # fmt: skip
    out.append(record("A pending one about Paris.", status="pending"))
    return out






def add_raw_span(db: Path, article_id: int, start: int, end: int, label: str) -> None:
    """A span the store would refuse today, as an older version or another tool left it."""
    with sqlite3.connect(db) as conn:
        conn.execute('INSERT INTO spans(article_id, start, "end", label, source, annotator, '
                     "created_at) VALUES (?, ?, ?, ?, 'human', '', '2024-01-01')",
                     [article_id, start, end, label])  # fmt: skip


def read_conll(path: Path) -> list[list[tuple[str, str]]]:
    text = path.read_text(encoding="utf-8")
    return [[tuple(line.split("\t")) for line in block.splitlines()]
            for block in text.split("\n\n") if block.strip()]  # fmt: skip


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_conll_hf_and_spacy_share_the_split(tmp_path):
    db = make_project(tmp_path / "p.db", corpus())
    for fmt in ("spacy", "conll", "hf"):
        run("export", "--db", db, "--out", tmp_path / fmt, "--format", fmt, "--seed", "3")
    assert sorted(p.name for p in (tmp_path / "conll").iterdir()) == [
        "dev.conll", "manifest.json", "train.conll"]  # fmt: skip
    assert sorted(p.name for p in (tmp_path / "hf").iterdir()) == [
        "dev.jsonl", "labels.json", "manifest.json", "train.jsonl"]  # fmt: skip
    for split in ("train", "dev"):
        spacy_docs = list(DocBin().from_disk(tmp_path / "spacy" / f"{split}.spacy")
                          .get_docs(NLP.vocab))  # fmt: skip
        texts = [" ".join(t.text for t in d) for d in spacy_docs]
        conll = read_conll(tmp_path / "conll" / f"{split}.conll")
        hf = read_jsonl(tmp_path / "hf" / f"{split}.jsonl")
        assert [" ".join(t for t, _ in a) for a in conll] == texts
        assert [" ".join(r["tokens"]) for r in hf] == texts
        assert texts  # both splits have articles with 40 of them
    manifest = json.loads((tmp_path / "conll" / "manifest.json").read_text())
    assert manifest["format"] == "conll" and manifest["split"]["seed"] == 3


def test_conll_is_iob2_one_token_a_line(tmp_path):
    text = "Angela  Merkel visited New York.\n\nReuters said so."
    db = make_project(tmp_path / "p.db", [record(text, ("Angela  Merkel", "PERSON"),
                                                 ("New York", "GPE"), ("Reuters", "ORG"))])
    result = run("export", "--db", db, "--out", tmp_path / "c", "--format", "conll",
                 "--dev-split", "0")  # fmt: skip
    assert result.stdout.splitlines()[:4] == ["train: 1 article, 3 spans", "  GPE" + " " * 18
                                              + "1", "  ORG" + " " * 18 + "1",
                                              "  PERSON" + " " * 15 + "1"]  # fmt: skip
    (article,) = read_conll(tmp_path / "c" / "train.conll")
    assert article == [("Angela", "B-PERSON"), ("Merkel", "I-PERSON"), ("visited", "O"),
                       ("New", "B-GPE"), ("York", "I-GPE"), (".", "O"), ("Reuters", "B-ORG"),
                       ("said", "O"), ("so", "O"), (".", "O")]  # fmt: skip
    assert (tmp_path / "c" / "dev.conll").read_text() == ""
    assert "warning: the dev set is empty" in result.stderr


def test_hf_rows_and_labels_json(tmp_path):
    db = make_project(tmp_path / "p.db", corpus(12))
    run("export", "--db", db, "--out", tmp_path / "h", "--format", "hf", "--dev-split", "0.5")
    names = json.loads((tmp_path / "h" / "labels.json").read_text())
    assert names == ["O", "B-PERSON", "I-PERSON", "B-ORG", "I-ORG", "B-GPE", "I-GPE"]
    rows = read_jsonl(tmp_path / "h" / "train.jsonl") + read_jsonl(tmp_path / "h" / "dev.jsonl")
    assert len(rows) == 12 and len({r["id"] for r in rows}) == 12
    for row in rows:
        assert set(row) == {"id", "tokens", "ner_tags"} and isinstance(row["id"], str)
        assert len(row["tokens"]) == len(row["ner_tags"])
        assert all(isinstance(t, int) and 0 <= t < len(names) for t in row["ner_tags"])
        tags = [names[t] for t in row["ner_tags"]]
        assert list(zip(row["tokens"], tags, strict=True))[3:5] == [
            ("Angela", "B-PERSON"), ("Merkel", "I-PERSON")]  # fmt: skip


def test_problem_spans_reported_by_kind_in_every_format(tmp_path):
    text = "They flew from New York City to Kyiv and Lyman."
    db = make_project(tmp_path / "p.db", [record(text, ("New York City", "GPE"))])
    add_raw_span(db, 1, text.index("York"), text.index("York") + 9, "GPE")  # overlaps
    add_raw_span(db, 1, text.index("Kyiv"), text.index("Kyiv") + 2, "GPE")  # "Ky"
    add_raw_span(db, 1, text.index("Lyman"), len(text) + 5, "GPE")  # past the end
    for fmt in ("conll", "hf"):
        out = tmp_path / fmt
        err = run("export", "--db", db, "--out", out, "--format", fmt, "--dev-split", "0").stderr
        assert "'York City': overlapping another span" in err
        assert "'Ky': not on token boundaries" in err
        assert "'Lyman.': outside the text" in err
        assert ("3 spans could not be exported as entities (1 not on token boundaries, "
                "1 overlapping another span, 1 outside the text") in err  # fmt: skip
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["problems"] == {"misaligned": 1, "overlap": 1, "out_of_range": 1}
    (article,) = read_conll(tmp_path / "conll" / "train.conll")
    assert [t for t in article if t[1] != "O"] == [("New", "B-GPE"), ("York", "I-GPE"),
                                                   ("City", "I-GPE")]  # fmt: skip
    # --strict: refused, nothing written, the old export stays
    before = (tmp_path / "hf" / "train.jsonl").read_bytes()
    proc = cli("export", "--db", db, "--out", tmp_path / "hf", "--format", "hf", "--strict")
    assert proc.returncode == 1 and "cannot be exported" in proc.stderr
    assert (tmp_path / "hf" / "train.jsonl").read_bytes() == before
    proc = cli("export", "--db", db, "--out", tmp_path / "new", "--format", "conll", "--strict")
    assert proc.returncode == 1 and not (tmp_path / "new").exists()


def test_few_examples_and_empty_dev_are_warned(tmp_path):
    records = [record(f"Reuters story {i}.", ("Reuters", "ORG")) for i in range(12)]
    records.append(record("Angela Merkel spoke.", ("Angela Merkel", "PERSON")))
    db = make_project(tmp_path / "p.db", records)
    for fmt in ("spacy", "conll", "hf", "jsonl"):
        err = run("export", "--db", db, "--out", tmp_path / fmt, "--format", fmt,
                  "--dev-split", "0").stderr  # fmt: skip
        where = "in the export" if fmt == "jsonl" else "in train"
        assert f"1 label with fewer than 10 examples {where}, too few to learn: PERSON (1)" \
            in err, err  # fmt: skip
        assert ("the dev set is empty" in err) == (fmt != "jsonl")


def test_conll_and_hf_never_overwrite_what_they_did_not_write(tmp_path):
    db = make_project(tmp_path / "p.db", corpus(5))
    for fmt in ("conll", "hf"):
        out = tmp_path / fmt
        out.mkdir()
        (out / "notes.txt").write_text("mine")
        proc = cli("export", "--db", db, "--out", out, "--format", fmt)
        assert proc.returncode == 1 and "notes.txt" in proc.stderr
        assert [p.name for p in out.iterdir()] == ["notes.txt"]
        (out / "notes.txt").unlink()
        run("export", "--db", db, "--out", out, "--format", fmt)
        run("export", "--db", db, "--out", out, "--format", fmt)  # its own files: replaced
        name = "train.conll" if fmt == "conll" else "train.jsonl"
        (out / name).write_text("edited by hand\n")
        proc = cli("export", "--db", db, "--out", out, "--format", fmt)
        assert proc.returncode == 1 and "was changed since" in proc.stderr
    proc = cli("export", "--db", db, "--out", tmp_path, "--format", "hf")
    assert proc.returncode == 1 and "holds the project file" in proc.stderr


def test_flagged_articles_carry_flagged_and_note_through_jsonl(tmp_path):
    db = make_project(tmp_path / "p.db", corpus(3))
    with Project(db) as p:
        first, second = p.article_ids()[:2]
        p.flag(first, True, "  check the spelling of Merkel  ")
        p.flag(second, True)
    out = tmp_path / "out.jsonl"
    run("export", "--db", db, "--format", "jsonl", "--out", out)
    tasks = read_jsonl(out)
    assert tasks[0]["flagged"] is True and tasks[0]["flag_note"] == "check the spelling of Merkel"
    assert tasks[1]["flagged"] is True and "flag_note" not in tasks[1]
    assert all("flagged" not in t for t in tasks[2:])
    again = tmp_path / "again.db"
    run("import", "--db", again, out)
    with Project(again) as p:
        flagged = p.article_ids(flagged=True)
        assert len(flagged) == 2
        notes = sorted(p.article(i).flag_note for i in flagged)
    assert notes == ["", "check the spelling of Merkel"]


def test_a_flag_that_is_not_true_or_false_is_skipped_with_its_line(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "Fine."}\n{"text": "Bad flag.", "flagged": "yes"}\n',
                   encoding="utf-8")
    result = run("import", "--db", tmp_path / "p.db", src)  # the good line is imported
    assert "in.jsonl:2: 'flagged' must be true or false, got a string" in result.output
    with Project(tmp_path / "p.db") as p:
        assert [p.article(i).text for i in p.article_ids()] == ["Fine."]
