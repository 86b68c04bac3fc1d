"""Reading never depends on writing: a project this process may not write (read-only
folder, file, disk) is read, recognised as ours, suggested for, and never written; a full
disk or a lock held too long never stops suggestions either. Each of the service's writes
that fails says so once ("not saved"), the suggestions still come.

Read-only for real, as root too: see tests/read_only_places.py (chmod as a normal user, a
read-only bind mount as root, nobody in a child process where mounting is not allowed).
A full disk for real: SQLite's own `PRAGMA max_page_count`, its tables filled to the brim.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from read_only_places import ReadOnlyPlace, digest
from sqlite_utils import Database

from annotator.core.project import Project, ProjectError, StorageError
from annotator.core.records import Span
from annotator.core.store.schema import migrations
from annotator.core.suggest.service import SuggestionService

NAME = "news.annotator.db"
TEXTS = [
    "Reuters reported that Angela Merkel met Emmanuel Macron.",
    "Apple opened an office in London.",
    "Reuters wrote it.",
]
PATTERNS = [("ORG", "Reuters"), ("ORG", "Apple"), ("PERSON", "Angela Merkel")]
EXPECTED = {1: [(0, 7, "ORG"), (22, 35, "PERSON")], 2: [(0, 5, "ORG")]}

MAKE = """
import os, sys
from annotator.core.project import Project
from annotator.core.records import ArticleRecord, Span
folder, leave_wal = sys.argv[1], sys.argv[2] == "1"
texts = sys.argv[3].split("|")
p = Project(os.path.join(folder, "{name}"))
p.ensure_labels(["ORG", "PERSON"])
p.set_setting("model", "")
p.set_setting("patterns", os.path.join(folder, "patterns.jsonl"))
ids = p.add_records([ArticleRecord(text=t, title=f"t{{i}}") for i, t in enumerate(texts)]).ids
p.set_status(ids[2], "accepted", confirm=[Span(0, 7, "ORG")])
p.set_setting("last_write", "in the wal")
if leave_wal:
    os._exit(0)  # like a crash: the last commits stay in the -wal file, the -shm beside it
p.close()
"""


def make_project(folder: Path, leave_wal: bool = False) -> Path:
    """A project (patterns, no model; article 3 accepted), made in a child process; with
    `leave_wal` the child exits without closing, leaving -wal and -shm with its last
    commits, as a crash or a copy taken while it was open would."""
    (folder / "patterns.jsonl").write_text(
        "".join(json.dumps({"label": lab, "pattern": pat}) + "\n" for lab, pat in PATTERNS))
    done = subprocess.run([sys.executable, "-c", MAKE.format(name=NAME), str(folder),
                           "1" if leave_wal else "0", "|".join(TEXTS)],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    wal = folder / f"{NAME}-wal"
    assert (wal.exists() and wal.stat().st_size > 0) == leave_wal
    return folder / NAME


def cli(*args) -> subprocess.CompletedProcess:
    """The command line as this test's own user (setting up, where it may write)."""
    return subprocess.run([sys.executable, "-m", "annotator", *map(str, args)],
                          capture_output=True, text=True)  # fmt: skip


def spans(found) -> list[tuple]:
    return [(s.start, s.end, s.label) for s in found]


@pytest.fixture
def place(tmp_path):
    p = ReadOnlyPlace(tmp_path)
    yield p
    p.cleanup()


# ---- opening --------------------------------------------------------------------------------
@pytest.mark.parametrize("leave_wal", [False, True], ids=["closed", "with-wal-and-shm"])
def test_a_project_in_a_read_only_folder_is_read_and_never_written(place, leave_wal):
    make_project(place.work, leave_wal)
    before = digest(place.work)
    with place as view, Project(view / NAME, create=False) as p:
        assert p.read_only
        assert str(view / NAME) in p.warning and "read-only" in p.warning
        assert "nothing can be saved" in p.warning and "\n" not in p.warning
        assert p.counts()["articles"] == 3 and p.counts()["accepted"] == 1
        assert spans(p.spans(3)) == [(0, 7, "ORG")]
        assert p.get_setting("last_write") == "in the wal"  # the -wal's commits are read
        assert p.label_names() == ["ORG", "PERSON"]
        for write in (lambda: p.set_setting("x", 1), lambda: p.add_label("GPE"),
                      lambda: p.set_status(1, "rejected")):  # fmt: skip
            with pytest.raises(StorageError, match=f"^{NAME} is read-only here: nothing can "
                               "be saved to it$"):  # fmt: skip
                write()
        assert p.counts()["rejected"] == 0
    assert digest(place.work) == before


def test_a_read_only_file_in_a_writable_folder_opens_read_only(tmp_path):
    place = ReadOnlyPlace(tmp_path, file_only=NAME)
    make_project(place.work)
    before = digest(place.work)[NAME]
    with place as view, Project(view / NAME, create=False) as p:
        assert p.read_only and "read-only" in p.warning
        assert p.counts()["articles"] == 3
        with pytest.raises(StorageError, match="read-only here"):
            p.set_status(1, "skipped")
    assert digest(place.work)[NAME] == before
    place.cleanup()


