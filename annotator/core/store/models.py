"""The `models` table: trained models, what they learnt from and how they scored."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..errors import ProjectError
from .connection import Store
from .settings import now


@dataclass(frozen=True)
class ModelRecord:
    id: int
    created_at: str
    path: str
    base: str
    articles: int
    train_articles: int
    dev_articles: int
    scores: dict
    baseline: dict | None
    fingerprint: str
    seconds: float
    activated: bool

    @property
    def f(self) -> float:
        return float(self.scores.get("f", 0.0))


_COLS = ("id, created_at, path, base, articles, train_articles, dev_articles, scores, "
         "baseline, fingerprint, seconds, activated")  # fmt: skip


def _record(row) -> ModelRecord:
    return ModelRecord(*row[:7], json.loads(row[7]), json.loads(row[8]) if row[8] else None,
                       row[9], row[10], bool(row[11]))  # fmt: skip


class Models:
    def __init__(self, store: Store):
        self.store = store

    def next_id(self) -> int:
        return self.store.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM models").fetchone()[0]

    def add(self, number: int, path: str, base: str, train_articles: int, dev_articles: int,
            scores: dict, baseline: dict | None, fingerprint: str, seconds: float,
            activated: bool) -> None:  # fmt: skip
        self.store.conn.execute(
            f"INSERT INTO models({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [number, now(), path, base, train_articles + dev_articles, train_articles,
             dev_articles, json.dumps(scores), json.dumps(baseline) if baseline else None,
             fingerprint, seconds, int(activated)],
        )  # fmt: skip

    def all(self) -> list[ModelRecord]:
        rows = self.store.conn.execute(f"SELECT {_COLS} FROM models ORDER BY id").fetchall()
        return [_record(r) for r in rows]

    def get(self, number: int) -> ModelRecord:
        row = self.store.conn.execute(f"SELECT {_COLS} FROM models WHERE id = ?",
                                      [number]).fetchone()  # fmt: skip
        if row is None:
            raise ProjectError(f"no model {number} in this project")
        return _record(row)

    def newest(self) -> ModelRecord | None:
        row = self.store.conn.execute(f"SELECT {_COLS} FROM models ORDER BY id DESC "
                                      "LIMIT 1").fetchone()  # fmt: skip
        return None if row is None else _record(row)

    def mark_activated(self, number: int) -> None:
        self.store.conn.execute("UPDATE models SET activated = 1 WHERE id = ?", [number])

    def update_scores(self, number: int, scores: dict) -> None:
        """Replace a model's scores (its learning curve is added to them point by point)."""
        if self.store.conn.execute("UPDATE models SET scores = ? WHERE id = ?",
                                   [json.dumps(scores), number]).rowcount != 1:  # fmt: skip
            raise ProjectError(f"no model {number} in this project")
