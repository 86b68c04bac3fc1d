"""Searching in the window: never on the UI thread, right once the index is built."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

from annotator.core.project import Project
from annotator.core.records import ArticleRecord
from annotator.gui.queue_panel import PLACEHOLDER


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


def unindexed(path) -> int:
    with Project(path) as p:
        return p.articles.unindexed()


def search(qtbot, win, text: str) -> None:
    qtbot.keyClicks(win.search, text)
    win.apply_filter()


def test_the_index_is_complete_after_a_cli_import_while_a_window_is_open(
        qtbot, make_window, project_path, tmp_path):  # fmt: skip
    win = make_window(project_path, article=1)
    # the fixture's articles were stored without indexing: the window indexes them
    qtbot.waitUntil(lambda: unindexed(project_path) == 0)
    qtbot.waitUntil(lambda: win.search.placeholderText() == PLACEHOLDER)
    src = tmp_path / "new.jsonl"
    write_jsonl(src, 2500)
    out = subprocess.run(
        [sys.executable, "-m", "annotator", "import", str(src), "--db", str(project_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    with Project(project_path) as other:  # and some stored unindexed, as an older version did
        other.add_records([ArticleRecord(text=f"Gothenburg harbour news {i}.") for i in range(40)])
    win.refresh_from_disk()  # what the window's timer does
    search(qtbot, win, "gothenburg")
    want = expected(project_path, "gothenburg")
    assert len(want) > 40
    qtbot.waitUntil(lambda: not win.queue_model.searching and win.queue_model.ids == want)
    assert index_is_complete(project_path)


def test_a_search_typed_while_the_index_is_built_is_right_when_it_is_done(
        qtbot, make_window, project_path):  # fmt: skip
    with Project(project_path) as p:  # 12,000 articles not yet in the index
        p.add_records([ArticleRecord(text=f"Story {i} about Volvo"
                                      + (" and Gothenburg." if i % 5 == 0 else "."))
                       for i in range(12_000)])  # fmt: skip
    lock = sqlite3.connect(project_path, isolation_level=None)
    try:
        lock.execute("BEGIN IMMEDIATE")  # another program writing: indexing has to wait
        win = make_window(project_path, article=1)
        sent = []  # what the search thread sends: the first page, then all the results
        win.side.searcher.found.connect(lambda token, ids, complete: sent.append(
            (len(ids), complete)))  # fmt: skip
        qtbot.waitUntil(lambda: win.search.placeholderText().startswith("Indexing 12,00"))
        search(qtbot, win, "gothenb")
        assert win.queue_model.searching  # the window is not frozen, the results not yet in
        assert win.search.text() == "gothenb"
    finally:
        lock.execute("COMMIT")
        lock.close()
    want = expected(project_path, "gothenburg")
    assert len(want) == 2400
    qtbot.waitUntil(lambda: not win.queue_model.searching, timeout=30_000)
    assert win.queue_model.ids == want
    assert sent[-2:] == [(256, False), (2400, True)]
    assert win.side.result_note.text() == "2,400 results" and win.side.result_note.isVisible()
    qtbot.waitUntil(lambda: win.search.placeholderText() == PLACEHOLDER)
    assert index_is_complete(project_path)


def test_return_opens_the_first_result_when_it_comes(qtbot, make_window, project_path):
    win = make_window(project_path, article=1)
    search(qtbot, win, "geneva")
    win.side._search_return()
    qtbot.waitUntil(lambda: win.current_id == 3)
    assert win.queue_model.ids == [3]


def test_opening_another_project_clears_the_search(qtbot, make_window, project_path, tmp_path):
    """The search typed in one project would list nothing in the next, unexplained: opening
    a project starts with no search, and its whole queue."""
    win = make_window(project_path, article=1)
    qtbot.waitUntil(lambda: unindexed(project_path) == 0)
    search(qtbot, win, "Merkel")
    qtbot.waitUntil(lambda: not win.queue_model.searching and list(win.queue_model.ids) == [1])
    assert win.side.result_note.text() == "1 result"
    other = tmp_path / "other.annotator.db"
    with Project(other) as p:
        p.add_records([ArticleRecord(text=f"Another story, number {i}.") for i in range(3)])
    assert win.open_project(other)
    assert win.search.text() == "" and win.queue_model.search == ""
    assert not win.side.result_note.isVisible()
    qtbot.waitUntil(lambda: list(win.queue_model.ids) == [1, 2, 3])
    qtbot.wait(400)  # longer than the search box's debounce: nothing re-filters it
    assert list(win.queue_model.ids) == [1, 2, 3] and win.search.text() == ""


def test_search_hits_are_highlighted_in_the_article_and_brought_into_view(
        qtbot, make_window, tmp_path):  # fmt: skip
    path = tmp_path / "long.annotator.db"
    filler = " ".join(f"Paragraph {i} talks about ports and ships." for i in range(400))
    text = filler + "\n\nAt the end, the mayor of Gothenburg spoke. GOTHENBURG agreed."
    with Project(path) as p:
        p.add_records([ArticleRecord(text="A short story about Oslo."), ArticleRecord(text=text)])
    win = make_window(path, article=1)
    qtbot.waitUntil(lambda: unindexed(path) == 0)
    assert win.view.marks() == []
    search(qtbot, win, "gothenb")
    win.side._search_return()  # Return: the first result opens
    qtbot.waitUntil(lambda: win.current_id == 2)
    hits = win.view.marks()
    assert [text[a:b] for a, b in hits] == ["Gothenb", "GOTHENB"]
    # the first hit is far down the article: scrolled into view, the cursor left alone
    assert win.view.verticalScrollBar().value() > 0
    assert win.view.cursor_offset() == 0
    grab = win.view.viewport().grab()  # painted (and seen: the marker is drawn)
    assert not grab.isNull()
    win.search.clear()
    win.apply_filter()
    assert win.view.marks() == []
