"""ArticleView timings on big synthetic articles, against an ExtraSelections baseline.

    QT_QPA_PLATFORM=offscreen uv run python bench/bench_article_view.py

Prints JSON (milliseconds, the median of 5 alternating repeats). Both widgets get the same
text and spans in the same run:
- setup_and_first_paint: set the text and spans, then paint the viewport once;
- scroll_repaint_median: median of 20 steps of (scroll one page, repaint the viewport);
- respan_one: set_spans with one span changed (a typical edit), then repaint;
- respan_all: set_spans with every span's label changed, then repaint.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor  # noqa: E402
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QTextEdit  # noqa: E402

from annotator.core.annotation import ShownSpan  # noqa: E402
from annotator.core.colours import default_colour  # noqa: E402
from annotator.gui.article_view import ArticleView  # noqa: E402
from annotator.gui.offsets import Utf16Map  # noqa: E402

LABELS = ["PERSON", "ORG", "GPE", "DATE", "MONEY"]
WORDS = (
    "the government said on Tuesday that its plans for the new budget would be announced "
    "after talks with unions and business leaders in the capital city 😀 Zürich"
).split()
SIZE = (1000, 800)


def make_article(n_words: int, n_spans: int, seed: int = 1) -> tuple[str, list[ShownSpan]]:
    rng = random.Random(seed)
    words = [rng.choice(WORDS) for _ in range(n_words)]
    parts, offsets, pos = [], [], 0
    for i, w in enumerate(words):
        sep = "\n" if i and i % 120 == 0 else " "
        if i:
            parts.append(sep)
            pos += 1
        offsets.append(pos)
        parts.append(w)
        pos += len(w)
    text = "".join(parts)
    step = n_words // n_spans
    spans = []
    for k in range(n_spans):
        i = k * step
        length = 1 + (k % 3 == 0)  # one or two words
        start, end = offsets[i], offsets[i] + len(words[i])
        if length == 2 and i + 1 < n_words and text[end] == " ":
            end = offsets[i + 1] + len(words[i + 1])
        spans.append(ShownSpan(start, end, LABELS[k % len(LABELS)], "model", k % 2 == 0, k))
    return text, spans


def ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)


def paint(widget) -> None:
    widget.viewport().repaint()
    QApplication.processEvents()


def scroll_median(widget) -> float:
    bar = widget.verticalScrollBar()
    bar.setValue(0)
    paint(widget)
    times = []
    step = max(bar.pageStep(), 1)
    for k in range(20):
        t0 = time.perf_counter()
        bar.setValue(min((k + 1) * step * 3, bar.maximum()))
        paint(widget)
        times.append(ms(t0))
    return statistics.median(times)


def bench_view(text: str, spans: list[ShownSpan], colours: dict[str, str]) -> dict:
    view = ArticleView()
    view.resize(*SIZE)
    view.show()
    QApplication.processEvents()
    t0 = time.perf_counter()
    view.set_article(text, spans, colours)
    paint(view)
    setup = ms(t0)
    scroll = scroll_median(view)
    one = list(spans)
    s = one[len(one) // 2]
    one[len(one) // 2] = ShownSpan(s.start, s.end, "GPE" if s.label != "GPE" else "ORG",
                                   s.source, not s.confirmed, s.span_id)  # fmt: skip
    t0 = time.perf_counter()
    view.set_spans(one)
    paint(view)
    respan_one = ms(t0)
    relabelled = [
        ShownSpan(s.start, s.end, LABELS[(LABELS.index(s.label) + 1) % len(LABELS)], s.source,
                  s.confirmed, s.span_id)
        for s in spans
    ]  # fmt: skip
    t0 = time.perf_counter()
    view.set_spans(relabelled)
    paint(view)
    respan_all = ms(t0)
    view.close()
    view.deleteLater()
    return {
        "setup_and_first_paint": setup,
        "scroll_repaint_median": scroll,
        "respan_one": respan_one,
        "respan_all": respan_all,
    }


def extra_selections(widget, text, spans, colours) -> list:
    m = Utf16Map(text)
    formats = {}
    out = []
    for s in spans:
        key = (s.label, s.confirmed)
        if key not in formats:
            f = QTextCharFormat()
            c = QColor(colours[s.label])
            if not s.confirmed:
                c.setAlphaF(0.3)
            f.setBackground(c)
            formats[key] = f
        sel = QTextEdit.ExtraSelection()
        c = QTextCursor(widget.document())
        c.setPosition(m.to_qt(s.start))
        c.setPosition(m.to_qt(s.end), QTextCursor.MoveMode.KeepAnchor)
        sel.cursor = c
        sel.format = formats[key]
        out.append(sel)
    return out


def bench_baseline(text: str, spans: list[ShownSpan], colours: dict[str, str]) -> dict:
    view = QPlainTextEdit()
    view.setReadOnly(True)
    view.setFont(ArticleView().font())
    view.resize(*SIZE)
    view.show()
    QApplication.processEvents()
    t0 = time.perf_counter()
    view.setPlainText(text)
    view.setExtraSelections(extra_selections(view, text, spans, colours))
    paint(view)
    setup = ms(t0)
    scroll = scroll_median(view)
    one = list(spans)
    s = one[len(one) // 2]
    one[len(one) // 2] = ShownSpan(s.start, s.end, "GPE", s.source, not s.confirmed, s.span_id)
    t0 = time.perf_counter()
    view.setExtraSelections(extra_selections(view, text, one, colours))
    paint(view)
    respan_one = ms(t0)
    view.close()
    view.deleteLater()
    return {
        "setup_and_first_paint": setup,
        "scroll_repaint_median": scroll,
        "respan_one": respan_one,
    }


def median_of(results: list[dict]) -> dict:
    return {k: round(statistics.median(r[k] for r in results), 1) for k in results[0]}


def run(n_words: int, n_spans: int, repeats: int = 5) -> dict:
    """Each widget `repeats` times, alternating; the median of each figure."""
    text, spans = make_article(n_words, n_spans)
    colours = {label: default_colour(label) for label in LABELS}
    views, bases = [], []
    for _ in range(repeats):
        views.append(bench_view(text, spans, colours))
        QApplication.processEvents()
        bases.append(bench_baseline(text, spans, colours))
        QApplication.processEvents()
    view, base = median_of(views), median_of(bases)
    return {
        "chars": len(text),
        "words": n_words,
        "spans": len(spans),
        "utf16_identity": Utf16Map(text).identity,
        "article_view_ms": view,
        "extra_selections_ms": base,
        "ratio_extra_selections_over_view": {
            k: round(base[k] / view[k], 1) if view[k] else None for k in base
        },
    }


def main() -> None:
    app = QApplication.instance() or QApplication([])
    results = {
        "platform": app.platformName(),
        "widget_size": SIZE,
        "runs": [run(20_000, 2_000), run(58_000, 20_000)],
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
