"""Export speed: `annotator export --format spacy` against a bare spaCy loop, same data, same run.

Prints JSON. Usage: uv run python bench/bench_export.py [--articles 10000] [--repeat 3]

- ours: annotator.core.export.export_project, reading the accepted articles from the
  project file and writing train.spacy, dev.spacy and manifest.json
- bare: the texts and spans already in memory; nlp.make_doc + doc.char_span + DocBin.add,
  one DocBin written to disk
Times are CPU seconds (process_time), best of --repeat, so a busy shared machine skews less.
ratio = bare / ours: 1.0 means as fast as the bare loop; the target is >= 0.9.
peak_rss_mb: `annotator export` run as a process of its own on a project of a fifth of the
articles, then on the whole project (ru_maxrss of the child): flat memory means the two are
close.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import import NAMES, WORDS  # noqa: E402


def make_records(n: int, seed: int = 0):
    from annotator.core.records import ArticleRecord, Span

    rng = random.Random(seed)
    out = []
    for i in range(n):
        parts, spans, pos = [f"Story {i}:"], [], len(f"Story {i}:") + 1
        for _ in range(3):
            name = rng.choice(NAMES)
            filler = " ".join(rng.choice(WORDS) for _ in range(30))
            spans.append(Span(pos, pos + len(name), "ORG", "human"))
            parts.append(f"{name} {filler}.")
            pos += len(name) + len(filler) + 3
        out.append(ArticleRecord(text=" ".join(parts), status="accepted", spans=spans))
    return out


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    import spacy
    from spacy.tokens import DocBin

    from annotator.core.export import export_project
    from annotator.core.project import Project

    records = make_records(args.articles)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        project = Project(tmp / "bench.db")
        for i in range(0, len(records), 2000):
            project.add_records(records[i : i + 2000])
        data = [(r.text, [(s.start, s.end, s.label) for s in r.spans]) for r in records]
        nlp = spacy.blank("en")

        def bare():
            db = DocBin()
            for text, spans in data:
                doc = nlp.make_doc(text)
                doc.ents = [doc.char_span(s, e, label) for s, e, label in spans]
                db.add(doc)
            db.to_disk(tmp / "bare.spacy")

        report = None

        def ours():
            nonlocal report
            report = export_project(project, tmp / "out", format="spacy")

        small = Project(tmp / "small.db")
        small.add_records(records[: len(records) // 5])
        small.close()
        rss = {}
        for name, db in (("fifth", tmp / "small.db"), ("all", tmp / "bench.db")):
            subprocess.run([sys.executable, "-m", "annotator", "export", "--db", str(db),
                            "--out", str(tmp / f"rss-{name}")], check=True,
                           capture_output=True)  # fmt: skip
            rss[name] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
        bare(), ours()  # warm up (vocab, caches)
        t_bare, t_ours = float("inf"), float("inf")
        for _ in range(args.repeat):  # interleaved, so both see the same machine load
            t_bare, t_ours = min(t_bare, best(bare, 1)), min(t_ours, best(ours, 1))
        project.close()
    print(json.dumps({
        "benchmark": "export_spacy",
        "articles": args.articles,
        "spans": sum(len(s) for _, s in data),
        "cpu_seconds": {"ours": round(t_ours, 3), "bare_loop": round(t_bare, 3)},
        "articles_per_s": {"ours": round(args.articles / t_ours),
                           "bare_loop": round(args.articles / t_bare)},
        "ratio_bare_to_ours": round(t_bare / t_ours, 3),
        "misaligned": len(report.misaligned),
        "peak_rss_mb": {f"export of {args.articles // 5:,}": rss["fifth"],
                        f"export of {args.articles:,}": rss["all"]},
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
