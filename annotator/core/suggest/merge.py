"""Turning candidate spans from several sources into one list of non-overlapping suggestions.

The rule, applied greedily (a candidate is kept unless it overlaps one kept before it):

1. Candidates are ranked by source, in ``order`` (default: ``decision``, then ``pattern``,
   then ``model``); sources not listed come after, alphabetically. A higher-ranked source
   always wins an overlap, even against a longer span.
2. Within one source the longer span wins; at equal length the earlier start wins (then the
   alphabetically first label, so the result never depends on input order).
3. Dropped before ranking: candidates overlapping any ``blocked`` span (what the annotator
   made or confirmed), ``dismissed`` candidates (given as ``(start, end, label)``, or
   ``(start, end)`` for any label), and empty spans.

The result is sorted by start. Identical offsets from two sources collapse to the
higher-ranked one.

Labels are mapped and filtered separately, before merging, by :func:`relabel` (or
:func:`apply_label_map`): first the map (e.g. ``LOC -> GPE``), then anything outside
``label_set`` is dropped (``None`` keeps every label).
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable, Mapping, Sequence

from annotator.core.records import Span

DEFAULT_ORDER: tuple[str, ...] = ("decision", "pattern", "model")

Dismissed = Collection[tuple[int, int, str] | tuple[int, int]]


def apply_label_map(
    spans: Iterable[Span],
    label_set: Collection[str] | None = None,
    label_map: Mapping[str, str] | None = None,
) -> list[Span]:
    """Map labels through ``label_map``, then keep only labels in ``label_set`` (None: all)."""
    label_map = label_map or {}
    out: list[Span] = []
    for s in spans:
        label = label_map.get(s.label, s.label)
        if label_set is not None and label not in label_set:
            continue
        out.append(s if label == s.label else Span(s.start, s.end, label, s.source))
    return out


# Sources whose labels are the model's or the patterns file's own names (not the project's).
MACHINE_SOURCES = frozenset({"model", "pattern"})


def relabel(
    spans: Iterable[Span],
    label_set: Collection[str] | None = None,
    label_map: Mapping[str, str] | None = None,
) -> list[Span]:
    """The project's labels on candidates from any source.

    Model and pattern spans carry the model's and the patterns' own label names: they go
    through ``label_map``, then labels outside ``label_set`` are dropped. Other spans
    (decisions, imported suggestions) carry project labels: one still in ``label_set`` is
    kept as it is; one that is not (renamed since: the rename stored ``old -> new`` in the
    map) is mapped, then dropped if still unknown. ``label_set=None`` keeps every label
    (and maps only machine labels).
    """
    label_map = label_map or {}
    out: list[Span] = []
    for s in spans:
        label = s.label
        if s.source in MACHINE_SOURCES or (label_set is not None and label not in label_set):
            label = label_map.get(label, label)
        if label_set is not None and label not in label_set:
            continue
        out.append(s if label == s.label else Span(s.start, s.end, label, s.source))
    return out


def is_dismissed(span: Span, dismissed: Dismissed) -> bool:
    return (span.start, span.end, span.label) in dismissed or (span.start, span.end) in dismissed


def group_by_source(spans: Iterable[Span]) -> dict[str, list[Span]]:
    groups: dict[str, list[Span]] = {}
    for s in spans:
        groups.setdefault(s.source, []).append(s)
    return groups


class _Intervals:
    """Non-overlapping half-open intervals kept sorted, with an O(log n) overlap test."""

    def __init__(self, spans: Iterable[Span] = ()) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        for s in sorted((s for s in spans if s.end > s.start), key=lambda s: s.start):
            # Blocked spans may overlap each other: fold them into unions.
            if self.ends and s.start < self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], s.end)
            else:
                self.starts.append(s.start)
                self.ends.append(s.end)

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.starts, end)  # intervals starting before `end`
        return i > 0 and self.ends[i - 1] > start

    def add(self, start: int, end: int) -> None:
        i = bisect.bisect_left(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)


def merge(
    candidates: Mapping[str, Iterable[Span]],
    order: Sequence[str] = DEFAULT_ORDER,
    blocked: Iterable[Span] = (),
    dismissed: Dismissed = frozenset(),
) -> list[Span]:
    """One non-overlapping list of spans, sorted by start (see the module docstring).

    ``candidates`` maps a source name to its spans; the rank comes from that key, whatever
    each span's own ``source`` says.
    """
    rank = {src: i for i, src in enumerate(order)}
    extra = sorted(src for src in candidates if src not in rank)
    for src in extra:
        rank[src] = len(rank)
    blocked_iv = _Intervals(blocked)
    pool = [
        (rank[src], -(s.end - s.start), s.start, s.label, s)
        for src, spans in candidates.items()
        for s in spans
        if s.end > s.start
        and not blocked_iv.overlaps(s.start, s.end)
        and not (dismissed and is_dismissed(s, dismissed))
    ]
    pool.sort(key=lambda t: t[:4])
    kept = _Intervals()
    out: list[Span] = []
    for *_, s in pool:
        if not kept.overlaps(s.start, s.end):
            kept.add(s.start, s.end)
            out.append(s)
    out.sort(key=lambda s: (s.start, s.end))
    return out
