"""What the project remembers about suggestions.

- the machine cache: (article, fingerprint) -> the model's and the patterns' spans, as JSON;
- imported suggestions (Prodigy tasks without an answer, doccano records): rows of their own,
  with a label foreign key, so a rename reaches them;
- dismissed suggestions: what the annotator removed in an article is not suggested there again.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Callable, Iterable, Sequence

from ..records import Span
from .connection import Store
from .settings import now

IMPORT_FINGERPRINT = "import"  # what callers pass to mean "the suggestions that came with it"
DECISIONS = "decisions"  # the row of an article's decisions (see put_decisions)


class SuggestionCache:
    def __init__(self, store: Store):
        self.store = store

    def get(self, article_id: int, fingerprint: str) -> list[Span] | None:
        if fingerprint == IMPORT_FINGERPRINT:
            return self.imported(article_id)
        row = self.store.conn.execute(
            "SELECT spans FROM suggestions WHERE article_id = ? AND fingerprint = ?",
            [article_id, fingerprint],
        ).fetchone()
        return None if row is None else [Span(*s) for s in json.loads(row[0])]

    def has(self, article_id: int, fingerprint: str) -> bool:
        if fingerprint == IMPORT_FINGERPRINT:
            return True
        row = self.store.conn.execute(
            "SELECT 1 FROM suggestions WHERE article_id = ? AND fingerprint = ?",
            [article_id, fingerprint],
        ).fetchone()
        return row is not None

    def put(self, items: Iterable[tuple[int, str, Sequence[Span]]]) -> int:
        """Store machine suggestions: (article_id, fingerprint, spans). One transaction."""
        stamp = now()
        rows = [
            (aid, fp, json.dumps([[s.start, s.end, s.label, s.source] for s in spans]), stamp)
            for aid, fp, spans in items
            if fp != IMPORT_FINGERPRINT
        ]
        with self.store.write():
            self.store.conn.executemany(
                "INSERT INTO suggestions(article_id, fingerprint, spans, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(article_id, fingerprint) "
                "DO UPDATE SET spans = excluded.spans, created_at = excluded.created_at",
                rows,
            )
        return len(rows)

    # ---- the project's decisions found in an article -------------------------------
    # Kept under the fingerprint DECISIONS with the signature of the accepted work they
    # were found in: at start-up the window draws an article's final suggestions from the
    # cache alone (no spaCy, no index of the accepted articles) while nothing was accepted
    # or changed since they were found.
    def put_decisions(self, article_id: int, signature: str, spans: Sequence[Span],
                      vetoed: Sequence[Span] = ()) -> None:  # fmt: skip
        """`spans`: the decisions found in the article; `vetoed`: the machine suggestions
        they speak against there (DecisionIndex.vetoed)."""
        value = json.dumps({"signature": signature,
                            "spans": [[s.start, s.end, s.label, s.source] for s in spans],
                            "vetoed": [[s.start, s.end, s.label, s.source] for s in vetoed]})
        with self.store.write():
            self.store.conn.execute(
                "INSERT INTO suggestions(article_id, fingerprint, spans, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(article_id, fingerprint) "
                "DO UPDATE SET spans = excluded.spans, created_at = excluded.created_at",
                [article_id, DECISIONS, value, now()],
            )

    def get_decisions(self, article_id: int, signature: Callable[[], str]
                      ) -> tuple[list[Span], list[Span]] | None:  # fmt: skip
        """The decisions found in the article under `signature()` (asked only when some
        were kept: it may cost a scan of the accepted articles); None if none were kept
        under it (the accepted work changed since, or they were never looked for)."""
        row = self.store.conn.execute(
            "SELECT spans FROM suggestions WHERE article_id = ? AND fingerprint = ?",
            [article_id, DECISIONS],
        ).fetchone()
        if row is None:
            return None
        value = json.loads(row[0])
        if not isinstance(value, dict) or value.get("signature") != signature():
            return None
        return ([Span(*s) for s in value["spans"]],
                [Span(*s) for s in value.get("vetoed", ())])  # fmt: skip

    def uncached_ids(self, fingerprint: str, statuses: Sequence[str] = ("pending",)
                     ) -> Sequence[int]:  # fmt: skip
        """Ids of the articles of these statuses without suggestions for `fingerprint`, in
        id order, as a compact array (8 bytes an id: 8 MB for a million articles)."""
        marks = ",".join("?" * len(statuses))
        rows = self.store.conn.execute(
            f"SELECT id FROM articles WHERE status IN ({marks}) AND id NOT IN "
            "(SELECT article_id FROM suggestions WHERE fingerprint = ?) ORDER BY id",
            [*statuses, fingerprint],
        )
        return array("q", (r[0] for r in rows))

    # ---- imported suggestions ----------------------------------------------------------
    def imported(self, article_id: int) -> list[Span]:
        rows = self.store.conn.execute(
            'SELECT start, "end", label, source FROM imported_suggestions WHERE article_id = ? '
            'ORDER BY start, "end", label',
            [article_id],
        ).fetchall()
        return [Span(*row) for row in rows]

    def add_imported(self, article_id: int, spans: Iterable[Span], source: str = "import"
                     ) -> None:  # fmt: skip
        """Suggestions kept with the article: from an import, or (source "decision") from
        labelling another occurrence in it."""
        self.store.conn.executemany(
            'INSERT OR REPLACE INTO imported_suggestions(article_id, start, "end", label, '
            "source) VALUES (?, ?, ?, ?, ?)",
            [(article_id, s.start, s.end, s.label, source) for s in spans],
        )

    def remove_imported(self, article_id: int, spans: Iterable[Span]) -> None:
        self.store.conn.executemany(
            'DELETE FROM imported_suggestions WHERE article_id = ? AND start = ? AND "end" = ? '
            "AND label = ?",
            [(article_id, s.start, s.end, s.label) for s in spans],
        )

    # ---- dismissed ---------------------------------------------------------------------
    def dismiss(self, article_id: int, span: Span, annotator: str) -> None:
        self.store.conn.execute(
            'INSERT OR IGNORE INTO dismissed(article_id, start, "end", label, annotator, at) '
            "SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM labels WHERE name = ?)",
            [article_id, span.start, span.end, span.label, annotator, now(), span.label],
        )

    def undismiss(self, article_id: int, span: Span) -> None:
        self.store.conn.execute(
            'DELETE FROM dismissed WHERE article_id = ? AND start = ? AND "end" = ? '
            "AND label = ?",
            [article_id, span.start, span.end, span.label],
        )

    def dismissed(self, article_id: int) -> set[tuple[int, int, str]]:
        rows = self.store.conn.execute(
            'SELECT start, "end", label FROM dismissed WHERE article_id = ?', [article_id]
        ).fetchall()
        return {tuple(r) for r in rows}
