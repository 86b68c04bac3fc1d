"""Annotators' versions of an article (table `versions`): one way to encode and store them,
for the import of a multi-annotator Prodigy file and for `annotator merge`.

A version's spans are JSON `[[start, end, label], ...]`, sorted; a linked span has its
entity as a fourth element (`[start, end, label, kb_id]`), so versions without links read
and compare exactly as before links existed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from ..records import Span


def spans_json(spans: Iterable[Sequence]) -> str:
    """Spans, or (start, end, label[, kb_id]) sequences, as the column holds them: sorted
    JSON, so two equal versions have equal text."""
    rows = []
    for s in spans:
        if hasattr(s, "label"):
            row = [s.start, s.end, s.label]
            kb_id = getattr(s, "kb_id", None)
        else:
            row = [int(s[0]), int(s[1]), str(s[2])]
            kb_id = s[3] if len(s) > 3 else None
        if kb_id is not None:
            row.append(str(kb_id))
        rows.append(row)
    return json.dumps(sorted(rows))


def parse_spans(text: str, source: str = "human") -> list[Span]:
    """The column's JSON as Spans (three or four elements each)."""
    out = []
    for row in json.loads(text or "[]"):
        start, end, label = row[0], row[1], row[2]
        kb_id = row[3] if len(row) > 3 else None
        out.append(Span(int(start), int(end), str(label), source, kb_id))
    return out


def put(conn, article_id: int, annotator: str, status: str, spans: str, decided_at,
        source: str) -> None:  # fmt: skip
    """Store (or replace) `annotator`'s version; `spans` as `spans_json` makes it. The
    article's version is bumped, so an open window shows the change at once."""
    conn.execute(
        "INSERT OR REPLACE INTO versions(article_id, annotator, status, spans, decided_at, "
        "source) VALUES (?, ?, ?, ?, ?, ?)", [article_id, annotator, status, spans, decided_at,
                                               source])  # fmt: skip
    conn.execute("UPDATE articles SET version = version + 1 WHERE id = ?", [article_id])
