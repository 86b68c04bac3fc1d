"""Span-level precision, recall and F per label: exact start, end and label.

Every model (the one in use, a newly trained one) is scored by this one function on the
same dev articles and the same labels (the project's, after its label map), so the
figures compare like with like.
"""

from __future__ import annotations

from collections.abc import Iterable


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"p": round(p, 4), "r": round(r, 4), "f": round(f, 4), "tp": tp, "fp": fp, "fn": fn}


def score_spans(pairs: Iterable[tuple[set[tuple[int, int, str]], set[tuple[int, int, str]]]],
                labels: Iterable[str]) -> dict:  # fmt: skip
    """`pairs`: (gold, predicted) span sets per document, as (start, end, label).
    Predictions of labels outside `labels` are ignored. Returns overall and per-label
    figures: {"p", "r", "f", "tp", "fp", "fn", "per_label": {label: {...}}}."""
    labels = set(labels)
    counts = {lab: [0, 0, 0] for lab in labels}
    for gold, pred in pairs:
        pred = {s for s in pred if s[2] in labels}
        for s in pred & gold:
            counts[s[2]][0] += 1
        for s in pred - gold:
            counts[s[2]][1] += 1
        for s in gold - pred:
            counts.setdefault(s[2], [0, 0, 0])[2] += 1
    tp, fp, fn = (sum(c[i] for c in counts.values()) for i in range(3))
    out = prf(tp, fp, fn)
    out["per_label"] = {lab: prf(*c) for lab, c in sorted(counts.items())}
    return out


def corrections(shown, gold) -> int:
    """What an annotator must do to turn the suggestions `shown` into `gold` (spans with
    start, end, label): a wrong suggestion deleted = 1, a wrong label = 1, a wrong boundary
    = 1, a missing span added = 1. The measure of bench/bench_effort.py."""
    unmatched = list(gold)
    cost = 0
    for s in sorted(shown, key=lambda s: (s.start, s.end)):
        hit = next((g for g in unmatched if g.start < s.end and s.start < g.end), None)
        if hit is None:
            cost += 1
            continue
        unmatched.remove(hit)
        cost += (s.label != hit.label) + ((s.start, s.end) != (hit.start, hit.end))
    return cost + len(unmatched)
