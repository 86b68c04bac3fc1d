"""Suggestion speed: `annotator suggest` against a bare `nlp.pipe`, same components, same texts.

Prints JSON. Usage: uv run python bench/bench_suggest.py [--articles 400]

Texts: articles of 4-8 sentences drawn from ../shared/corpora/seed-articles (real news).
- bare: the same NER-only pipeline (`load_ner`), `list(nlp.pipe(texts))`, one process
- ours(workers=1): suggest_pending on a project holding the texts: reads them, runs the
  model, aligns and merges, and caches the suggestions in the project file
- ours(workers=2): the same with spaCy's n_process=2
ratio = bare seconds / ours seconds (>1 is faster than the bare single process).
Peak RSS: of this process, and the largest worker process (ru_maxrss of the children).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import tempfile
import time
from pathlib import Path

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "seed-articles"


def make_texts(n: int, seed: int = 0) -> list[str]:
    sentences = []
    for path in sorted(CORPORA.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        sentences += [s.strip() for s in re.split(r"(?<=[.!?”])\s+", text) if len(s.split()) > 4]
    rng = random.Random(seed)
    return [f"Report {i}. " + " ".join(rng.sample(sentences, rng.randint(4, 8))) for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=400)
    args = ap.parse_args()
    if not CORPORA.is_dir():
        raise SystemExit(f"needs the shared corpora at {CORPORA}")

    from annotator.core.project import Project
    from annotator.core.records import ArticleRecord
    from annotator.core.suggest import load_ner
    from annotator.core.suggest.service import configure_suggester, suggest_pending

    texts = make_texts(args.articles)
    nlp = load_ner(None)
    list(nlp.pipe(texts[:20]))  # warm up
    tokens = sum(len(d) for d in nlp.tokenizer.pipe(texts))

    def timed(fn):
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(2):  # interleaved rounds; best of each
            results.setdefault("bare", []).append(timed(lambda: list(nlp.pipe(texts))))
            for workers in (1, 2):
                db = Path(tmp) / f"r{round_}w{workers}.db"
                with Project(db) as project:
                    project.add_records([ArticleRecord(text=t) for t in texts])
                    suggester = configure_suggester(project)
                    suggester.load()
                    t = time.perf_counter()
                    suggest_pending(project, suggester, workers=workers)
                    secs = time.perf_counter() - t
                    assert not project.uncached_article_ids(suggester.fingerprint)
                results.setdefault(f"workers_{workers}", []).append(secs)
    best = {k: min(v) for k, v in results.items()}
    print(json.dumps({
        "benchmark": "suggest",
        "articles": len(texts),
        "tokens": tokens,
        "seconds_best_of_2": {k: round(v, 3) for k, v in best.items()},
        "tokens_per_s": {k: round(tokens / v) for k, v in best.items()},
        "ratio_bare_to_ours_workers_1": round(best["bare"] / best["workers_1"], 3),
        "ratio_bare_to_ours_workers_2": round(best["bare"] / best["workers_2"], 3),
        "peak_rss_mb": {
            "main_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "largest_worker": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        },
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
