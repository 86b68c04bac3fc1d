"""The project file refuses what would make training data wrong (issue 8: 5, 6, 8, 9, 12, 13,
15, 18, 19). Real SQLite files, real second connections and processes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from annotator.core.errors import (
    ConflictError,
    LabelInUseError,
    LabelNameError,
    NewerProjectError,
    NotAProjectError,
    SpanError,
)
from annotator.core.project import Project
from annotator.core.records import ArticleRecord, Span
from annotator.core.store.schema import APPLICATION_ID

TEXT = "Angela Merkel met Emmanuel Macron in Paris on Monday."


def new_project(path, labels=("PERSON", "GPE")) -> Project:
    p = Project(path)
    for name in labels:
        p.add_label(name)
    return p


# ---- 5: labels seen by every connection; every span write checked ---------------------------
def test_a_label_removed_elsewhere_is_gone_here_and_cannot_be_stored(tmp_path):
    path = tmp_path / "p.db"
    window = new_project(path)
    aid = window.add_records([ArticleRecord(text=TEXT)]).ids[0]
    assert "GPE" in window.label_names()  # cached in this connection
    with Project(path) as cli:
        cli.remove_label("GPE")
        cli.rename_label("PERSON", "PER")
    assert window.label_names() == ["PER"]  # seen at once, no restart, no polling
    with pytest.raises(SpanError):
        window.set_status(aid, "accepted", confirm=[Span(37, 42, "GPE", "model")])
    assert window.article(aid).status == "pending" and window.spans(aid) == []


def test_accept_and_undo_writes_are_checked(tmp_path):
    p = new_project(tmp_path / "p.db")
    aid = p.add_records([ArticleRecord(text=TEXT)]).ids[0]
    with pytest.raises(SpanError, match="overlaps"):
        p.set_status(aid, "accepted", confirm=[Span(0, 13, "PERSON"), Span(7, 13, "PERSON")])
    with pytest.raises(SpanError, match="outside"):
        p.set_status(aid, "accepted", confirm=[Span(40, 400, "GPE")])
    sid = p.add_span(aid, Span(0, 6, "PERSON"))
    old = p.update_span(sid, end=13)
    p.add_span(aid, Span(18, 26, "PERSON"))
    bad = type(old)(old.id, old.article_id, 0, 26, old.label, old.source, old.annotator)
    with pytest.raises(SpanError):  # a restore that would overlap another span
        p.restore_span(bad)
    assert [(s.start, s.end) for s in p.spans(aid)] == [(0, 13), (18, 26)]


def test_spans_refer_to_labels_by_foreign_key(tmp_path):
    p = new_project(tmp_path / "p.db")
    aid = p.add_records([ArticleRecord(text=TEXT)]).ids[0]
    with pytest.raises(sqlite3.IntegrityError):
        p.db.execute('INSERT INTO spans(article_id, start, "end", label, source, created_at) '
                     "VALUES (?, 0, 6, 'NOPE', 'human', 'x')", [aid])  # fmt: skip
    p.add_span(aid, Span(0, 13, "PERSON"))
    with pytest.raises(LabelInUseError) as info:
        p.remove_label("PERSON")
    assert info.value.spans == 1 and info.value.label == "PERSON"


def test_a_span_off_token_boundaries_is_snapped_on_every_write(tmp_path):
    p = new_project(tmp_path / "p.db")
    aid = p.add_records([ArticleRecord(text=TEXT)]).ids[0]
    p.set_status(aid, "accepted", confirm=[Span(38, 41, "GPE", "import")])  # "ari" of Paris
    assert [(s.start, s.end) for s in p.spans(aid)] == [(37, 42)]
    with pytest.raises(SpanError, match="covers no word"):
        p.add_span(aid, Span(13, 14, "PERSON"))  # a space


# ---- 6: a rename reaches imported suggestions ---------------------------------------------
def test_rename_reaches_imported_suggestions_and_keeps_the_label_map(tmp_path):
    p = new_project(tmp_path / "p.db", labels=())
    aid = p.add_records([ArticleRecord(text=TEXT, suggestions=[Span(37, 42, "LOC")])]).ids[0]
    p.rename_label("LOC", "PLACE")
    assert [s.label for s in p.cached_suggestions(aid, "import")] == ["PLACE"]
    assert p.get_setting("label_map") == {"LOC": "PLACE"}


# ---- 8: two imports at once --------------------------------------------------------------
def test_an_import_waiting_for_the_lock_deduplicates_what_was_committed_meanwhile(tmp_path):
    path = tmp_path / "p.db"
    Project(path).close()
    from annotator.core.records import input_hash

    other = sqlite3.connect(path, check_same_thread=False)  # another import's connection
    other.execute("BEGIN IMMEDIATE")
    other.execute(
        "INSERT INTO articles(id, input_hash, text, created_at) VALUES (1, ?, ?, 'x')",
        [input_hash(TEXT), TEXT],
    )
    threading.Timer(0.5, other.commit).start()
    with Project(path) as p:
        added = p.add_records([ArticleRecord(text=TEXT), ArticleRecord(text="Another one.")])
    assert added.duplicates == 1 and len(added.ids) == 1
    with Project(path) as p:
        assert p.counts()["articles"] == 2


IMPORT = """
import sys
from annotator.core.importing import import_paths
from annotator.core.project import Project
with Project(sys.argv[1]) as p:
    import_paths(p, [sys.argv[2]])
