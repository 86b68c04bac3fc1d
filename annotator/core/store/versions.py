"""Annotators' versions of an article (table `versions`): one way to encode and store them,
for the import of a multi-annotator Prodigy file and for `annotator merge`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence


def spans_json(spans: Iterable[Sequence]) -> str:
    """(start, end, label) triples or Spans as the column holds them: sorted JSON, so two
    equal versions have equal text."""
    triples = ([s.start, s.end, s.label] if hasattr(s, "label") else [int(s[0]), int(s[1]),
               str(s[2])] for s in spans)  # fmt: skip
    return json.dumps(sorted(triples))


def put(conn, article_id: int, annotator: str, status: str, spans: str, decided_at,
        source: str) -> None:  # fmt: skip
    """Store (or replace) `annotator`'s version; `spans` as `spans_json` makes it. The
    article's version is bumped, so an open window shows the change at once."""
    conn.execute(
        "INSERT OR REPLACE INTO versions(article_id, annotator, status, spans, decided_at, "
        "source) VALUES (?, ?, ?, ?, ?, ?)", [article_id, annotator, status, spans, decided_at,
                                               source])  # fmt: skip
    conn.execute("UPDATE articles SET version = version + 1 WHERE id = ?", [article_id])