def test_an_older_project_that_is_read_only_is_left_alone_in_one_line(place):
    path = place.work / "old.db"
    db = Database(path)
    migrations().apply(db, stop_before="m002_label_keys")  # a file as the first version made it
    db.execute("INSERT INTO articles(id, input_hash, text, created_at) VALUES (1, 'h', ?, 'x')",
               [TEXTS[0]])  # fmt: skip
    db.conn.commit()
    db.close()
    before = digest(place.work)
    with place as view:
        with pytest.raises(ProjectError) as caught:
            Project(view / "old.db", create=False)
        done = place.run("stats", "--db", str(view / "old.db"))
    message = str(caught.value)
    assert "older version" in message and "read-only" in message and "\n" not in message
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "older version" in done.stderr
    assert digest(place.work) == before  # not upgraded, not touched


# ---- suggestions ------------------------------------------------------------------------------
def test_suggestions_on_a_read_only_project_are_shown_and_not_saved(place):
    make_project(place.work)
    before = digest(place.work)
    with place as view, Project(view / NAME, create=False) as p:
        service = SuggestionService.from_project(p)
        service.load(p)
        assert service.state == "ready"
        assert "not saved" in service.unsaved and "read-only" in service.unsaved
        assert service.message.startswith(service.unsaved)
        assert spans(service.compute(p, 1)) == EXPECTED[1]
        assert not p.has_cached_suggestions(1, service.fingerprint)
        service.prefetch(p, [2])  # computed once, kept in memory: nothing to compute again
        assert service.has_machine(p, 2)
        assert spans(service.cached(p, 2)) == EXPECTED[2]
    assert digest(place.work) == before


def fill_to_the_brim(p: Project) -> None:
    """A full disk, for real, the way SQLite sees one: the file may not grow by a page
    (`max_page_count` at its current size) and the tables the service writes to are
    filled until not one more row fits."""
    conn = p.store.conn
    conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
    n = 0
    for sql in ("INSERT INTO settings(key, value) VALUES (?, ?)",
                "INSERT INTO suggestions(article_id, fingerprint, spans, created_at) "
                "VALUES (1, ?, ?, 'x')"):  # fmt: skip
        for size in (2000, 400, 80, 16, 1):
            while True:
                try:
                    with p.write():
                        conn.execute(sql, [f"~fill {n}", json.dumps("x" * size)])
                except StorageError:
                    break
                n += 1


def test_a_full_disk_never_stops_suggestions(tmp_path):
    path = make_project(tmp_path)
    with Project(path) as p:
        fill_to_the_brim(p)
        with pytest.raises(StorageError, match="is full"):  # writes like the service's fail
            p.set_setting("last_fingerprint", "f" * 64)
        with pytest.raises(StorageError, match="is full"):
            p.cache_suggestions([(2, "f" * 64, [Span(0, 5, "ORG", "pattern")])])
        service = SuggestionService.from_project(p)
        service.load(p)
        assert service.state == "ready"
        assert "not saved" in service.unsaved and "full" in service.unsaved
        assert spans(service.compute(p, 1)) == EXPECTED[1]
        service.prefetch(p, [2])
        assert spans(service.cached(p, 2)) == EXPECTED[2]
        assert not p.has_cached_suggestions(1, service.fingerprint)


def test_a_lock_held_too_long_never_stops_suggestions_and_saving_resumes(tmp_path):
    path = make_project(tmp_path)
    other = sqlite3.connect(path, isolation_level=None)
    with Project(path) as p:
        p.store.conn.execute("PRAGMA busy_timeout = 100")
        other.execute("BEGIN IMMEDIATE")  # another program writing for a long time
        service = SuggestionService.from_project(p)
        service.load(p)
        assert service.state == "ready" and "busy" in service.unsaved
        assert spans(service.compute(p, 1)) == EXPECTED[1]
        other.execute("ROLLBACK")
        assert spans(service.compute(p, 2)) == EXPECTED[2]  # saved again: the note goes
        assert service.unsaved is None
        assert p.has_cached_suggestions(2, service.fingerprint)
    other.close()


