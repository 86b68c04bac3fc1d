"""The project file: one SQLite database holding articles, labels, spans and decisions.

Every public method that changes something writes at once, inside one transaction
(`Project.write()`), bumps the article's `version` and appends to the event log. Nothing
is buffered in memory: a crash loses nothing already returned from a call.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from . import colours
from .records import STATUSES, ArticleRecord, Span
from .schema import migrations


class ProjectError(Exception):
    """A user-facing problem with the project file or an operation on it."""


class ConflictError(ProjectError):
    """The article changed elsewhere (another window) since it was read."""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class Article:
    id: int
    text: str
    title: str
    source: str
    meta: dict
    status: str
    status_by: str | None
    status_at: str | None
    input_hash: str
    version: int
    prodigy_input_hash: int | None = None
    prodigy_task_hash: int | None = None


@dataclass(frozen=True, slots=True)
class StoredSpan:
    id: int
    article_id: int
    start: int
    end: int
    label: str
    source: str
    annotator: str

    @property
    def span(self) -> Span:
        return Span(self.start, self.end, self.label, self.source)


@dataclass(frozen=True, slots=True)
class Label:
    name: str
    colour: str
    key: str | None
    ord: int


@dataclass
class AddedRecords:
    ids: list[int] = field(default_factory=list)
    duplicates: int = 0
    spans: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    labels_added: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AcceptResult:
    """What `set_status` changed, enough to undo it."""

    article_id: int
    previous_status: str
    added_span_ids: tuple[int, ...]


_ARTICLE_COLS = (
    "id, text, title, source, meta, status, status_by, status_at, input_hash, version, "
    "prodigy_input_hash, prodigy_task_hash"
)


def _article(row: tuple) -> Article:
    return Article(*row[:4], json.loads(row[4]), *row[5:])


class Project:
    """An open project file. Not thread-safe: open one per thread."""

    def __init__(self, path: str | Path, *, create: bool = True):
        self.path = Path(path)
        if not create and not self.path.exists():
            raise ProjectError(f"{self.path}: no such project file")
        if self.path.exists() and self.path.is_dir():
            raise ProjectError(f"{self.path}: is a folder, not a project file")
        try:
            if self.path.parent != Path(""):
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=10.0)
            self.db = Database(conn)
            self._configure()
            migrations.apply(self.db)
        except sqlite3.DatabaseError as exc:
            raise ProjectError(f"{self.path}: not an Annotator project file ({exc})") from exc
        self._label_cache: list[Label] | None = None

    def _configure(self) -> None:
        conn = self.db.conn
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        self.wal = str(mode).lower() == "wal"
        self.warning = None if self.wal else (
            f"{self.path}: SQLite could not use write-ahead logging here (journal mode "
            f"{mode}); is the file on a network drive? Keep project files on a local disk."
        )
        # FULL: a committed decision survives a power cut, not only a crash.
        conn.execute("PRAGMA synchronous = FULL")

    @contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction; nested calls become savepoints.

        `BEGIN IMMEDIATE` takes the write lock up front. A deferred `BEGIN` that reads
        first would fail at once with "database is locked" (not wait for the busy
        timeout) if another connection, such as the window's suggestion worker, committed
        between its read and its first write."""
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise
        else:
            conn.commit()

    def invalidate_caches(self) -> None:
        """Forget what this connection remembers (labels), after another one wrote."""
        self._label_cache = None

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- settings -------------------------------------------------------------------
    def get_setting(self, key: str, default=None):
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return default if row is None else json.loads(row[0])

    def set_setting(self, key: str, value) -> None:
        with self.write():
            self.db.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, json.dumps(value)],
            )

    @property
    def language(self) -> str:
        return self.get_setting("language", "en")

    # ---- events ---------------------------------------------------------------------
    def log(self, action: str, article_id: int | None = None, annotator: str = "", **data) -> None:
        self.db.execute(
            "INSERT INTO events(at, annotator, article_id, action, data) VALUES (?, ?, ?, ?, ?)",
            [now(), annotator, article_id, action, json.dumps(data, ensure_ascii=False)],
        )

    def events(self, article_id: int | None = None) -> list[dict]:
        sql = "SELECT id, at, annotator, article_id, action, data FROM events"
        args: list = []
        if article_id is not None:
            sql += " WHERE article_id = ?"
            args.append(article_id)
        rows = self.db.execute(sql + " ORDER BY id", args).fetchall()
        keys = ("id", "at", "annotator", "article_id", "action")
        return [dict(zip(keys, r[:5], strict=True), data=json.loads(r[5])) for r in rows]

    # ---- labels ---------------------------------------------------------------------
    def labels(self) -> list[Label]:
        if self._label_cache is None:
            rows = self.db.execute("SELECT name, colour, key, ord FROM labels ORDER BY ord, name")
            self._label_cache = [Label(*r) for r in rows.fetchall()]
        return list(self._label_cache)

    def label_names(self) -> list[str]:
        return [lab.name for lab in self.labels()]

    def add_label(
        self, name: str, colour: str | None = None, key: str | None = None, annotator: str = ""
    ) -> Label:
        name = name.strip()
        if not name:
            raise ProjectError("a label needs a name")
        if colour is not None and not colours.is_colour(colour):
            raise ProjectError(f"{colour!r} is not a colour like #aa9cfc")
        with self.write():
            existing = {lab.name: lab for lab in self.labels()}
            if name in existing:
                raise ProjectError(f"label {name} exists already")
            order = len(existing)
            used = {lab.key for lab in existing.values() if lab.key}
            if key is None:
                key = next((k for k in colours.KEYS if k not in used), None)
            elif key in used:
                raise ProjectError(f"key {key} is taken by another label")
            label = Label(name, colour or colours.default_colour(name), key, order)
            self.db.execute(
                "INSERT INTO labels(name, colour, key, ord) VALUES (?, ?, ?, ?)",
                [label.name, label.colour, label.key, label.ord],
            )
            self.log("label_add", annotator=annotator, label=name, colour=label.colour, key=key)
        self._label_cache = None
        return label

    def ensure_labels(self, names: Iterable[str]) -> list[str]:
        """Add the labels that don't exist yet (e.g. seen in imported spans). Returns the added."""
        have = set(self.label_names())
        added = []
        for name in names:
            if name not in have:
                self.add_label(name)
                have.add(name)
                added.append(name)
        return added

    def update_label(
        self, name: str, *, colour: str | None = None, key: str | None = None, annotator: str = ""
    ) -> Label:
        labels = {lab.name: lab for lab in self.labels()}
        if name not in labels:
            raise ProjectError(f"no label {name}")
        if colour is not None and not colours.is_colour(colour):
            raise ProjectError(f"{colour!r} is not a colour like #aa9cfc")
        with self.write():
            if key is not None:
                key = key or None
                if key and any(lab.key == key and lab.name != name for lab in labels.values()):
                    raise ProjectError(f"key {key} is taken by another label")
                self.db.execute("UPDATE labels SET key = ? WHERE name = ?", [key, name])
            if colour is not None:
                self.db.execute("UPDATE labels SET colour = ? WHERE name = ?", [colour, name])
            self.log("label_update", annotator=annotator, label=name, colour=colour, key=key)
        self._label_cache = None
        return {lab.name: lab for lab in self.labels()}[name]

    def rename_label(self, old: str, new: str, annotator: str = "") -> int:
        """Rename a label everywhere: its spans, dismissed suggestions and the label map
        (a model label that was mapped to `old`, or `old` itself, now maps to `new`).
        Returns how many spans changed."""
        new = new.strip()
        names = self.label_names()
        if old not in names:
            raise ProjectError(f"no label {old}")
        if not new:
            raise ProjectError("a label needs a name")
        if new == old:
            return 0
        if new in names:
            raise ProjectError(f"label {new} exists already")
        with self.write():
            self.db.execute(
                "UPDATE articles SET version = version + 1 WHERE id IN "
                "(SELECT article_id FROM spans WHERE label = ?)",
                [old],
            )
            n = self.db.execute("UPDATE spans SET label = ? WHERE label = ?", [new, old]).rowcount
            self.db.execute("UPDATE OR IGNORE dismissed SET label = ? WHERE label = ?", [new, old])
            self.db.execute("UPDATE labels SET name = ? WHERE name = ?", [new, old])
            mapping = {k: (new if v == old else v) for k, v in
                       self.get_setting("label_map", {}).items()}  # fmt: skip
            mapping.setdefault(old, new)
            self.set_setting("label_map", mapping)
            self.log("label_rename", annotator=annotator, label=old, to=new, spans=n)
        self._label_cache = None
        return n

    def remove_label(self, name: str, *, force: bool = False, annotator: str = "") -> int:
        """Remove a label. Refuses while spans use it, unless force (then they go too)."""
        if name not in self.label_names():
            raise ProjectError(f"no label {name}")
        used = self.db.execute("SELECT count(*) FROM spans WHERE label = ?", [name]).fetchone()[0]
        if used and not force:
            raise ProjectError(
                f"label {name} is used by {used} spans; pass --force to delete them too"
            )
        with self.write():
            self.db.execute(
                "UPDATE articles SET version = version + 1 WHERE id IN "
                "(SELECT article_id FROM spans WHERE label = ?)",
                [name],
            )
            self.db.execute("DELETE FROM spans WHERE label = ?", [name])
            self.db.execute("DELETE FROM labels WHERE name = ?", [name])
            self.log("label_remove", annotator=annotator, label=name, spans_deleted=used)
        self._label_cache = None
        return used

    # ---- articles -------------------------------------------------------------------
    def add_records(self, batch: Sequence[ArticleRecord], annotator: str = "") -> AddedRecords:
        """Store articles with their status, spans and suggestions, in one transaction.
        Texts already in the project (same input hash) are skipped and counted."""
        out = AddedRecords()
        hashes = [r.input_hash for r in batch]
        seen: set[str] = set()
        for i in range(0, len(hashes), 900):
            chunk = hashes[i : i + 900]
            marks = ",".join("?" * len(chunk))
            seen.update(
                row[0] for row in self.db.execute(
                    f"SELECT input_hash FROM articles WHERE input_hash IN ({marks})", chunk)
            )  # fmt: skip
        stamp = now()
        conn = self.db.conn
        with self.write():
            known = set(self.label_names())
            for r in batch:
                for s in (*r.spans, *r.suggestions):
                    if s.label not in known:
                        known.add(s.label)
                        self.add_label(s.label, annotator=annotator)
                        out.labels_added.append(s.label)
            # Take the write lock first, so that the ids we hand out stay ours.
            self.db.execute("UPDATE search_index_state SET indexed_upto = indexed_upto")
            next_id = self.db.execute("SELECT coalesce(max(id), 0) + 1 FROM articles").fetchone()[0]
            art_rows, span_rows, sugg_rows = [], [], []
            for r, h in zip(batch, hashes, strict=True):
                if h in seen:
                    out.duplicates += 1
                    continue
                seen.add(h)
                aid, next_id = next_id, next_id + 1
                decided = r.status != "pending"
                art_rows.append(
                    (aid, h, r.text, r.title, r.source, json.dumps(r.meta, ensure_ascii=False),
                     r.status, (annotator or None) if decided else None,
                     stamp if decided else None, r.prodigy_input_hash, r.prodigy_task_hash,
                     stamp)
                )  # fmt: skip
                out.ids.append(aid)
                out.statuses[r.status] = out.statuses.get(r.status, 0) + 1
                span_rows.extend(
                    (aid, s.start, s.end, s.label, "import", annotator, stamp) for s in r.spans
                )
                out.spans += len(r.spans)
                if r.suggestions:
                    data = [[s.start, s.end, s.label, "import"] for s in r.suggestions]
                    sugg_rows.append((aid, "import", json.dumps(data), stamp))
            conn.executemany(
                "INSERT INTO articles(id, input_hash, text, title, source, meta, status, status_by,"
                " status_at, prodigy_input_hash, prodigy_task_hash, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                art_rows,
            )
            conn.executemany(
                'INSERT INTO spans(article_id, start, "end", label, source, annotator, created_at)'
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                span_rows,
            )
            conn.executemany(
                "INSERT INTO suggestions(article_id, fingerprint, spans, created_at)"
                " VALUES (?, ?, ?, ?)",
                sugg_rows,
            )
        return out

    def article(self, article_id: int) -> Article:
        row = self.db.execute(
            f"SELECT {_ARTICLE_COLS} FROM articles WHERE id = ?", [article_id]
        ).fetchone()
        if row is None:
            raise ProjectError(f"no article {article_id}")
        return _article(row)

    def articles_by_id(self, ids: Sequence[int]) -> list[Article]:
        """The articles with these ids, in the order given (missing ids are left out)."""
        found: dict[int, Article] = {}
        for i in range(0, len(ids), 900):
            chunk = list(ids[i : i + 900])
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(
                f"SELECT {_ARTICLE_COLS} FROM articles WHERE id IN ({marks})", chunk
            ):
                found[row[0]] = _article(row)
        return [found[i] for i in ids if i in found]

    def article_version(self, article_id: int) -> int:
        row = self.db.execute("SELECT version FROM articles WHERE id = ?", [article_id]).fetchone()
        if row is None:
            raise ProjectError(f"no article {article_id}")
        return row[0]

    def iter_articles(
        self, statuses: Sequence[str] | None = None, batch: int = 500
    ) -> Iterator[Article]:
        """All articles (optionally of some statuses) in id order, read in batches."""
        where, args = "", []
        if statuses:
            where = f" AND status IN ({','.join('?' * len(statuses))})"
            args = list(statuses)
        last = 0
        while True:
            rows = self.db.execute(
                f"SELECT {_ARTICLE_COLS} FROM articles WHERE id > ?{where} ORDER BY id LIMIT ?",
                [last, *args, batch],
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _article(row)
            last = rows[-1][0]

    def iter_articles_with_spans(
        self, statuses: Sequence[str] | None = None, batch: int = 500
    ) -> Iterator[tuple[Article, list[Span]]]:
        """Articles with their stored spans, spans read in one query per batch."""
        arts: list[Article] = []
        for art in self.iter_articles(statuses, batch):
            arts.append(art)
            if len(arts) == batch:
                yield from self.with_spans(arts)
                arts = []
        yield from self.with_spans(arts)

    def accepted_versions(self) -> dict[int, int]:
        """{article id: version} of every accepted article."""
        return dict(
            self.db.execute("SELECT id, version FROM articles WHERE status = 'accepted'")
        )

    def with_spans(self, arts: list[Article]) -> Iterator[tuple[Article, list[Span]]]:
        """The given articles (sorted by id) with their stored spans, in one query."""
        if not arts:
            return
        by_article: dict[int, list[Span]] = {a.id: [] for a in arts}
        rows = self.db.execute(
            'SELECT article_id, start, "end", label, source FROM spans '
            "WHERE article_id BETWEEN ? AND ? ORDER BY article_id, start, id",
            [arts[0].id, arts[-1].id],
        )
        for aid, start, end, label, source in rows:
            if aid in by_article:
                by_article[aid].append(Span(start, end, label, source))
        for art in arts:
            yield art, by_article[art.id]

    def article_ids(self, status: str | None = None, search: str | None = None) -> list[int]:
        sql, args = "SELECT id FROM articles", []
        conds = []
        if status:
            conds.append("status = ?")
            args.append(status)
        if search and search.strip():
            self.ensure_search_index()
            conds.append("id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
            args.append(fts_query(search))
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        return [r[0] for r in self.db.execute(sql + " ORDER BY id", args).fetchall()]

    def ensure_search_index(self, chunk: int = 5000) -> int:
        """Index the articles added since the last search (imports skip it to stay fast).
        Returns how many were indexed."""
        done = 0
        while True:
            with self.write():
                upto = self.db.execute("SELECT indexed_upto FROM search_index_state").fetchone()[0]
                last = self.db.execute(
                    "SELECT max(id) FROM "
                    "(SELECT id FROM articles WHERE id > ? ORDER BY id LIMIT ?)",
                    [upto, chunk],
                ).fetchone()[0]
                if last is None:
                    return done
                cur = self.db.execute(
                    "INSERT INTO articles_fts(rowid, title, text) "
                    "SELECT id, title, text FROM articles WHERE id > ? AND id <= ?",
                    [upto, last],
                )
                done += cur.rowcount
                self.db.execute("UPDATE search_index_state SET indexed_upto = ?", [last])

    def queue_rows(self, ids: Sequence[int]) -> list[tuple[int, str, str, str]]:
        """(id, title, status, first line) for the given ids, for a list view."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f"SELECT id, title, status, substr(text, 1, 120) FROM articles WHERE id IN ({marks})",
            list(ids),
        ).fetchall()
        by_id = {r[0]: r for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    def next_article_id(self, after: int | None = None, status: str = "pending") -> int | None:
        """The next article of a status after `after` (wrapping round), or None."""
        row = self.db.execute(
            "SELECT id FROM articles WHERE status = ? AND id > ? ORDER BY id LIMIT 1",
            [status, after or 0],
        ).fetchone()
        if row is None and after:
            row = self.db.execute(
                "SELECT id FROM articles WHERE status = ? ORDER BY id LIMIT 1", [status]
            ).fetchone()
        return row[0] if row else None

    def neighbour_id(self, article_id: int, step: int) -> int | None:
        op, order = (">", "ASC") if step > 0 else ("<", "DESC")
        row = self.db.execute(
            f"SELECT id FROM articles WHERE id {op} ? ORDER BY id {order} LIMIT 1 OFFSET ?",
            [article_id, abs(step) - 1],
        ).fetchone()
        return row[0] if row else None

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for status, n in self.db.execute("SELECT status, count(*) FROM articles GROUP BY status"):
            out[status] = n
        out["articles"] = sum(out[s] for s in STATUSES)
        return out

    def stats(self) -> dict:
        c = self.counts()
        labels = dict(
            self.db.execute(
                "SELECT label, count(*) FROM spans JOIN articles ON articles.id = spans.article_id "
                "WHERE articles.status = 'accepted' GROUP BY label ORDER BY label"
            ).fetchall()
        )
        return {
            "articles": c["articles"],
            "pending": c["pending"],
            "accepted": c["accepted"],
            "rejected": c["rejected"],
            "skipped": c["skipped"],
            "spans": sum(labels.values()),
            "labels": labels,
        }

    # ---- spans ----------------------------------------------------------------------
    def spans(self, article_id: int) -> list[StoredSpan]:
        rows = self.db.execute(
            'SELECT id, article_id, start, "end", label, source, annotator FROM spans '
            "WHERE article_id = ? ORDER BY start, id",
            [article_id],
        ).fetchall()
        return [StoredSpan(*r) for r in rows]

    def _check_version(self, article_id: int, expected: int | None) -> None:
        if expected is not None and self.article_version(article_id) != expected:
            raise ConflictError(f"article {article_id} was changed elsewhere")

    def _bump(self, article_id: int) -> None:
        self.db.execute("UPDATE articles SET version = version + 1 WHERE id = ?", [article_id])

    def _validate_span(self, article_id: int, span: Span, ignore_id: int | None = None) -> None:
        length = self.db.execute(
            "SELECT length(text) FROM articles WHERE id = ?", [article_id]
        ).fetchone()
        if length is None:
            raise ProjectError(f"no article {article_id}")
        if not (0 <= span.start < span.end <= length[0]):
            raise ProjectError(f"span [{span.start}, {span.end}) is outside the text")
        if span.label not in self.label_names():
            raise ProjectError(f"no label {span.label}")
        clash = self.db.execute(
            'SELECT id FROM spans WHERE article_id = ? AND start < ? AND "end" > ? AND id IS NOT ?',
            [article_id, span.end, span.start, ignore_id],
        ).fetchone()
        if clash:
            raise ProjectError(f"span [{span.start}, {span.end}) overlaps another span")

    def add_span(
        self,
        article_id: int,
        span: Span,
        annotator: str = "",
        expected_version: int | None = None,
        span_id: int | None = None,
    ) -> int:
        """Store a span. `span_id` re-creates a deleted span under its old id (undo)."""
        with self.write():
            self._check_version(article_id, expected_version)
            self._validate_span(article_id, span)
            span_id = self._insert_span_unchecked(article_id, span, annotator, span_id)
            self._bump(article_id)
            self.log(
                "span_add", article_id, annotator,
                span_id=span_id, start=span.start, end=span.end, label=span.label,
                source=span.source,
            )  # fmt: skip
        return span_id

    def update_span(
        self,
        span_id: int,
        *,
        start: int | None = None,
        end: int | None = None,
        label: str | None = None,
        annotator: str = "",
        expected_version: int | None = None,
    ) -> StoredSpan:
        """Change a span's boundaries or label. Returns the span as it was before."""
        old = self._span(span_id)
        new = Span(
            old.start if start is None else start,
            old.end if end is None else end,
            old.label if label is None else label,
            "human",
        )
        with self.write():
            self._check_version(old.article_id, expected_version)
            self._validate_span(old.article_id, new, ignore_id=span_id)
            self.db.execute(
                'UPDATE spans SET start = ?, "end" = ?, label = ?, source = ?, annotator = ? '
                "WHERE id = ?",
                [new.start, new.end, new.label, new.source, annotator, span_id],
            )
            self._bump(old.article_id)
            self.log(
                "span_update", old.article_id, annotator, span_id=span_id,
                before=[old.start, old.end, old.label], after=[new.start, new.end, new.label],
            )  # fmt: skip
        return old

    def restore_span(self, old: StoredSpan, annotator: str = "") -> None:
        """Put a span back as it was (undo of update_span)."""
        with self.write():
            self.db.execute(
                'UPDATE spans SET start = ?, "end" = ?, label = ?, source = ?, annotator = ? '
                "WHERE id = ?",
                [old.start, old.end, old.label, old.source, old.annotator, old.id],
            )
            self._bump(old.article_id)
            self.log("span_restore", old.article_id, annotator, span_id=old.id,
                     after=[old.start, old.end, old.label])  # fmt: skip

    def delete_span(
        self,
        span_id: int,
        annotator: str = "",
        expected_version: int | None = None,
        dismiss: bool = True,
    ) -> StoredSpan:
        """Delete a span. It is remembered as dismissed, so it isn't suggested again,
        unless `dismiss` is False (undoing the span's creation)."""
        old = self._span(span_id)
        with self.write():
            self._check_version(old.article_id, expected_version)
            self.db.execute("DELETE FROM spans WHERE id = ?", [span_id])
            if dismiss:
                self._dismiss(old.article_id, old.span, annotator)
            self._bump(old.article_id)
            self.log("span_delete", old.article_id, annotator, span_id=span_id,
                     start=old.start, end=old.end, label=old.label)  # fmt: skip
        return old

    def _span(self, span_id: int) -> StoredSpan:
        row = self.db.execute(
            'SELECT id, article_id, start, "end", label, source, annotator FROM spans WHERE id = ?',
            [span_id],
        ).fetchone()
        if row is None:
            raise ProjectError(f"no span {span_id}")
        return StoredSpan(*row)

    # ---- suggestions: dismissed and cached ------------------------------------------
    def _dismiss(self, article_id: int, span: Span, annotator: str) -> None:
        self.db.execute(
            'INSERT OR IGNORE INTO dismissed(article_id, start, "end", label, annotator, at) '
            "VALUES (?, ?, ?, ?, ?, ?)",
            [article_id, span.start, span.end, span.label, annotator, now()],
        )

    def dismiss(self, article_id: int, span: Span, annotator: str = "") -> None:
        """The annotator removed a suggestion: don't suggest it in this article again."""
        with self.write():
            self._dismiss(article_id, span, annotator)
            self._bump(article_id)
            self.log("suggestion_dismiss", article_id, annotator,
                     start=span.start, end=span.end, label=span.label)  # fmt: skip

    def undismiss(self, article_id: int, span: Span, annotator: str = "") -> None:
        with self.write():
            self.db.execute(
                'DELETE FROM dismissed WHERE article_id = ? AND start = ? AND "end" = ? '
                "AND label = ?",
                [article_id, span.start, span.end, span.label],
            )
            self._bump(article_id)
            self.log("suggestion_undismiss", article_id, annotator,
                     start=span.start, end=span.end, label=span.label)  # fmt: skip

    def dismissed(self, article_id: int) -> set[tuple[int, int, str]]:
        rows = self.db.execute(
            'SELECT start, "end", label FROM dismissed WHERE article_id = ?', [article_id]
        ).fetchall()
        return {tuple(r) for r in rows}

    def cached_suggestions(self, article_id: int, fingerprint: str) -> list[Span] | None:
        row = self.db.execute(
            "SELECT spans FROM suggestions WHERE article_id = ? AND fingerprint = ?",
            [article_id, fingerprint],
        ).fetchone()
        return None if row is None else [Span(*s) for s in json.loads(row[0])]

    def has_cached_suggestions(self, article_id: int, fingerprint: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM suggestions WHERE article_id = ? AND fingerprint = ?",
            [article_id, fingerprint],
        ).fetchone()
        return row is not None

    def cache_suggestions(self, items: Iterable[tuple[int, str, Sequence[Span]]]) -> int:
        """Store machine suggestions: (article_id, fingerprint, spans). One transaction."""
        stamp = now()
        rows = [
            (aid, fp, json.dumps([[s.start, s.end, s.label, s.source] for s in spans]), stamp)
            for aid, fp, spans in items
        ]
        with self.write():
            self.db.conn.executemany(
                "INSERT INTO suggestions(article_id, fingerprint, spans, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(article_id, fingerprint) "
                "DO UPDATE SET spans = excluded.spans, created_at = excluded.created_at",
                rows,
            )
        return len(rows)

    def uncached_article_ids(self, fingerprint: str, status: str = "pending") -> list[int]:
        rows = self.db.execute(
            "SELECT id FROM articles WHERE status = ? AND id NOT IN "
            "(SELECT article_id FROM suggestions WHERE fingerprint = ?) ORDER BY id",
            [status, fingerprint],
        ).fetchall()
        return [r[0] for r in rows]

    def accepted_signature(self) -> tuple:
        """Changes whenever the accepted spans may have changed (cheap to compute)."""
        return tuple(self.db.execute(
            "SELECT count(*), coalesce(sum(version), 0), coalesce(max(version), 0) "
            "FROM articles WHERE status = 'accepted'"
        ).fetchone()) + tuple(self.db.execute(
            "SELECT count(*), coalesce(max(id), 0) FROM spans"
        ).fetchone())  # fmt: skip

    # ---- decisions on the whole article ---------------------------------------------
    def set_status(
        self,
        article_id: int,
        status: str,
        annotator: str = "",
        confirm: Sequence[Span] = (),
        expected_version: int | None = None,
        span_ids: Sequence[int] | None = None,
    ) -> AcceptResult:
        """Accept, reject, skip or reopen an article. On accept, `confirm` holds the
        suggestions shown to the annotator: they become confirmed spans, in the same
        transaction as the status (under `span_ids` when a redo re-creates them)."""
        if status not in STATUSES:
            raise ProjectError(f"unknown status {status!r}")
        with self.write():
            self._check_version(article_id, expected_version)
            previous = self.article(article_id).status
            ids = list(span_ids) if span_ids and len(span_ids) == len(confirm) else None
            added = [
                self._insert_span_unchecked(article_id, span, annotator, ids[i] if ids else None)
                for i, span in enumerate(confirm)
            ]
            self.db.execute(
                "UPDATE articles SET status = ?, status_by = ?, status_at = ?, "
                "version = version + 1 WHERE id = ?",
                [status, annotator or None, now(), article_id],
            )
            self.log("status", article_id, annotator, status=status, previous=previous,
                     confirmed=[[s.start, s.end, s.label, s.source] for s in confirm])  # fmt: skip
        return AcceptResult(article_id, previous, tuple(added))

    def undo_status(self, result: AcceptResult, annotator: str = "") -> None:
        with self.write():
            if result.added_span_ids:
                marks = ",".join("?" * len(result.added_span_ids))
                self.db.execute(f"DELETE FROM spans WHERE id IN ({marks})", result.added_span_ids)
            self.db.execute(
                "UPDATE articles SET status = ?, version = version + 1 WHERE id = ?",
                [result.previous_status, result.article_id],
            )
            self.log("status_undo", result.article_id, annotator, status=result.previous_status)

    def _insert_span_unchecked(
        self, article_id: int, span: Span, annotator: str, span_id: int | None = None
    ) -> int:
        cur = self.db.execute(
            'INSERT INTO spans(id, article_id, start, "end", label, source, annotator, '
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [span_id, article_id, span.start, span.end, span.label, span.source, annotator,
             now()],
        )  # fmt: skip
        return cur.lastrowid


def fts_query(text: str) -> str:
    """Turn what a user typed into a safe FTS5 query: every word must appear (prefix match)."""
    words = [w for w in "".join(c if c.isalnum() else " " for c in text).split() if w]
    return " ".join(f'"{w}"*' for w in words) or '""'
