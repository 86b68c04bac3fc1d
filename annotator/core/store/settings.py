"""Project settings (JSON values by key) and the append-only event log."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from .connection import Store


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Settings:
    def __init__(self, store: Store):
        self.store = store

    def get(self, key: str, default=None):
        row = self.store.conn.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return default if row is None else json.loads(row[0])

    def set(self, key: str, value) -> None:
        with self.store.write():
            self.store.conn.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, json.dumps(value)],
            )


class Events:
    def __init__(self, store: Store):
        self.store = store

    def log(self, action: str, article_id: int | None = None, annotator: str = "", **data) -> None:
        self.store.conn.execute(
            "INSERT INTO events(at, annotator, article_id, action, data) VALUES (?, ?, ?, ?, ?)",
            [now(), annotator, article_id, action, json.dumps(data, ensure_ascii=False)],
        )

    def list(self, article_id: int | None = None) -> list[dict]:
        sql = "SELECT id, at, annotator, article_id, action, data FROM events"
        args: list = []
        if article_id is not None:
            sql += " WHERE article_id = ?"
            args.append(article_id)
        rows = self.store.conn.execute(sql + " ORDER BY id", args).fetchall()
        keys = ("id", "at", "annotator", "article_id", "action")
        return [dict(zip(keys, r[:5], strict=True), data=json.loads(r[5])) for r in rows]
