"""Exporting a project (annotator.core.export, `annotator export`): what is never overwritten,
sets that appear whole or not at all, the report and the command line's output. Real project
files, real spaCy, real files and processes; no mocks."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin
from typer.testing import CliRunner

from annotator.cli import app
from annotator.core.export import (
    ExportError,
    NothingToExportError,
    UnsafeTargetError,
    export_project,
)
from annotator.core.formats.prodigy_tasks import task_hash
from annotator.core.project import Project
from annotator.core.records import ArticleRecord, Span

runner = CliRunner()
NLP = spacy.blank("en")


def record(text: str, *spans: tuple[str, str], status: str = "accepted", **kw) -> ArticleRecord:
    found = [Span(text.index(s), text.index(s) + len(s), label) for s, label in spans]
    return ArticleRecord(text=text, status=status, spans=found, **kw)


def make_project(path: Path, records: list[ArticleRecord]) -> Path:
    with Project(path) as p:
        p.ensure_labels(sorted({s.label for r in records for s in r.spans}))
        p.add_records(records)
    return path


def basic_records() -> list[ArticleRecord]:
    return [
        record("Reuters reported from Kyiv on Monday.", ("Reuters", "ORG"), ("Kyiv", "GPE")),
        record("Officials in Lyman said so.", ("Lyman", "GPE")),
        record("Peskov spoke in Moscow.", ("Peskov", "PERSON"), status="rejected"),
        record("A pending article about Paris.", status="pending"),
        record("Another pending one.", status="pending"),
        record("A third pending one about NATO.", status="pending"),
    ]


def cli(*args) -> subprocess.CompletedProcess:
    """The real entry point in a child process (refusals are printed by main(), exit codes)."""
    return subprocess.run([sys.executable, "-m", "annotator", *map(str, args)],
                          capture_output=True, text=True, encoding="utf-8")  # fmt: skip


def docs(path: Path) -> list:
    return list(DocBin().from_disk(path).get_docs(NLP.vocab))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def assert_whole_set(out: Path) -> None:
    """train/dev/manifest of one export: the manifest's checksums match, no doc in both."""
    assert sorted(p.name for p in out.iterdir()) == ["config.cfg", "dev.spacy", "manifest.json",
                                                    "train.spacy"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for name in ("train.spacy", "dev.spacy"):
        assert manifest["checksums"][name] == hashlib.sha256((out / name).read_bytes()).hexdigest()
    train = {d.text for d in docs(out / "train.spacy")}
    dev = {d.text for d in docs(out / "dev.spacy")}
    assert not train & dev
    counts = manifest["counts"]
    assert (len(train), len(dev)) == (counts["train"]["articles"], counts["dev"]["articles"])


def add_raw_span(db: Path, article_id: int, start: int, end: int, label: str) -> None:
    """A span the store would refuse today, as an older version or another tool left it."""
    with sqlite3.connect(db) as conn:
        conn.execute('INSERT INTO spans(article_id, start, "end", label, source, annotator, '
                     "created_at) VALUES (?, ?, ?, ?, 'human', '', '2024-01-01')",
                     [article_id, start, end, label])  # fmt: skip


# --------------------------------------------------------------------------- 10: never overwrite


def test_out_at_the_project_file_is_refused_and_the_project_survives(tmp_path):
    db = make_project(tmp_path / "p.db", basic_records())
    before = db.read_bytes()
    proc = cli("export", "--db", db, "--out", db, "--format", "jsonl")
    assert proc.returncode != 0
    [line] = proc.stderr.strip().splitlines()  # one clear line
    assert str(db) in line and "choose another --out" in line
    assert db.read_bytes() == before
    with Project(db) as p:
        assert p.counts()["accepted"] == 2

    # Nor its -wal/-shm, nor a folder holding it; nothing is written anywhere.
    with Project(db) as p:
        for out, fmt in [(Path(f"{db}-wal"), "jsonl"), (Path(f"{db}-shm"), "jsonl"),
                         (tmp_path, "spacy"), (tmp_path.parent, "spacy")]:  # fmt: skip
            listing = sorted(os.listdir(tmp_path))
            with pytest.raises(UnsafeTargetError) as info:
                export_project(p, out, format=fmt)
            assert "\n" not in str(info.value) and "project" in str(info.value)
            assert sorted(os.listdir(tmp_path)) == listing
    assert db.read_bytes() == before


def test_export_never_overwrites_a_file_it_did_not_write(tmp_path):
    db = make_project(tmp_path / "p.db", basic_records())
    theirs = tmp_path / "notes.jsonl"
    theirs.write_text("someone else's work\n")
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "README.txt").write_text("not Annotator's")
    with Project(db) as p:
        with pytest.raises(UnsafeTargetError) as info:
            export_project(p, theirs, format="jsonl")
        message = str(info.value)
        assert "\n" not in message and str(theirs) in message and "move it away" in message
        assert theirs.read_text() == "someone else's work\n"

        with pytest.raises(UnsafeTargetError) as info:
            export_project(p, folder, format="spacy")
        assert str(folder / "README.txt") in str(info.value)
        assert snapshot(folder) == {"README.txt": b"not Annotator's"}

        # Its own files: written, then replaced by the next export of this project...
        mine = tmp_path / "mine.jsonl"
        export_project(p, mine, format="jsonl")
        export_project(p, mine, format="jsonl", statuses=("accepted", "rejected"))
        assert len(mine.read_text().splitlines()) == 3
        export_project(p, tmp_path / "spacy")
        export_project(p, tmp_path / "spacy", dev_split=0.5)
        assert_whole_set(tmp_path / "spacy")

        # ...but not once someone changed them, nor by another project.
        mine.write_text(mine.read_text() + "\n")
        edited = mine.read_bytes()
        with pytest.raises(UnsafeTargetError, match="changed since"):
            export_project(p, mine, format="jsonl")
        assert mine.read_bytes() == edited
    other = make_project(tmp_path / "other.db", basic_records())
    before = snapshot(tmp_path / "spacy")
    with Project(other) as q, pytest.raises(UnsafeTargetError, match="not written by"):
        export_project(q, tmp_path / "spacy")
    assert snapshot(tmp_path / "spacy") == before


