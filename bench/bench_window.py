"""The window's speed: accept -> next article drawn, and start to a usable window.

Prints JSON. Usage: uv run python bench/bench_window.py [--articles 40] [--words 2000]

- accept_to_next_drawn_ms: press `a` on an article of ~2,000 words whose suggestions are
  cached; the time until the next pending article is drawn with its suggestions: the accept
  committed, the next article's text and spans set, and the event loop drained, which lays
  out and repaints what changed (the article view's paintEvent is checked to have run).
  Target: <= 50 ms at the 95th percentile. `same_plus_full_window_grab_ms` adds a repaint
  of the whole window (QWidget.grab), a conservative upper figure.
- startup_ms: a fresh process, from interpreter start to the main window shown on the
  last article with its cached suggestions (no model needed yet). Target <= 1,000 ms.
  Baseline in the same run: the same process showing an empty QMainWindow.
Offscreen (QT_QPA_PLATFORM=offscreen). Texts: sentences of ../shared/corpora/seed-articles.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

STARTUP = r"""
import time, sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
if sys.argv[1] == "bare":
    from PySide6.QtWidgets import QMainWindow
    w = QMainWindow(); w.resize(1280, 800); w.show()
else:
    from PySide6.QtCore import QSettings
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, sys.argv[3])
    from annotator.gui.article_view import ArticleView
    from annotator.gui.main_window import MainWindow
    from annotator.gui.settings import AppSettings
    w = MainWindow(sys.argv[2], AppSettings(), article=3)
    w.resize(1280, 800); w.show()
    assert w.suggestions is not None, "cached suggestions not drawn at start"
app.processEvents(); w.grab()
print("shown", flush=True)
import os; os._exit(0)  # measured up to here; skip the teardown
"""


def make_long_texts(n: int, words: int) -> list[str]:
    from bench_suggest import make_texts

    out = []
    for i, base in enumerate(make_texts(n * 40, seed=1)[: n * 40 : 40]):
        parts, count, j = [base], len(base.split()), 0
        extra = make_texts(200, seed=i + 10)
        while count < words:
            parts.append(extra[j % len(extra)])
            count += len(extra[j % len(extra)].split())
            j += 1
        out.append(f"Long report {i}\n\n" + "\n\n".join(parts))
    return out


def startup_ms(db: Path, settings: Path, kind: str) -> float:
    t0 = time.time()
    out = subprocess.run(
        [sys.executable, "-c", STARTUP, kind, str(db), str(settings)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "shown" in out
    return (time.time() - t0) * 1000  # the whole child, interpreter start included


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=40)
    ap.add_argument("--words", type=int, default=2000)
    args = ap.parse_args()

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from annotator.core.project import Project
    from annotator.core.records import ArticleRecord
    from annotator.core.suggesting import configure_suggester, suggest_pending

    tmp = Path(tempfile.mkdtemp())
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp / "qs"))
    db = tmp / "bench.annotator.db"
    texts = make_long_texts(args.articles, args.words)
    with Project(db) as p:
        p.add_records([ArticleRecord(text=t) for t in texts])
        suggest_pending(p, configure_suggester(p))
        spans = sum(len(p.cached_suggestions(a, p.get_setting("last_fingerprint"))) for a in
                    p.article_ids())  # fmt: skip

    app = QApplication.instance() or QApplication([])
    from annotator.gui.article_view import ArticleView
    from annotator.gui.main_window import MainWindow
    from annotator.gui.settings import AppSettings

    painted = {"view": 0}
    paint = ArticleView.paintEvent

    def counted(self, event):
        painted["view"] += 1
        return paint(self, event)

    ArticleView.paintEvent = counted
    win = MainWindow(db, AppSettings(), article=1, start_worker=True)
    win.resize(1280, 800)
    win.show()
    deadline = time.time() + 30
    while win.suggester_state != "ready" and time.time() < deadline:
        app.processEvents()
        time.sleep(0.01)
    times, with_grab = [], []
    for _ in range(args.articles - 2):
        before = win.current_id
        painted["view"] = 0
        t = time.perf_counter()
        win.decide("accepted")
        app.processEvents()  # layout and the repaint of what changed, as on screen
        drawn = time.perf_counter()
        win.grab()  # a conservative figure: the whole window painted again
        grabbed = time.perf_counter()
        assert win.current_id != before and win.suggestions is not None
        assert painted["view"] >= 1, "the article view was not repainted"
        times.append((drawn - t) * 1000)
        with_grab.append((grabbed - t) * 1000)
        until = time.time() + 1.0  # reading time: the worker prefetches meanwhile, as it
        while time.time() < until:  # does while an annotator reads (minutes, not 1 s)
            app.processEvents()
            time.sleep(0.01)
    win.close()

    startup = {kind: [] for kind in ("bare", "window")}
    for _ in range(3):
        for kind in startup:
            startup[kind].append(startup_ms(db, tmp / "qs2", kind))
    times.sort()
    with_grab.sort()
    print(json.dumps({
        "benchmark": "window",
        "articles": args.articles,
        "words_per_article": args.words,
        "suggestions_per_article": round(spans / args.articles),
        "accept_to_next_drawn_ms": {
            "median": round(statistics.median(times), 1),
            "p95": round(times[int(0.95 * (len(times) - 1))], 1),
            "max": round(times[-1], 1),
        },
        "same_plus_full_window_grab_ms": {
            "median": round(statistics.median(with_grab), 1),
            "p95": round(with_grab[int(0.95 * (len(with_grab) - 1))], 1),
        },
        "startup_ms_best_of_3": {k: round(min(v)) for k, v in startup.items()},
        "startup_cost_over_bare_qt_ms": round(min(startup["window"]) - min(startup["bare"])),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
