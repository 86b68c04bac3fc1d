"""Whether a new model becomes the suggestion model: only when the suggestions an annotator
would see with it need fewer corrections than with the model in use, with confidence.

Both are scored on the same dev articles (never trained on), merged with the patterns and
the project's decisions as the window merges them (trainer.SuggestionScorer). The per-article
differences in corrections are resampled (paired bootstrap, `RESAMPLES` times, seeded): the
new model is adopted only when the upper end of the 95% interval of the total difference is
below zero, i.e. it saves corrections in all but the unluckiest 2.5% of resamples. One noisy
dev count (a few articles where it happens to do better) is not enough.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..wording import plural

RESAMPLES = 2000
CONFIDENCE = 0.95


def paired_bootstrap(mine: Sequence[int], theirs: Sequence[int], seed: int = 0,
                     resamples: int = RESAMPLES) -> dict:  # fmt: skip
    """The case for the new model (`mine`: corrections per dev article with it; `theirs`:
    with the model in use, or none): totals, the difference, its 95% interval, and
    `adopt`."""
    import numpy as np

    diffs = np.asarray(mine, dtype=np.int64) - np.asarray(theirs, dtype=np.int64)
    n = len(diffs)
    out = {"with": int(sum(mine)), "without": int(sum(theirs)), "difference": int(diffs.sum()),
           "articles": n, "resamples": resamples}  # fmt: skip
    if n == 0:
        return {**out, "interval": [0, 0], "adopt": False}
    rng = np.random.default_rng(seed)
    totals = np.empty(resamples, dtype=np.int64)
    for start in range(0, resamples, 256):  # in blocks: bounded memory for large dev sets
        k = min(256, resamples - start)
        totals[start : start + k] = diffs[rng.integers(0, n, size=(k, n))].sum(axis=1)
    tail = (1 - CONFIDENCE) / 2
    lo, hi = (int(v) for v in np.quantile(totals, [tail, 1 - tail], method="nearest"))
    return {**out, "interval": [lo, hi], "adopt": bool(hi < 0)}


def describe(case: dict, baseline: str = "the model in use") -> str:
    """One line saying what decided, for the CLI and the window."""
    lo, hi = case["interval"]
    verdict = ("adopted" if case["adopt"] else
               "not used: it does not need fewer corrections with 95% confidence")  # fmt: skip
    return (f"corrections on {plural(case['articles'], 'dev article')}: {case['with']:,} with "
            f"it, {case['without']:,} with {baseline} ({case['difference']:+,}; 95% interval "
            f"{lo:+,} to {hi:+,}): {verdict}")
