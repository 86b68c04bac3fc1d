"""The queue at any size: counts kept by triggers, rows read a page at a time, every filter
and sort equal to the plain query, rows found for any article."""

from __future__ import annotations

import random
import sqlite3

import pytest

from annotator.core.project import Project
from annotator.core.records import STATUSES, ArticleRecord
from annotator.core.store.queue import PAGE

N = 3 * PAGE + 37  # several pages and a partial one


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """N articles with random statuses and flags, decided through the project's API."""
    path = tmp_path_factory.mktemp("queue") / "q.db"
    rng = random.Random(7)
    with Project(path) as p:
        p.add_records([ArticleRecord(text=f"Article number {i}.") for i in range(N)])
        for aid in p.article_ids():
            status = rng.choice(STATUSES)
            if status != "pending":
                p.set_status(aid, status)
            if rng.random() < 0.1:
                p.flag(aid, True, "later")
    return path


def plain(path, status=None, flagged=False, sort="id", descending=False) -> list[int]:
    """The same list by one plain query."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT id, status, flagged FROM articles").fetchall()
    rows = [r for r in rows if (status is None or r[1] == status) and (not flagged or r[2])]
    key = (lambda r: r[0]) if sort == "id" else (lambda r: (r[1], r[0]))
    return [r[0] for r in sorted(rows, key=key, reverse=descending)]


@pytest.mark.parametrize("status", [None, *STATUSES])
@pytest.mark.parametrize("flagged", [False, True])
@pytest.mark.parametrize("sort", ["id", "status"])
@pytest.mark.parametrize("descending", [False, True])
def test_every_filter_and_sort_equals_the_plain_query(mixed, status, flagged, sort, descending):
    want = plain(mixed, status, flagged, sort, descending)
    with Project(mixed) as p:
        rows = p.queue(status, flagged, sort, descending)
        assert len(rows) == len(want)
        assert [rows[i] for i in range(len(rows))] == want
        fresh = p.queue(status, flagged, sort, descending)  # rows found before any page is read
        assert [fresh.row_of(aid) for aid in want[::7]] == list(range(0, len(want), 7))
        outside = set(range(1, N + 1)) - set(want)
        assert all(fresh.row_of(aid) is None for aid in list(outside)[:50])
        assert fresh.row_of(N + 10) is None and fresh.id_at(len(want)) is None


def test_counts_follow_imports_decisions_and_flags_from_other_connections(tmp_path):
    path = tmp_path / "c.db"
    with Project(path) as window, Project(path) as cli:
        cli.add_records([ArticleRecord(text=f"Story {i}.") for i in range(10)])
        cli.set_status(1, "accepted")
        cli.set_status(2, "rejected")
        window.set_status(3, "skipped")
        window.set_status(1, "pending")  # back
        window.flag(4, True)
        window.flag(4, True, "again")  # flagged once, counted once
        cli.flag(5, True)
        cli.flag(5, False)
        want = {"pending": 8, "accepted": 0, "rejected": 1, "skipped": 1, "articles": 10,
                "flagged": 1}  # fmt: skip
        assert window.counts() == cli.counts() == want
        assert len(window.queue("pending")) == 8 and len(window.queue(flagged=True)) == 1


def test_an_older_file_gets_its_counts_when_upgraded(tmp_path):
    from sqlite_utils import Database

    from annotator.core.store.schema import migrations

    path = tmp_path / "v5.db"
    db = Database(path)
    migrations().apply(db, stop_before="m006_article_counts")
    db.execute("PRAGMA application_id = 1095650895")
    db.execute("PRAGMA user_version = 5")
    for i, status in enumerate(["pending", "accepted", "accepted", "skipped"], start=1):
        db.execute("INSERT INTO articles(id, input_hash, text, status, created_at, flagged) "
                   "VALUES (?, ?, ?, ?, 'x', ?)",
                   [i, f"h{i}", f"Text {i}.", status, i % 2])  # fmt: skip
    db.conn.commit()
    db.close()
    with Project(path) as p:
        assert p.counts() == {"pending": 1, "accepted": 2, "rejected": 0, "skipped": 1,
                              "articles": 4, "flagged": 2}  # fmt: skip


def test_ids_with_gaps_left_by_another_tool_are_listed_right(tmp_path):
    path = tmp_path / "g.db"
    with Project(path) as p:
        p.add_records([ArticleRecord(text=f"Story {i}.") for i in range(PAGE + 20)])
    with sqlite3.connect(path) as conn:  # another tool removes some articles
        conn.execute("DELETE FROM articles WHERE id IN (3, 100, 200)")
    with Project(path) as p:
        want = plain(path)
        rows = p.queue()
        assert list(rows) == want and len(rows) == PAGE + 17
        assert rows.row_of(4) == 2 and rows.row_of(3) is None
        assert p.counts()["articles"] == PAGE + 17
