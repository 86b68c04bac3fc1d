"""Teams at scale: split a pool, merge three annotators' files, agreement.

Prints JSON. Usage: uv run python bench/bench_team.py [--articles 100000] [--pool POOL.db]

- split_s: `split_project` of the pool's pending articles into three files (overlap 0.1);
  baseline in the same run: copying the pool file whole with SQLite's backup API
  (`copy_pool_s`), the least any split that writes the articles again must do.
- merge: three files of --articles decided articles each (every one in all three files, one
  to three spans each, made with bulk SQL), merged into a new team file: articles/s over
  the three files (target >= 10k/s).
- agreement_s: `agreement()` over the --articles articles the three annotated (target
  <= 10 s at 100k).
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import make_jsonl  # noqa: E402

from annotator.core.importing import import_paths  # noqa: E402
from annotator.core.project import Project  # noqa: E402
from annotator.core.team.agreement import agreement  # noqa: E402
from annotator.core.team.merge import merge_files  # noqa: E402
from annotator.core.team.split import split_project  # noqa: E402

NAMES = ["alice", "bob", "carol"]


def make_pool(path: Path, n: int) -> None:
    src = path.with_suffix(".jsonl")
    make_jsonl(src, n)
    with Project(path) as p:
        p.ensure_labels(["PERSON", "ORG", "GPE"])
        import_paths(p, [src])


def decide_all(path: Path, who: str, seed: int) -> None:
    """Every article accepted by `who`, with the name at the start of the text as a span
    whose label depends on the annotator a little (so they disagree on some)."""
    rng = random.Random(seed)
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT id, text FROM articles").fetchall()
    spans = []
    for aid, text in rows:
        start = text.index(": ") + 2
        name_end = start + len(text[start:].split(" ")[0])
        label = rng.choice(["PERSON", "PERSON", "PERSON", "ORG"])
        spans.append((aid, start, name_end, label, "human", who, "2026-01-01"))
    with conn:
        conn.execute("UPDATE articles SET status = 'accepted', status_by = ?", [who])
        conn.executemany('INSERT INTO spans(article_id, start, "end", label, source, annotator, '
                         "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", spans)  # fmt: skip
    conn.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--pool", type=Path, help="split this pool (e.g. 1M articles) instead")
    args = ap.parse_args()
    out: dict = {"benchmark": "team", "articles": args.articles}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pool = args.pool
        if pool is None:
            pool = tmp / "pool.annotator.db"
            make_pool(pool, args.articles)
        with Project(pool) as p:
            out["pool_pending"] = p.counts()["pending"]
        t = time.perf_counter()
        src, dst = sqlite3.connect(pool), sqlite3.connect(tmp / "copy.db")
        src.backup(dst)
        src.close(), dst.close()
        out["copy_pool_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        split_project(pool, NAMES, tmp / "split", overlap=0.1)
        out["split_s"] = round(time.perf_counter() - t, 2)

        # merge: three files holding the same articles, all decided
        small = tmp / "small.annotator.db"
        if args.pool is not None:
            make_pool(small, args.articles)
        else:
            small = pool
        files = split_project(small, NAMES, tmp / "full", overlap=1.0).files
        for i, name in enumerate(NAMES):
            decide_all(files[name], name, seed=i)
        team = tmp / "team.annotator.db"
        t = time.perf_counter()
        report = merge_files(team, [files[n] for n in NAMES])
        seconds = time.perf_counter() - t
        out["merge"] = {"files": 3, "versions": report.versions_added,
                        "seconds": round(seconds, 2),
                        "articles_per_s": round(3 * args.articles / seconds)}  # fmt: skip
        with Project(team) as p:
            t = time.perf_counter()
            result = agreement(p)
            out["agreement_s"] = round(time.perf_counter() - t, 2)
        out["agreement"] = {k: result[k] for k in ("overlap_articles", "span_f1",
                                                   "krippendorff_alpha")}  # fmt: skip
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