"""


def test_two_imports_started_together_into_a_new_file_both_succeed(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text("".join(f'{{"text": "Article {i} about Paris."}}\n' for i in range(3000)))
    b.write_text("".join(f'{{"text": "Article {i} about Paris."}}\n'
                         for i in range(1500, 4500)))  # fmt: skip
    for round_ in range(3):
        db = tmp_path / f"new{round_}.db"
        procs = [subprocess.Popen([sys.executable, "-c", IMPORT, str(db), str(f)],
                                  stderr=subprocess.PIPE, text=True) for f in (a, b)]  # fmt: skip
        errors = [proc.communicate(timeout=240)[1] for proc in procs]
        assert [proc.returncode for proc in procs] == [0, 0], errors
        with Project(db) as p:
            assert p.counts()["articles"] == 4500


# ---- 9: other files are refused and left byte-identical ----------------------------------------
def _other_app_db(path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO users(name) VALUES ('ana')")
    conn.commit()
    conn.close()


def test_another_programs_database_is_refused_and_left_unchanged(tmp_path):
    path = tmp_path / "prodigy.db"
    _other_app_db(path)
    before = path.read_bytes()
    with pytest.raises(NotAProjectError, match="users"):
        Project(path)
    assert path.read_bytes() == before
    assert sorted(f.name for f in tmp_path.iterdir()) == ["prodigy.db"]


def test_a_file_from_a_newer_annotator_is_refused_and_left_unchanged(tmp_path):
    path = tmp_path / "future.db"
    Project(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(NewerProjectError, match="newer version"):
        Project(path)
    assert path.read_bytes() == before


def test_project_files_are_marked_and_the_cli_refuses_others_in_one_line(tmp_path):
    path = tmp_path / "p.db"
    Project(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()
    other = tmp_path / "app.db"
    _other_app_db(other)
    before = other.read_bytes()
    r = subprocess.run([sys.executable, "-m", "annotator", "stats", "--db", str(other)],
                       capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 1 and "not an Annotator project" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert other.read_bytes() == before


def test_a_version_1_project_is_upgraded_keeping_everything(tmp_path):
    from sqlite_utils import Database

    from annotator.core.store.schema import migrations

    path = tmp_path / "old.db"
    db = Database(path)
    migrations().apply(db, stop_before="m002_label_keys")  # a file as the first version made it
    db.execute("INSERT INTO labels VALUES ('ORG', '#7aecec', '1', 0)")
    db.execute("INSERT INTO articles(id, input_hash, text, created_at) VALUES (1, 'h', ?, 'x')",
               [TEXT])  # fmt: skip
    db.execute('INSERT INTO spans(article_id, start, "end", label, source, created_at) '
               "VALUES (1, 0, 13, 'PERSON', 'human', 'x')")  # a label missing from labels
    db.execute("INSERT INTO suggestions VALUES "
               "(1, 'import', '[[37, 42, \"GPE\", \"import\"]]', 'x')")
    db.conn.commit()
    db.close()
    with Project(path) as p:
        assert [(s.start, s.label) for s in p.spans(1)] == [(0, "PERSON")]
        assert {"ORG", "PERSON", "GPE"} <= set(p.label_names())
        assert [(s.start, s.label) for s in p.cached_suggestions(1, "import")] == [(37, "GPE")]
        assert p.article(1).annotation == "complete"


def test_reading_commands_never_create_a_file(tmp_path):
    missing = tmp_path / "typo.db"
    r = subprocess.run([sys.executable, "-m", "annotator", "labels", "list", "--db",
                        str(missing)], capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 1 and "no such project file" in r.stderr
    assert not missing.exists()


# ---- 13: labels seeded in one transaction ---------------------------------------------------
def test_seeding_labels_is_all_or_nothing(tmp_path):
    p = Project(tmp_path / "p.db")
    with pytest.raises(LabelNameError):
        p.ensure_labels(["PERSON", "ORG", "BAD\nNAME", "GPE"])
    assert p.label_names() == []
    p.ensure_labels(["PERSON", "ORG", "GPE"])
    assert p.label_names() == ["PERSON", "ORG", "GPE"]


# ---- 15: the version check is part of the write ---------------------------------------------
def test_two_windows_accepting_the_same_article_store_it_once(tmp_path):
    path = tmp_path / "p.db"
    one = new_project(path)
    aid = one.add_records([ArticleRecord(text=TEXT)]).ids[0]
    two = Project(path)
    seen = one.article_version(aid)
    assert two.article_version(aid) == seen
    confirm = [Span(0, 13, "PERSON", "model"), Span(37, 42, "GPE", "model")]
    results, errors = [], []

    def accept():
        p = Project(path)  # each window has its own connection
        try:
            with p.write(expect=(aid, seen)):
                time.sleep(0.05)  # both are inside their writes as close together as can be
                results.append(p.set_status(aid, "accepted", confirm=confirm))
        except ConflictError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 1 and len(errors) == 1
    assert len(one.spans(aid)) == 2


# ---- 18: binary answers of one text merge into one partial article --------------------------
def test_binary_answers_for_one_text_become_one_partial_article(tmp_path):
    p = Project(tmp_path / "p.db")
    records = [
        ArticleRecord(text=TEXT, status="accepted", annotation="partial",
                      spans=[Span(0, 13, "PERSON")]),
        ArticleRecord(text=TEXT, status="accepted", annotation="partial",
                      rejected=[Span(37, 42, "PERSON")]),
        ArticleRecord(text=TEXT, status="accepted", annotation="partial",
                      spans=[Span(18, 33, "PERSON")]),
    ]  # fmt: skip
    added = p.add_records(records[:2])
    added2 = p.add_records(records[2:])
    assert len(added.ids) == 1 and added.merged == 1 and added2.merged == 1
    aid = added.ids[0]
    art = p.article(aid)
    assert art.annotation == "partial" and art.status == "accepted"
    assert [(s.start, s.end) for s in p.spans(aid)] == [(0, 13), (18, 33)]
    assert (37, 42, "PERSON") in p.dismissed(aid)
    p.set_status(aid, "accepted")  # reviewed whole in the window
    assert p.article(aid).annotation == "complete"


# ---- 19: label names ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["A\nFORGED\tLINE", "", "X" * 100_000, "NUL\x00"])
def test_bad_label_names_are_refused_everywhere(tmp_path, name):
    p = new_project(tmp_path / "p.db", labels=("ORG",))
    with pytest.raises(LabelNameError):
        p.add_label(name)
    with pytest.raises(LabelNameError):
        p.rename_label("ORG", name)
    added = p.add_records([ArticleRecord(text=TEXT, suggestions=[Span(0, 6, name or " ")])])
    assert added.ids == [] and "label" in added.refused[0][1]
    assert p.label_names() == ["ORG"]


# ---- 12: imported spans off token boundaries ------------------------------------------------
def test_imported_spans_are_snapped_and_reported(tmp_path):
    p = new_project(tmp_path / "p.db")
    added = p.add_records([
        ArticleRecord(text=TEXT, status="accepted", spans=[Span(1, 13, "PERSON")]),
        ArticleRecord(text=TEXT + " Again.", suggestions=[Span(38, 41, "GPE")]),
    ])  # fmt: skip
    a, b = added.ids
    assert [(s.start, s.end) for s in p.spans(a)] == [(0, 13)]
    assert [(s.start, s.end) for s in p.cached_suggestions(b, "import")] == [(37, 42)]
    assert [(i, (now.start, now.end)) for i, _, now in added.snapped] == [(0, (0, 13)),
                                                                          (1, (37, 42))]
