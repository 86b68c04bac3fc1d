"""The command line end to end, on real files: import -> stats -> export -> read back."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import spacy
from spacy.tokens import DocBin
from typer.testing import CliRunner

from annotator.cli import app

runner = CliRunner()


def run(*args: str, ok: bool = True):
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def cli(*args: str) -> subprocess.CompletedProcess:
    """The real entry point in a child process (errors, exit codes, stderr)."""
    return subprocess.run(
        [sys.executable, "-m", "annotator", *map(str, args)], capture_output=True, text=True
    )


def docs(path, nlp):
    return list(DocBin().from_disk(path).get_docs(nlp.vocab))


def test_fashion_brands_import_stats_export_roundtrip(corpora, tmp_path):
    src = corpora / "prodigy-fashion-brands" / "fashion_brands_training.jsonl"
    db = tmp_path / "fashion.db"
    run("import", "--db", db, src)
    stats = json.loads(run("stats", "--db", db, "--json").stdout)
    assert stats == {
        "articles": 1235, "pending": 0, "accepted": 1235, "rejected": 0, "skipped": 0,
        "spans": 527, "labels": {"FASHION_BRAND": 527},
    }  # fmt: skip

    out = tmp_path / "spacy"
    run("export", "--db", db, "--out", out, "--format", "spacy")
    nlp = spacy.blank("en")
    train, dev = docs(out / "train.spacy", nlp), docs(out / "dev.spacy", nlp)
    assert len(train) + len(dev) == 1235
    assert sum(len(d.ents) for d in train + dev) == 527
    assert 0.1 < len(dev) / 1235 < 0.3
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["misaligned"] == []

    # JSONL out -> a new project -> the same articles, statuses and spans
    jsonl = tmp_path / "out.jsonl"
    run("export", "--db", db, "--out", jsonl, "--format", "jsonl")
    db2 = tmp_path / "again.db"
    run("import", "--db", db2, jsonl)
    assert json.loads(run("stats", "--db", db2, "--json").stdout) == stats
    from annotator.core.project import Project

    with Project(db) as a, Project(db2) as b:
        left = [(x.text, x.status, [(s.start, s.end, s.label) for s in a.spans(x.id)],
                 x.prodigy_input_hash) for x in a.iter_articles()]  # fmt: skip
        right = [(x.text, x.status, [(s.start, s.end, s.label) for s in b.spans(x.id)],
                  x.prodigy_input_hash) for x in b.iter_articles()]  # fmt: skip
    assert left == right


def test_export_again_never_moves_an_article(tmp_path):
    db = tmp_path / "p.db"
    lines = [json.dumps({"text": f"Story number {i} about Reuters.", "answer": "accept",
                         "spans": [{"start": 0, "end": 5, "label": "ORG"}]})
             for i in range(300)]  # fmt: skip
    first = tmp_path / "a.jsonl"
    first.write_text("\n".join(lines[:200]))
    run("import", "--db", db, first)
    run("export", "--db", db, "--out", tmp_path / "e1")
    more = tmp_path / "b.jsonl"
    more.write_text("\n".join(lines[200:]))
    run("import", "--db", db, more)
    run("export", "--db", db, "--out", tmp_path / "e2")
    nlp = spacy.blank("en")
    dev1 = {d.text for d in docs(tmp_path / "e1" / "dev.spacy", nlp)}
    dev2 = {d.text for d in docs(tmp_path / "e2" / "dev.spacy", nlp)}
    train1 = {d.text for d in docs(tmp_path / "e1" / "train.spacy", nlp)}
    assert dev1 <= dev2 and not (train1 & dev2)


def test_seed_articles_and_duplicates(corpora, tmp_path):
    db = tmp_path / "seed.db"
    folder = corpora / "seed-articles"
    result = run("import", "--db", db, folder)
    assert "imported 2 articles" in result.stderr
    result = run("import", "--db", db, folder)
    assert "imported 0 articles" in result.stderr and "skipped 2 duplicates" in result.stderr
    assert json.loads(run("stats", "--db", db, "--json").stdout)["pending"] == 2


BAD = "\n".join([
    '{"text": "Good one.", "answer": "accept", "spans": []}',
    '{"text": "Broken',
    '{"text": "Bad span.", "answer": "accept", "spans": [{"start": 5, "end": 2, "label": "X"}]}',
    '{"text": "Also good.", "answer": "reject"}',
])  # fmt: skip


def test_bad_lines_skipped_and_reported_with_file_and_line(tmp_path):
    src = tmp_path / "bad.jsonl"
    src.write_text(BAD)
    db = tmp_path / "p.db"
    proc = cli("import", "--db", db, src)
    assert proc.returncode == 0, proc.stderr
    assert "bad.jsonl:2:" in proc.stderr and "bad.jsonl:3:" in proc.stderr
    assert "Traceback" not in proc.stderr
    stats = json.loads(cli("stats", "--db", db, "--json").stdout)
    assert (stats["articles"], stats["accepted"], stats["rejected"]) == (2, 1, 1)


def test_strict_imports_nothing(tmp_path):
    src = tmp_path / "bad.jsonl"
    src.write_text(BAD)
    db = tmp_path / "p.db"
    proc = cli("import", "--db", db, src, "--strict")
    assert proc.returncode == 1
    assert "nothing was imported" in proc.stderr and "Traceback" not in proc.stderr
    assert json.loads(cli("stats", "--db", db, "--json").stdout)["articles"] == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["stats", "--db", "{tmp}/missing.db"], "no such project file"),
        (["import", "--db", "{tmp}/p.db", "{tmp}/nope.txt"], "no such file or folder"),
        (["labels", "remove", "NOPE", "--db", "{tmp}/p.db"], "no label NOPE"),
        (["labels", "recolour", "ORG", "red", "--db", "{tmp}/p.db"], "not a colour"),
    ],
)
def test_errors_are_one_line_and_nonzero(tmp_path, args, message):
    cli("labels", "add", "ORG", "--db", tmp_path / "p.db")
    proc = cli(*[a.format(tmp=tmp_path) for a in args])
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0], proc.stderr


def test_labels_commands(tmp_path):
    db = tmp_path / "p.db"
    run("labels", "add", "PERSON", "--db", db)
    run("labels", "add", "BRAND", "--db", db, "--colour", "#112233", "--key", "5")
    listing = run("labels", "list", "--db", db).stdout.splitlines()
    assert listing == ["PERSON\t#aa9cfc\t1", "BRAND\t#112233\t5"]
    run("labels", "recolour", "PERSON", "#000000", "--db", db)
    run("labels", "remove", "BRAND", "--db", db)
    assert run("labels", "list", "--db", db).stdout.splitlines() == ["PERSON\t#000000\t1"]


def test_remove_label_in_use_needs_force(tmp_path):
    src = tmp_path / "a.jsonl"
    src.write_text('{"text": "Reuters.", "answer": "accept", "spans": '
                   '[{"start": 0, "end": 7, "label": "ORG"}]}')  # fmt: skip
    db = tmp_path / "p.db"
    run("import", "--db", db, src)
    assert "used by 1 spans" in cli("labels", "remove", "ORG", "--db", db).stderr
    run("labels", "remove", "ORG", "--db", db, "--force")
    assert json.loads(run("stats", "--db", db, "--json").stdout)["spans"] == 0


def test_version_and_module_entry_point():
    proc = cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("annotator ")


def test_export_spacy_with_status_pending_exports_the_suggestions(tmp_path):
    db = tmp_path / "p.db"
    text = tmp_path / "a.txt"
    text.write_text("Angela Merkel visited Paris with officials from the United Nations.")
    run("import", "--db", db, text)
    run("export", "--db", db, "--out", tmp_path / "out", "--format", "spacy",
        "--status", "pending", "--dev-split", "0")  # fmt: skip
    (doc,) = docs(tmp_path / "out" / "train.spacy", spacy.blank("en"))
    assert {(e.text, e.label_) for e in doc.ents} >= {("Angela Merkel", "PERSON")}
