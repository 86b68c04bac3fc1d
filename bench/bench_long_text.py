"""Long articles: peak memory and time of `annotator suggest` on ONE article of 0.1M to
2.4M characters, against a bare `nlp.pipe` over the same pieces, each in a fresh process.

Prints JSON. Usage:
    uv run python bench/bench_long_text.py [--sizes 100000,600000,1200000,2400000]
        [--rounds 2] [--workers 1,2] [--text generated|seed-articles] [--checkout DIR]

- baseline: a fresh process loads the same NER-only pipeline (`load_ner`), cuts the text
  into the same pieces (`split_text`, 100,000 characters) and runs `nlp.pipe` over them one
  piece at a time, keeping nothing: the least a model run on that text can cost.
- suggest_wN: `annotator suggest --db DB --patterns P --workers N` in a fresh process, on a
  project holding only that article (model, 6 patterns, alignment, merge, cache).
- import / export_spacy / export_jsonl: `annotator import` of the article as a .txt, and
  `annotator export` of it accepted with its suggestions as spans (one round).
Peak RSS: `ru_maxrss` of the child process from `os.wait4` (the child's own rusage plus its
reaped children's, i.e. RUSAGE_CHILDREN for that one child: forked workers included).
Seconds: the process's wall time (imports and model loading included on both sides).
ratio = ours / baseline (1.0: as cheap as the bare model; seconds: best of the rounds,
RSS: the largest of the rounds). `--checkout DIR` measures the `annotator` of another
source tree (e.g. `git worktree add /tmp/before HEAD`) with this environment; the baseline
always uses this tree.

Texts: `generated` (the news-like generator of tests/core/test_long_text.py, paragraphs
separated by blank lines) or `seed-articles` (../shared/corpora/seed-articles/*.txt joined
by blank lines and repeated).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "corpora" / "seed-articles"
PATTERNS = [
    {"label": "ORG", "pattern": "Reuters"},
    {"label": "ORG", "pattern": "the United Nations"},
    {"label": "ORG", "pattern": "Associated Press"},
    {"label": "GPE", "pattern": [{"LOWER": "kyiv"}]},
    {"label": "GPE", "pattern": [{"LOWER": {"IN": ["odesa", "kharkiv", "lviv"]}}]},
    {"label": "PERSON", "pattern": [{"TEXT": {"REGEX": "^M[rs]\\.$"}}, {"IS_TITLE": True}]},
]
BASELINE = """
import sys
from annotator.core.suggest import load_ner, split_text
text = open(sys.argv[1], encoding="utf-8").read()
nlp = load_ner(None)
for doc in nlp.pipe([piece for _, piece in split_text(text)], batch_size=1):
    doc.ents
"""


def make_text(chars: int, kind: str) -> str:
    if kind == "seed-articles":
        if not SEED.is_dir():
            raise SystemExit(f"needs the shared corpora at {SEED}")
        files = sorted(SEED.glob("*.txt"))
        block = "\n\n".join(p.read_text(encoding="utf-8").strip() for p in files)
        return ("\n\n".join([block] * (chars // len(block) + 1)))[:chars].rstrip()
    spec = importlib.util.spec_from_file_location(
        "long_text_tests", ROOT / "tests" / "core" / "test_long_text.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.news_text(chars, seed=1)


def run(cmd: list[str], env: dict, cwd: Path) -> dict:
    """Seconds and peak RSS (MB) of one fresh process."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)
    secs = time.perf_counter() - t
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{err}")
    return {"seconds": round(secs, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024)}


def project(db: Path, text: str) -> None:
    from annotator.core.project import Project
    from annotator.core.records import ArticleRecord

    with Project(db) as p:
        p.ensure_labels(["PERSON", "ORG", "GPE"])
        p.add_records([ArticleRecord(text=text)])