# --------------------------------------------------------------------------- 11: the report


def test_strict_refuses_jsonl_too(tmp_path):
    db = make_project(tmp_path / "p.db", basic_records())
    add_raw_span(db, 2, 13, 16, "GPE")  # "Lym": inside a token
    with Project(db) as p:
        with pytest.raises(ExportError) as info:
            export_project(p, tmp_path / "out.jsonl", format="jsonl", strict=True)
        assert "'Lym'" in str(info.value) and "not on token boundaries" in str(info.value)
        assert not (tmp_path / "out.jsonl").exists()
        assert [n for n in os.listdir(tmp_path) if not n.startswith("p.db")] == []
        report = export_project(p, tmp_path / "out.jsonl", format="jsonl")  # not strict
        assert report.problems == {"misaligned": 1}


def test_articles_left_out_by_status_are_counted(tmp_path):
    db = make_project(tmp_path / "p.db", basic_records())
    with Project(db) as p:
        report = export_project(p, tmp_path / "out")
        assert report.excluded == {"rejected": 1, "pending": 3}
        manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
        assert manifest["excluded_by_status"] == {"rejected": 1, "pending": 3}
        report = export_project(p, tmp_path / "all.jsonl", format="jsonl",
                                statuses=("accepted", "pending"))  # fmt: skip
        assert report.excluded == {"rejected": 1}


def test_cli_prints_counts_per_split_and_label(tmp_path):
    db = make_project(tmp_path / "p.db", basic_records())
    result = runner.invoke(app, ["export", "--db", str(db), "--out", str(tmp_path / "out"),
                                 "--dev-split", "0"], catch_exceptions=False)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "train: 2 articles, 3 spans",
        "  GPE                  2",
        "  ORG                  1",
        "dev: 0 articles, 0 spans",
    ]
    assert "not exported (by status): 3 pending, 1 rejected" in result.stderr
    assert "warning: the dev set is empty" in result.stderr


def test_cli_exits_non_zero_when_nothing_is_exported(tmp_path):
    db = make_project(tmp_path / "p.db", [record("Only a pending article.", status="pending")])
    for fmt in ("spacy", "jsonl"):
        proc = cli("export", "--db", db, "--out", tmp_path / f"out-{fmt}", "--format", fmt)
        assert proc.returncode != 0
        assert "nothing to export" in proc.stderr and "1 pending" in proc.stderr
        assert not (tmp_path / f"out-{fmt}").exists()
    assert [n for n in os.listdir(tmp_path) if not n.startswith("p.db")] == []
    with Project(db) as p, pytest.raises(NothingToExportError) as info:
        export_project(p, tmp_path / "out")
    assert info.value.report.excluded == {"pending": 1}


