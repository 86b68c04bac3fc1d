"""The full-text index is kept current by imports, and caught up from any connection."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading

import pytest

from annotator.core.importing import BATCH, import_paths
from annotator.core.project import Project
from annotator.core.records import ArticleRecord


def write_jsonl(path, n: int, word: str = "Gothenburg", start: int = 0) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i in range(start, start + n):
            extra = f" {word}" if i % 7 == 0 else ""
            f.write(json.dumps({"text": f"Story {i} about cars and ports{extra}."}) + "\n")


def index_is_complete(path) -> bool:
    """Nothing left to index, and FTS5's own check of the index against the articles."""
    conn = sqlite3.connect(path)
    try:
        left = conn.execute(
            "SELECT count(*) FROM articles WHERE id > (SELECT indexed_upto FROM search_index_state)"
        ).fetchone()[0]
        conn.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")
        return left == 0
    finally:
        conn.close()


def expected(path, word: str) -> list[int]:
    with Project(path) as p:
        return [a.id for a in p.iter_articles() if word.lower() in a.text.lower()]


def test_an_import_indexes_each_batch(tmp_path):
    src, db = tmp_path / "a.jsonl", tmp_path / "p.annotator.db"
    write_jsonl(src, 2 * BATCH + 123)
    with Project(db) as p:
        report = import_paths(p, [src])
        assert report.imported == 2 * BATCH + 123
        assert p.articles.unindexed() == 0
        assert p.articles.ids(search="gothenb", catch_up=False) == expected(db, "gothenburg")
    assert index_is_complete(db)


def test_an_import_never_leaves_the_index_further_behind(tmp_path):
    db, src = tmp_path / "p.annotator.db", tmp_path / "a.jsonl"
    with Project(db) as p:  # articles stored without indexing (as an older version did)
        p.add_records([ArticleRecord(text=f"Old story {i}.") for i in range(100)])
        assert p.articles.unindexed() == 100
        write_jsonl(src, 10)
        import_paths(p, [src])
        assert p.articles.unindexed() == 100  # the 10 oldest were indexed, not the new ones
        assert p.ensure_search_index() == 100
        assert p.articles.unindexed() == 0
    assert index_is_complete(db)


def test_a_limited_catch_up_stops_after_its_limit(tmp_path):
    db = tmp_path / "p.annotator.db"
    with Project(db) as p:
        p.add_records([ArticleRecord(text=f"Story {i}.") for i in range(50)])
        assert p.articles.ensure_search_index(chunk=7, limit=20) == 20
        assert p.articles.unindexed() == 30
        assert p.articles.ensure_search_index(chunk=7) == 30
    assert index_is_complete(db)


def test_catching_up_from_another_connection_during_an_import(tmp_path):
    """A window's worker and an import index at once: each article indexed exactly once."""
    db, src = tmp_path / "p.annotator.db", tmp_path / "a.jsonl"
    with Project(db) as p:
        p.add_records([ArticleRecord(text=f"Old story {i} Gothenburg.") for i in range(3000)])
    write_jsonl(src, 3 * BATCH)
    done = threading.Event()
    indexed = []

    def catch_up():
        with Project(db) as other:
            while not done.is_set():
                indexed.append(other.articles.ensure_search_index(chunk=500))

    thread = threading.Thread(target=catch_up)
    thread.start()
    try:
        with Project(db) as p:
            import_paths(p, [src])
    finally:
        done.set()
        thread.join()
    with Project(db) as p:
        p.ensure_search_index()
        assert p.article_ids(search="gothenburg") == expected(db, "gothenburg")
    assert index_is_complete(db)


def test_the_index_is_complete_after_a_cli_import(tmp_path):
    db, src = tmp_path / "p.annotator.db", tmp_path / "a.jsonl"
    write_jsonl(src, BATCH + 10)
    out = subprocess.run([sys.executable, "-m", "annotator", "import", str(src), "--db", str(db)],
                         capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert index_is_complete(db)


def test_an_incomplete_index_fails_the_check(tmp_path):
    """The check above does notice missing articles."""
    db = tmp_path / "p.annotator.db"
    with Project(db) as p:
        p.add_records([ArticleRecord(text="Volvo builds cars.")])
    with pytest.raises(sqlite3.DatabaseError):
        index_is_complete(db)


@pytest.mark.parametrize("query", ["minis", "minister", "ministers talk", "Kyi", "story 1",
                                   "cafés", "é", "nothing here", "!!", "Q", "12"])
def test_the_fast_search_finds_exactly_what_the_prefix_search_finds(tmp_path, query):
    """Prefix words are written as the OR of their indexed completions (fast in id order);
    the results must be those of the plain prefix query, first page and all."""
    import sqlite3

    from annotator.core.project import Project, fts_query
    from annotator.core.records import ArticleRecord

    words = ["minister", "ministers", "ministry", "talks", "talking", "Kyiv", "Kyiv's", "café",
             "cafés", "story", "12", "120", "1200", "quiet", "Québec"]  # fmt: skip
    path = tmp_path / "s.db"
    with Project(path) as p:
        p.add_records([ArticleRecord(text=f"Story {i}: " + " ".join(
            words[(i * 7 + k) % len(words)] for k in range(i % 5 + 1)))
            for i in range(300)])  # fmt: skip
        p.ensure_search_index()
        got_all = p.articles.ids(search=query, catch_up=False)
        got_first = p.articles.ids(search=query, catch_up=False, limit=10)
        got_pending = p.articles.ids("pending", query, catch_up=False, sort="status",
                                     descending=True)  # fmt: skip
    with sqlite3.connect(path) as conn:
        want = [r[0] for r in conn.execute(
            "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rowid",
            [fts_query(query)])]  # fmt: skip
    assert got_all == want and got_first == want[:10]
    assert got_pending == want[::-1]