def accept_with_suggestions(db: Path) -> int:
    from annotator.core.project import Project
    from annotator.core.records import Span
    from annotator.core.suggest.service import SuggestionService

    with Project(db) as p:
        aid = p.article_ids()[0]
        shown = SuggestionService.from_project(p).cached(p, aid) or []
        p.set_status(aid, "accepted", confirm=[Span(s.start, s.end, s.label, "human")
                                                for s in shown])  # fmt: skip
        return len(shown)


def best(runs: list[dict]) -> dict:
    return {"seconds": min(r["seconds"] for r in runs),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,600000,1200000,2400000")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--text", choices=["generated", "seed-articles"], default="generated")
    ap.add_argument("--checkout", type=Path, default=ROOT, help="the annotator tree to measure")
    ap.add_argument("--no-io", action="store_true", help="skip import and export")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    workers = [int(w) for w in args.workers.split(",")]
    # Run from a scratch folder: `python -m` puts the working folder first on sys.path.
    env = dict(os.environ, PYTHONPATH=str(args.checkout.resolve()))
    here = dict(os.environ, PYTHONPATH=str(ROOT))
    cli = [sys.executable, "-m", "annotator"]
    out: dict = {"benchmark": "long_text", "date": time.strftime("%Y-%m-%d"),
                 "text": args.text, "rounds": args.rounds, "sizes": {}}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        probe = "import annotator; print(annotator.__file__)"
        where = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp,
                               capture_output=True, text=True, check=True)  # fmt: skip
        out["measured"] = str(Path(where.stdout.strip()).parents[1])  # the tree actually run
        patterns = tmp / "patterns.jsonl"
        patterns.write_text("".join(json.dumps(p) + "\n" for p in PATTERNS))
        for size in sizes:
            text = make_text(size, args.text)
            src = tmp / f"article-{size}.txt"
            src.write_text(text, encoding="utf-8")
            runs: dict[str, list[dict]] = {}
            for round_ in range(args.rounds):  # interleaved: the machine is shared
                runs.setdefault("baseline", []).append(
                    run([sys.executable, "-c", BASELINE, str(src)], here, tmp))
                for w in workers:
                    db = tmp / f"s{size}-w{w}-r{round_}.db"
                    project(db, text)
                    runs.setdefault(f"suggest_w{w}", []).append(run(
                        [*cli, "suggest", "--db", str(db), "--patterns", str(patterns),
                         "--workers", str(w)], env, tmp))  # fmt: skip
            row = {name: best(r) for name, r in runs.items()}
            base = row["baseline"]
            row["ratio"] = {
                name: {"seconds": round(r["seconds"] / base["seconds"], 2),
                       "peak_rss": round(r["peak_rss_mb"] / base["peak_rss_mb"], 2)}
                for name, r in row.items() if name.startswith("suggest")
            }  # fmt: skip
            if not args.no_io:
                db = tmp / f"io{size}.db"
                subprocess.run([*cli, "init", "--db", str(db), "--labels", "PERSON,ORG,GPE"],
                               env=env, cwd=tmp, check=True, capture_output=True)  # fmt: skip
                row["import"] = run([*cli, "import", "--db", str(db), str(src)], env, tmp)
                subprocess.run([*cli, "suggest", "--db", str(db), "--patterns", str(patterns)],
                               env=env, cwd=tmp, check=True, capture_output=True)  # fmt: skip
                row["accepted_spans"] = accept_with_suggestions(db)
                for fmt, dest in (("spacy", "corpus"), ("jsonl", "tasks.jsonl")):
                    row[f"export_{fmt}"] = run([*cli, "export", "--db", str(db), "--out",
                                                str(tmp / f"{size}-{dest}"), "--format", fmt,
                                                "--dev-split", "0"], env, tmp)  # fmt: skip
            out["sizes"][str(size)] = row
            print(json.dumps({str(size): row}), file=sys.stderr)
    first, last = out["sizes"][str(sizes[0])], out["sizes"][str(sizes[-1])]
    out["growth_largest_over_smallest"] = {
        name: round(last[name]["peak_rss_mb"] / first[name]["peak_rss_mb"], 2)
        for name in first if isinstance(first[name], dict) and "peak_rss_mb" in first[name]
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