def test_problems_are_named_by_kind(tmp_path):
    text = "They flew from New York City to Kyiv and Lyman."
    db = make_project(tmp_path / "p.db", [record(text, ("New York City", "GPE"))])
    add_raw_span(db, 1, text.index("York"), text.index("York") + 9, "GPE")  # overlaps
    add_raw_span(db, 1, text.index("Kyiv"), text.index("Kyiv") + 2, "GPE")  # "Ky"
    add_raw_span(db, 1, text.index("Lyman"), len(text) + 5, "GPE")  # past the end
    result = runner.invoke(app, ["export", "--db", str(db), "--out", str(tmp_path / "out")],
                           catch_exceptions=False)  # fmt: skip
    assert result.exit_code == 0, result.output
    err = result.stderr
    assert "'York City': overlapping another span" in err
    assert "'Ky': not on token boundaries" in err
    assert "'Lyman.': outside the text" in err
    assert (
        "3 spans could not be exported as entities (1 not on token boundaries, "
        "1 overlapping another span, 1 outside the text" in err
    )
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["problems"] == {"misaligned": 1, "overlap": 1, "out_of_range": 1}


def test_jsonl_task_hash_is_derived_again_after_the_spans_change(tmp_path):
    text = "Annotator met Prodigy in Berlin."
    task = {"text": text, "answer": "accept", "_input_hash": 111, "_task_hash": 222,
            "spans": [{"start": 14, "end": 21, "label": "ORG"}]}  # fmt: skip
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(task) + "\n")
    db = tmp_path / "p.db"
    assert runner.invoke(app, ["import", "--db", str(db), str(src)]).exit_code == 0
    out = tmp_path / "out.jsonl"
    with Project(db) as p:
        export_project(p, out, format="jsonl")
        [kept] = [json.loads(line) for line in out.read_text().splitlines()]
        assert (kept["_input_hash"], kept["_task_hash"]) == (111, 222)  # unchanged spans

        p.ensure_labels(["GPE"])
        p.add_span(1, Span(text.index("Berlin"), text.index("Berlin") + 6, "GPE"))
        export_project(p, out, format="jsonl")
        [edited] = [json.loads(line) for line in out.read_text().splitlines()]
    assert [s["label"] for s in edited["spans"]] == ["ORG", "GPE"]
    assert edited["_input_hash"] == 111  # the text is the same
    assert edited["_task_hash"] == task_hash({"spans": edited["spans"]}, 111) != 222


# --------------------------------------------------------------------------- 16: long articles


def test_an_article_over_spacys_max_length_does_not_block_the_export(tmp_path):
    long_text = ("Reuters reported from Kyiv. " * 40_000)[:1_100_000]
    assert len(long_text) > NLP.max_length
    db = make_project(tmp_path / "p.db", [
        record(long_text), record("Officials in Lyman said so.", ("Lyman", "GPE"))])  # fmt: skip
    add_raw_span(db, 1, long_text.index("Kyiv"), long_text.index("Kyiv") + 4, "GPE")
    with Project(db) as p:
        report = export_project(p, tmp_path / "out", dev_split=0.0)
        assert any("article 1 has 1,100,000 characters" in w for w in report.warnings)
        long_doc, short = docs(tmp_path / "out" / "train.spacy")
        assert long_doc.text == long_text and [e.text for e in long_doc.ents] == ["Kyiv"]
        assert [e.text for e in short.ents] == ["Lyman"]

        report = export_project(p, tmp_path / "out.jsonl", format="jsonl")
        tasks = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
        assert [len(t["text"]) for t in tasks] == [1_100_000, len(short.text)]
        assert report.counts["all"] == {"articles": 2, "spans": 2}


# --------------------------------------------------------------------------- 17: whole or nothing


def _export_forever(db: str, out: str, ready) -> None:
    with Project(db) as p:
        ready.set()
        while True:
            export_project(p, out, dev_split=0.3)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks the export process (POSIX)")
