"""The project file: schema, labels, spans, statuses, events, conflicts."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from annotator.core.project import ConflictError, Project, ProjectError, SpanError
from annotator.core.records import ArticleRecord, Span
from annotator.core.store.schema import SCHEMA_VERSION


def add_article(project: Project, text: str, **kw) -> int:
    return project.add_records([ArticleRecord(text=text, **kw)]).ids[0]


def test_core_never_imports_qt():
    code = (
        "import sys, pkgutil, importlib, annotator.core as c\n"
        "for m in pkgutil.walk_packages(c.__path__, 'annotator.core.'):\n"
        "    importlib.import_module(m.name)\n"
        "import annotator.cli\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pragmas_and_schema(project):
    conn = project.db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    tables = set(project.db.table_names())
    assert {
        "articles",
        "labels",
        "spans",
        "suggestions",
        "dismissed",
        "events",
        "settings",
    } <= tables
    assert project.db["_sqlite_migrations"].count == SCHEMA_VERSION


def test_reopen_applies_no_migration_twice(tmp_path):
    path = tmp_path / "p.db"
    Project(path).close()
    with Project(path) as p:
        assert p.db["_sqlite_migrations"].count == SCHEMA_VERSION


def test_not_a_project_file(tmp_path):
    bad = tmp_path / "notes.db"
    bad.write_text("hello, this is not sqlite" * 100)
    with pytest.raises(ProjectError, match="not an Annotator project"):
        Project(bad)
    with pytest.raises(ProjectError, match="no such project"):
        Project(tmp_path / "missing.db", create=False)


def test_labels_defaults_keys_colours(project):
    project.add_label("PERSON")
    project.add_label("FASHION_BRAND")
    labs = project.labels()
    assert [(lab.name, lab.key) for lab in labs] == [("PERSON", "1"), ("FASHION_BRAND", "2")]
    assert labs[0].colour == "#aa9cfc"  # displaCy's
    with pytest.raises(ProjectError, match="exists"):
        project.add_label("PERSON")
    with pytest.raises(ProjectError, match="not a colour"):
        project.update_label("PERSON", colour="red")
    assert project.update_label("PERSON", colour="#123456").colour == "#123456"
    with pytest.raises(ProjectError, match="taken"):
        project.update_label("PERSON", key="2")


def test_spans_add_update_delete_and_events(project):
    project.add_label("PERSON")
    project.add_label("ORG")
    aid = add_article(project, "Vladimir Putin met NATO.")
    v0 = project.article_version(aid)
    sid = project.add_span(aid, Span(0, 14, "PERSON"), annotator="ann")
    assert project.article_version(aid) == v0 + 1
    with pytest.raises(ProjectError, match="overlaps"):
        project.add_span(aid, Span(9, 18, "ORG"))
    with pytest.raises(ProjectError, match="outside"):
        project.add_span(aid, Span(20, 99, "ORG"))
    with pytest.raises(ProjectError, match="no label"):
        project.add_span(aid, Span(19, 23, "GPE"))
    old = project.update_span(sid, label="ORG", annotator="ann")
    assert old.label == "PERSON"
    assert project.spans(aid)[0].label == "ORG"
    project.restore_span(old)
    assert project.spans(aid)[0].label == "PERSON"
    gone = project.delete_span(sid, annotator="ann")
    assert project.spans(aid) == []
    assert (gone.start, gone.end, gone.label) in project.dismissed(aid)
    actions = [e["action"] for e in project.events(aid)]
    assert actions == ["span_add", "span_update", "span_restore", "span_delete"]
    assert project.events(aid)[0]["annotator"] == "ann"


def test_conflict_detected_between_two_connections(tmp_path):
    path = tmp_path / "shared.db"
    a, b = Project(path), Project(path)
    a.add_label("ORG")
    aid = add_article(a, "Reuters reports.")
    seen = b.article_version(aid)
    a.add_span(aid, Span(0, 7, "ORG"))
    with pytest.raises(ConflictError):
        b.add_span(aid, Span(0, 7, "ORG"), expected_version=seen)
    assert len(b.spans(aid)) == 1  # b sees a's change at once
    a.close()
    b.close()


def test_accept_confirms_suggestions_atomically_and_undo(project):
    project.add_label("ORG")
    aid = add_article(project, "Reuters and AP.")
    result = project.set_status(
        aid, "accepted", "ann", confirm=[Span(0, 7, "ORG", "model"), Span(12, 14, "ORG", "pattern")]
    )
    art = project.article(aid)
    assert art.status == "accepted" and art.status_by == "ann" and art.status_at
    assert [(s.label, s.source) for s in project.spans(aid)] == [
        ("ORG", "model"),
        ("ORG", "pattern"),
    ]
    assert project.stats()["spans"] == 2
    project.undo_status(result)
    assert project.article(aid).status == "pending"
    assert project.spans(aid) == []


def test_failed_transaction_leaves_nothing(project):
    project.add_label("ORG")
    aid = add_article(project, "Reuters.")
    with pytest.raises(SpanError):  # refused by the validated span path, before SQLite
        project.set_status(aid, "accepted", confirm=[Span(5, 2, "ORG")])
    assert project.article(aid).status == "pending"
    assert project.spans(aid) == []


def test_stats_and_search(project):
    project.add_label("ORG")
    a = add_article(project, "Reuters reports from Kyiv.", title="Kyiv")
    b = add_article(project, "Nothing here about <b>markup</b>.")
    project.set_status(a, "accepted", confirm=[Span(0, 7, "ORG")])
    project.set_status(b, "skipped")
    assert project.stats() == {
        "articles": 2, "pending": 0, "accepted": 1, "rejected": 0, "skipped": 1,
        "spans": 1, "labels": {"ORG": 1},
    }  # fmt: skip
    assert project.article_ids(search="kyi") == [a]
    assert project.article_ids(search='"; DROP TABLE') == []
    assert project.article_ids(status="skipped") == [b]


def test_suggestion_cache(project):
    aid = add_article(project, "Reuters.")
    assert project.cached_suggestions(aid, "fp1") is None
    assert list(project.uncached_article_ids("fp1")) == [aid]
    project.cache_suggestions([(aid, "fp1", [Span(0, 7, "ORG", "model")])])
    assert project.cached_suggestions(aid, "fp1") == [Span(0, 7, "ORG", "model")]
    assert list(project.uncached_article_ids("fp1")) == []


def test_settings_roundtrip(project):
    project.set_setting("label_map", {"LOC": "GPE"})
    assert project.get_setting("label_map") == {"LOC": "GPE"}
    assert json.loads(project.db.execute("SELECT value FROM settings").fetchone()[0])


def test_write_takes_the_lock_before_reading(tmp_path):
    """A read-then-write transaction must not fail when another connection writes in
    between (SQLITE_BUSY_SNAPSHOT): the other one waits instead."""
    import threading
    import time

    path = tmp_path / "race.db"
    a = Project(path)
    a.add_label("ORG")
    aid = a.add_records([ArticleRecord(text="Reuters and AP.")]).ids[0]
    errors = []

    def other_window():
        with Project(path) as b:
            try:
                b.add_span(aid, Span(12, 14, "ORG"))
            except Exception as exc:  # noqa: BLE001 - recorded for the assert
                errors.append(exc)

    with a.write():
        a.article_version(aid)  # a read inside the transaction
        thread = threading.Thread(target=other_window)
        thread.start()
        time.sleep(0.3)  # the other connection tries to write now
        a.add_span(aid, Span(0, 7, "ORG"))
    thread.join()
    assert errors == []
    assert [(s.start, s.end) for s in a.spans(aid)] == [(0, 7), (12, 14)]
    a.close()


def test_rename_label_everywhere(project):
    project.add_label("PERSON")
    aid = project.add_records([ArticleRecord(text="Vladimir Putin spoke.")]).ids[0]
    project.add_span(aid, Span(0, 14, "PERSON"))
    project.dismiss(aid, Span(9, 14, "PERSON", "model"))
    project.set_setting("label_map", {"PER": "PERSON"})
    v = project.article_version(aid)
    assert project.rename_label("PERSON", "PER_NAME") == 1
    assert project.label_names() == ["PER_NAME"] and project.labels()[0].key == "1"
    assert [s.label for s in project.spans(aid)] == ["PER_NAME"]
    assert project.dismissed(aid) == {(9, 14, "PER_NAME")}
    assert project.get_setting("label_map") == {"PER": "PER_NAME", "PERSON": "PER_NAME"}
    assert project.article_version(aid) > v
    assert project.events()[-1]["action"] == "label_rename"
    project.add_label("ORG")
    with pytest.raises(ProjectError, match="exists"):
        project.rename_label("ORG", "PER_NAME")
    with pytest.raises(ProjectError, match="no label"):
        project.rename_label("NOPE", "X")


def test_warns_when_write_ahead_logging_is_unavailable(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with Project(":memory:") as p:  # SQLite keeps journal_mode=memory there, as on some shares
        assert not p.wal and "network drive" in p.warning
    with Project(tmp_path / "local.db") as p:
        assert p.wal and p.warning is None
