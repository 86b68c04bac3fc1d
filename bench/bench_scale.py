"""A large project against a 10-article one, same run: import, search index, search, counts.

Prints JSON. Usage: uv run python bench/bench_scale.py [--articles 200000 | --million]

- import_s: annotator.core.importing.import_paths of a JSONL of N ~60-word articles (the
  import keeps the search index current, batch by batch)
- index_build_s: building the whole search index from nothing, as the window's background
  worker does for a project stored without it (e.g. by an older version)
- search_first_page_ms: p95 over 20 queries of the first page (256 ids) of a search
- search_all_ids_ms: p95 over the same queries of all matching ids (the total count)
- counts_ms, next_pending_ms, stats_ms: Project.counts(), next_article_id(), stats(),
  median of 20
- queue_*_ms: the window's queue (Project.queue) with 1 % of the articles decided at random
  (so no list is contiguous), median of 5 fresh views: `all_jump` opens the unfiltered list
  and reads row 90 % down (the row a scrollbar jump shows) and finds an article's row;
  `pending_jump` the same on the pending filter; `sort_status` sorts by status and does the
  same
- window_usable_ms: a fresh process, from interpreter start to the window shown on an
  article (worker started), best of 3; the ratio to the 10-article project is the target
  (<= 1.2)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotator.core.importing import import_paths  # noqa: E402
from annotator.core.project import Project  # noqa: E402

WORDS = (
    "the minister said on tuesday that talks with officials in the capital would continue "
    "after a week of protests over fuel prices and rising costs for farmers across the region "
    "while analysts expect markets to steady as exports recover and ports reopen for trade"
).split()
NAMES = ["Vladimir Putin", "NATO", "Kyiv", "Reuters", "Angela Merkel", "Berlin", "Gothenburg"]
QUERIES = ["minister", "fuel prices", "kyiv", "reuters talks", "merkel", "gothenb", "ports",
           "farmers region", "nato capital", "exports", "putin", "berlin week", "analysts",
           "trade", "protests", "rising costs", "markets steady", "officials", "story 12",
           "tuesday"]  # fmt: skip
PAGE = 256
WINDOW = r"""
import sys, time
t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication
app = QApplication([])
from annotator.gui.main_window import MainWindow
from annotator.gui.settings import AppSettings
win = MainWindow(sys.argv[1], AppSettings(read_only=True), start_worker=True, interactive=False)
win.show()
app.processEvents()
assert win.current_id is not None
print((time.perf_counter() - t0) * 1000)
import os; os._exit(0)
"""


def window_usable_ms(db: Path) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    runs = [float(subprocess.run([sys.executable, "-c", WINDOW, str(db)], env=env, check=True,
                                 capture_output=True, text=True).stdout) for _ in range(3)]
    return round(min(runs))


def queue_ms(p: Project, n: int, rng: random.Random) -> dict:
    """The queue's jumps and sorts, on fresh views (nothing cached), median of 5."""
    far = int(n * 0.9)

    def jump(status=None, sort="id"):
        def go():
            rows = p.queue(status, sort=sort)
            if len(rows):
                rows[min(far, len(rows) - 1)]
                rows.row_of(rng.randint(1, n))
        return go

    return {name: round(statistics.median(_ms(fn, 5)), 2) for name, fn in (
        ("queue_all_jump_ms", jump()), ("queue_pending_jump_ms", jump("pending")),
        ("queue_sort_status_ms", jump(sort="status")))}  # fmt: skip


def make_jsonl(path: Path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(50, 70)))
            f.write(json.dumps({"text": f"Story {i}: {rng.choice(NAMES)} {body}.",
                                "meta": {"id": i}}) + "\n")  # fmt: skip


def _ms(fn, repeat: int = 1) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def p95(values: list[float]) -> float:
    return round(sorted(values)[max(0, round(0.95 * len(values)) - 1)], 2)


def measure(tmp: Path, n: int) -> dict:
    src, db = tmp / f"{n}.jsonl", tmp / f"{n}.annotator.db"
    make_jsonl(src, n)
    t = time.perf_counter()
    with Project(db) as project:
        report = import_paths(project, [src])
    import_s = time.perf_counter() - t
    with Project(db) as p:
        left_after_import = p.articles.unindexed()
        with p.write():  # forget the index, to time building it whole
            p.store.conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('delete-all')")
            p.store.conn.execute("UPDATE search_index_state SET indexed_upto = 0")
        t = time.perf_counter()
        p.ensure_search_index()
        index_s = time.perf_counter() - t
        first = [_ms(lambda q=q: p.articles.ids(search=q, catch_up=False, limit=PAGE))[0]
                 for q in QUERIES]  # fmt: skip
        whole = [_ms(lambda q=q: p.articles.ids(search=q, catch_up=False))[0] for q in QUERIES]
        counts = _ms(p.counts, 20)
        nxt = _ms(p.next_article_id, 20)
        stats = _ms(p.stats, 20)
        rng = random.Random(1)
        with p.write():  # 1 % decided at random, in one transaction (the triggers count them)
            decided = rng.sample(range(1, n + 1), max(1, n // 100))
            p.store.conn.executemany("UPDATE articles SET status = 'accepted' WHERE id = ?",
                                     [(i,) for i in decided])  # fmt: skip
        queue = queue_ms(p, n, rng)
    window = window_usable_ms(db)
    return {
        "articles": report.imported,
        "import_s": round(import_s, 2),
        "articles_per_s": round(report.imported / import_s),
        "unindexed_after_import": left_after_import,
        "index_build_s": round(index_s, 2),
        "search_first_page_ms_p95": p95(first),
        "search_all_ids_ms_p95": p95(whole),
        "counts_ms": round(statistics.median(counts), 2),
        "next_pending_ms": round(statistics.median(nxt), 3),
        "stats_ms": round(statistics.median(stats), 2),
        **queue,
        "window_usable_ms": window,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=200_000)
    ap.add_argument("--million", action="store_true", help="1,000,000 articles")
    args = ap.parse_args()
    n = 1_000_000 if args.million else args.articles
    with tempfile.TemporaryDirectory() as tmp:
        small = measure(Path(tmp), 10)
        big = measure(Path(tmp), n)
    print(json.dumps({"benchmark": "scale", "small": small, "large": big,
                      "ratios_large_to_small": {
                          k: round(big[k] / small[k], 1) if small[k] else None
                          for k in ("search_first_page_ms_p95", "search_all_ids_ms_p95",
                                    "counts_ms", "next_pending_ms", "stats_ms",
                                    "window_usable_ms")}},
                     indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