def test_killed_exports_leave_no_leftovers_and_never_a_mixed_set(tmp_path):
    import multiprocessing

    rng = random.Random(8)
    records = [record(f"Story {i}: " + " ".join(rng.choice(["Reuters", "said", "the", "Kyiv",
                      "officials", "on", "Monday", "that"]) for _ in range(60)) + " in Lyman.",
                      ("Lyman", "GPE")) for i in range(1500)]  # fmt: skip
    db = make_project(tmp_path / "p.db", records)
    out = tmp_path / "corpus"
    ctx = multiprocessing.get_context("fork")
    for _ in range(30):
        ready = ctx.Event()
        proc = ctx.Process(target=_export_forever, args=(str(db), str(out), ready), daemon=True)
        proc.start()
        assert ready.wait(120)
        time.sleep(rng.uniform(0.0, 1.0))  # a random point of the first or a later export
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        assert proc.exitcode == -signal.SIGKILL
        if out.exists():  # whatever the moment, the target is one whole set
            assert_whole_set(out)
    with Project(db) as p:
        report = export_project(p, out, dev_split=0.3)
    assert report.total_articles == 1500
    assert_whole_set(out)
    left = sorted(n for n in os.listdir(tmp_path) if not n.startswith("p.db"))
    assert left == ["corpus"]


def test_swap_by_two_renames_where_there_is_no_atomic_exchange(tmp_path, monkeypatch):
    """macOS and Windows have no renameat2: the old set is set aside, the new one put in."""
    from annotator.core import export

    monkeypatch.setattr(export, "_exchange", lambda a, b: False)
    db = make_project(tmp_path / "p.db", basic_records())
    with Project(db) as p:
        export_project(p, tmp_path / "out", dev_split=0.0)
        export_project(p, tmp_path / "out", dev_split=0.5, seed=3)
    assert_whole_set(tmp_path / "out")
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["split"]["seed"] == 3
    assert sorted(n for n in os.listdir(tmp_path) if not n.startswith("p.db")) == ["out"]


def test_leftovers_of_earlier_killed_exports_are_removed(tmp_path):
    db = make_project(tmp_path / "p.db", basic_records())
    with Project(db) as p:
        export_project(p, tmp_path / "out")
        export_project(p, tmp_path / "tasks.jsonl", format="jsonl")
        # What killed exports left: older versions' temp files, and this version's folders.
        (tmp_path / "out" / ".train.spacy.k2j4h1x9.tmp").write_bytes(b"half")
        (tmp_path / ".tasks.jsonl.a_b1c2d3.tmp").write_text("half")
        (tmp_path / ".out.annotator-999999999-0badc0de.new").mkdir()
        (tmp_path / ".out.annotator-999999999-0badc0de.new" / "train.spacy").write_bytes(b"x")
        (tmp_path / ".out.annotator-999999998-0badc0de.old").mkdir()
        export_project(p, tmp_path / "out")
        export_project(p, tmp_path / "tasks.jsonl", format="jsonl")
    assert_whole_set(tmp_path / "out")
    assert sorted(n for n in os.listdir(tmp_path) if not n.startswith("p.db")) == [
        "out", "tasks.jsonl"]  # fmt: skip


# --------------------------------------------------------------------------- 18: partial articles


def test_partial_articles_keep_unknown_tokens_unknown(tmp_path):
    db = make_project(tmp_path / "p.db", [
        record("Peskov spoke in Moscow on Monday.", ("Moscow", "GPE"), annotation="partial"),
        record("Officials in Lyman said so.", ("Lyman", "GPE")),
    ])  # fmt: skip
    with Project(db) as p:
        report = export_project(p, tmp_path / "out", dev_split=0.0)
        export_project(p, tmp_path / "out.jsonl", format="jsonl")
    partial, complete = docs(tmp_path / "out" / "train.spacy")
    assert [(t.text, t.ent_iob_) for t in partial if t.text in ("Peskov", "Moscow", "Monday")] == [
        ("Peskov", ""),
        ("Moscow", "B"),
        ("Monday", ""),
    ]  # unknown, not "outside"
    assert {t.ent_iob_ for t in complete if t.text != "Lyman"} == {"O"}
    assert report.partial == {"train": 1, "dev": 0}
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["partial_articles"] == {"train": 1, "dev": 0}
    tasks = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [(t["_view_id"], t["answer"]) for t in tasks] == [
        ("ner", "accept"),
        ("ner_manual", "accept"),
    ]