# ---- the command line -------------------------------------------------------------------------
@pytest.mark.parametrize("leave_wal", [False, True], ids=["closed", "with-wal-and-shm"])
def test_the_cli_reads_a_read_only_project_and_refuses_writes_in_one_line(tmp_path, leave_wal):
    place = ReadOnlyPlace(tmp_path, in_process=False)
    make_project(place.work, leave_wal)
    before = digest(place.work)
    with place as view:
        db = str(view / NAME)
        stats = place.run("stats", "--db", db)
        suggest = place.run("suggest", "--db", db)
        add = place.run("labels", "add", "GPE", "--db", db)
    place.cleanup()
    assert stats.returncode == 0, stats.stderr
    assert "3 articles: 2 pending, 1 accepted" in stats.stdout
    assert stats.stderr.splitlines() == [f"annotator: warning: {db} is read-only here: you can "
                                         "read it and see suggestions, but nothing can be saved "
                                         "(copy it somewhere you can write to)"]  # fmt: skip
    assert suggest.returncode == 1
    assert suggest.stderr.splitlines() == [
        f"annotator: error: {NAME} is read-only here: suggestions would be computed but could "
        "not be saved, so nothing was done (the window and export compute them as needed; to "
        "cache them, copy the file somewhere you can write to)"]  # fmt: skip
    assert add.returncode == 1 and "Traceback" not in add.stderr
    assert add.stderr.splitlines()[-1] == (f"annotator: error: {NAME} is read-only here: "
                                           "nothing can be saved to it")  # fmt: skip
    assert digest(place.work) == before


@pytest.mark.parametrize("leave_wal", [False, True], ids=["closed", "with-wal-and-shm"])
def test_the_cli_exports_a_read_only_project(tmp_path, leave_wal):
    place = ReadOnlyPlace(tmp_path, in_process=False)
    make_project(place.work, leave_wal)
    out = place.writable_folder() / "tasks.jsonl"
    before = digest(place.work)
    with place as view:
        done = place.run("export", "--db", str(view / NAME), "--out", str(out), "--format",
                         "jsonl", "--status", "accepted", "--status", "pending")  # fmt: skip
    place.cleanup()
    assert "Traceback" not in done.stderr
    assert digest(place.work) == before
    assert done.returncode == 0, done.stderr
    assert "cannot remember writing tasks.jsonl" in done.stderr  # said, not silently
    tasks = [json.loads(line) for line in out.read_text().splitlines()]
    pending = {t["text"]: [(s["start"], s["end"], s["label"]) for s in t.get("spans", [])]
               for t in tasks if t["text"] != TEXTS[2]}  # fmt: skip
    assert pending == {TEXTS[0]: EXPECTED[1], TEXTS[1]: EXPECTED[2]}  # computed, not cached


def test_team_commands_read_annotators_files_and_pools_in_read_only_folders(tmp_path):
    """Annotators' files on a read-only share: merged, split from, agreement read; never
    "unable to open database file"."""
    place = ReadOnlyPlace(tmp_path, in_process=False)
    pool = make_project(place.work)
    done = cli("split", "--db", pool, "--annotators", "alice,bob", "--out",
               place.work / "team", "--overlap", "1")  # fmt: skip
    assert done.returncode == 0, done.stderr
    for name, label in (("alice", "ORG"), ("bob", "PERSON")):
        with Project(place.work / "team" / f"{name}.annotator.db") as p:
            aid = p.article_ids()[0]
            p.set_status(aid, "accepted", confirm=[Span(0, 7, label)], annotator=name)
    files = [f"team/{n}.annotator.db" for n in ("alice", "bob")]
    done = cli("merge", "--db", place.work / "team.db", *(place.work / f for f in files))
    assert done.returncode == 0, done.stderr
    for path in [*place.work.glob("*.db"), *place.work.glob("team/*.db")]:
        Project(path).close()  # the last connection, a writing one: no -wal, no -shm left
    assert not [*place.work.glob("**/*-wal"), *place.work.glob("**/*-shm")]
    out = place.writable_folder()
    before = digest(place.work)
    with place as view:
        merged = place.run("merge", "--db", str(out / "team.db"), *(str(view / f) for f in files))
        split = place.run("split", "--db", str(view / NAME), "--annotators", "carol,dan",
                          "--out", str(out / "split"))  # fmt: skip
        agreement = place.run("agreement", "--db", str(view / "team.db"), "--json")
    place.cleanup()
    assert merged.returncode == 0, merged.stderr
    assert "2 versions added" in merged.stderr
    assert split.returncode == 0, split.stderr
    assert agreement.returncode == 0, agreement.stderr
    assert json.loads(agreement.stdout)["overlap_articles"] == 1
    assert digest(place.work) == before


def test_a_read_only_project_finds_what_its_search_index_is_missing(place):
    """The index cannot be brought up to date in a read-only project: what it is missing
    is searched as text, words compared as the index compares them."""
    from annotator.core.records import ArticleRecord

    path = place.work / "s.annotator.db"
    with Project(path) as p:
        p.add_records([ArticleRecord(text="Kyïv is calm."), ArticleRecord(text="Paris too.")])
        p.ensure_search_index()
        p.add_records([ArticleRecord(text="Officials in KYIV met."),
                       ArticleRecord(text="Nothing here.")])  # fmt: skip
        assert p.articles.unindexed() == 2
    before = digest(place.work)
    with place as view, Project(view / "s.annotator.db", create=False) as p:
        assert p.read_only
        assert p.article_ids(search="kyiv") == [1, 3]  # indexed, and read as text
        assert p.article_ids(search="kyi calm") == [1]
        assert p.articles.ids(search="offic", catch_up=False) == [3]
    assert digest(place.work) == before
