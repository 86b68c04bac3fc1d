"""Import speed and memory: `annotator import` against a bare sqlite3 loop, same data, same run.

Prints JSON. Usage: uv run python bench/bench_import.py [--articles 100000]

- ours: annotator.core.importing.import_paths on a Prodigy-style JSONL file (articles/s)
- bare: json.loads each line + sqlite3 executemany of the same text into a plain table
- memory: peak RSS of a fresh process importing N/5 and N articles; flat memory means the
  two peaks are close (the ratio is near 1), whatever N is.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = (
    "the minister said on Tuesday that talks with officials in the capital would continue "
    "after a week of protests over fuel prices and rising costs for farmers across the region"
).split()
NAMES = ["Vladimir Putin", "NATO", "Kyiv", "Reuters", "Angela Merkel", "Berlin", "the UN"]


def make_jsonl(path: Path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(60, 120)))
            name = rng.choice(NAMES)
            text = f"Story {i}: {name} {body}."
            start = text.index(name)
            span = {"start": start, "end": start + len(name), "label": "ORG"}
            task = {"text": text, "meta": {"id": i}, "answer": "accept", "spans": [span]}
            f.write(json.dumps(task) + "\n")


def run_ours(src: Path, db: Path) -> dict:
    from annotator.core.importing import import_paths
    from annotator.core.project import Project

    t = time.perf_counter()
    with Project(db) as project:
        report = import_paths(project, [src])
    secs = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "articles": report.imported,
        "seconds": round(secs, 3),
        "articles_per_s": round(report.imported / secs),
        "peak_rss_mb": round(peak, 1),
    }


def run_bare(src: Path, db: Path) -> dict:
    t = time.perf_counter()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, text TEXT, meta TEXT)")
    conn.execute("CREATE TABLE s (a INTEGER, start INTEGER, end INTEGER, label TEXT)")
    n = 0
    with src.open("rb") as f, conn:
        batch = []
        for line in f:
            task = json.loads(line)
            batch.append(task)
            if len(batch) == 2000:
                n += _bare_batch(conn, batch)
                batch = []
        n += _bare_batch(conn, batch)
    conn.close()
    secs = time.perf_counter() - t
    return {"articles": n, "seconds": round(secs, 3), "articles_per_s": round(n / secs)}


def _bare_batch(conn, batch) -> int:
    for task in batch:
        cur = conn.execute("INSERT INTO a(text, meta) VALUES (?, ?)",
                           (task["text"], json.dumps(task["meta"])))  # fmt: skip
        conn.executemany("INSERT INTO s VALUES (?, ?, ?, ?)",
                         [(cur.lastrowid, s["start"], s["end"], s["label"])
                          for s in task["spans"]])  # fmt: skip
    return len(batch)


def child(src: str, db: str) -> None:
    print(json.dumps(run_ours(Path(src), Path(db))))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--child", nargs=2)
    args = ap.parse_args()
    if args.child:
        return child(*args.child)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        small, big = tmp / "small.jsonl", tmp / "big.jsonl"
        make_jsonl(small, args.articles // 5, seed=1)
        make_jsonl(big, args.articles)
        runs = {}
        for name, src in (("small", small), ("big", big)):
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(src), str(tmp / f"{name}.db")],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            runs[name] = json.loads(out.stdout)
        bare = run_bare(big, tmp / "bare.db")
        file_mb = round(big.stat().st_size / 1e6, 1)
    ours = runs["big"]
    print(json.dumps({
        "benchmark": "import",
        "articles": ours["articles"],
        "file_mb": file_mb,
        "ours": ours,
        "bare_sqlite_loop": bare,
        "ratio_ours_to_bare": round(ours["articles_per_s"] / bare["articles_per_s"], 3),
        "peak_rss_mb": {"n/5": runs["small"]["peak_rss_mb"], "n": ours["peak_rss_mb"]},
        "rss_growth_ratio": round(ours["peak_rss_mb"] / runs["small"]["peak_rss_mb"], 3),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