def test_the_exported_config_trains_with_spacy_train(tmp_path):
    """`export --format spacy` writes config.cfg: `python -m spacy train` runs on it as is."""
    import subprocess
    import sys

    from annotator.core.export import export_project
    from annotator.core.project import Project
    from annotator.core.records import ArticleRecord, Span

    with Project(tmp_path / "p.db") as p:
        p.ensure_labels(["PERSON", "GPE"])
        p.add_records([ArticleRecord(text=f"Anna Berg went to Paris, trip {i}.", status="accepted",
                                     spans=[Span(0, 9, "PERSON"), Span(18, 23, "GPE")])
                       for i in range(12)])  # fmt: skip
        out = tmp_path / "corpus"
        report = export_project(p, out, format="spacy", dev_split=0.25)
    assert str(out / "config.cfg") in report.files
    r = subprocess.run(
        [sys.executable, "-m", "spacy", "train", str(out / "config.cfg"), "--output",
         str(tmp_path / "model"), "--training.max_steps", "4", "--training.eval_frequency", "2"],
        capture_output=True, text=True, cwd=tmp_path / "..",
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    assert (tmp_path / "model" / "model-last" / "config.cfg").is_file()


def _cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "annotator", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)  # fmt: skip


@pytest.mark.parametrize("out", [".", ""])
def test_export_into_the_current_folder_refuses_and_writes_nothing(tmp_path, out):
    """`--out .` (or `--out ''`) in an empty folder: the folder formats replace their folder
    whole, which would swap the folder you are in for a new one; refused, nothing written,
    the folder left as it was (the same folder, not a replacement)."""
    db = make_project(tmp_path / "p.db", basic_records())
    here = tmp_path / "work"
    here.mkdir()
    before = here.stat().st_ino
    r = _cli("export", "--db", db, "--out", out, "--format", "spacy", cwd=here)
    assert r.returncode == 1
    assert "is the folder you are in" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert here.stat().st_ino == before and list(here.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    # the parent of the folder you are in holds it: refused as well
    r = _cli("export", "--db", db, "--out", "..", "--format", "conll", cwd=here)
    assert r.returncode == 1 and "holds the folder you are in" in r.stderr
    # JSONL is a file: `--out .` writes annotations.jsonl here, in place
    r = _cli("export", "--db", db, "--out", out, "--format", "jsonl", cwd=here)
    assert r.returncode == 0, r.stderr
    assert [p.name for p in here.iterdir()] == ["annotations.jsonl"]
    assert here.stat().st_ino == before


@pytest.mark.parametrize("format", ["spacy", "jsonl"])
def test_export_through_a_dangling_symlink_is_refused(tmp_path, format):
    db = make_project(tmp_path / "p.db", basic_records())
    link = tmp_path / "corpus"
    link.symlink_to(tmp_path / "elsewhere" / "target")
    r = _cli("export", "--db", db, "--out", link, "--format", format, cwd=tmp_path)
    assert r.returncode == 1, r.stdout
    assert f"{link} is a symbolic link to" in r.stderr and "does not exist" in r.stderr
    assert not (tmp_path / "elsewhere").exists()
    # a path inside a dangling link too
    r = _cli("export", "--db", db, "--out", link / "sub", "--format", format, cwd=tmp_path)
    assert r.returncode == 1 and f"{link} is a symbolic link to" in r.stderr
    assert not (tmp_path / "elsewhere").exists()


def test_the_export_report_counts_linked_entities(tmp_path):
    from annotator.core.store.kb import KbEntry

    db = make_project(tmp_path / "p.db", [record("Reuters reported from Kyiv.",
                                                 ("Reuters", "ORG"), ("Kyiv", "GPE"))])
    with Project(db) as p:
        p.kb.add([KbEntry("Q1899", "Kyiv")])
        kyiv = next(s for s in p.spans(1) if s.label == "GPE")
        p.set_link(kyiv.id, "Q1899")
    result = runner.invoke(app, ["export", "--db", str(db), "--out", str(tmp_path / "c"),
                                 "--dev-split", "0"], catch_exceptions=False)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "train: 1 article, 2 spans, 1 linked entity" in result.stdout
